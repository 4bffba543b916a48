/**
 * Codex CLI 0.171.0 for real, offline (harness.ts): first the harness itself (a recording hook and
 * a probe MCP server of the test's own), then wfs as `wfs install codex` puts it in a project
 * (SPEC 7). Codex reports neither its hooks' exit codes nor their output in `exec --json`, so the
 * exit codes come from the `wfs` shim's log; a hook's context reaches the model as a developer
 * message; MCP tools are offered behind Codex's client-side `tool_search`, so a scripted MCP call
 * searches first, as the real model does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  A_JS,
  type AgentRun,
  agentAvailability,
  asFixture,
  described,
  expectInstructionsSent,
  filesMentioningWfs,
  fixture,
  makeSandbox,
  PROBE_MCP,
  readJson,
  recordingHook,
  runCodex,
  type Sandbox,
  shapeOf,
  skipUnless,
  startSession,
  wfsAgentCommands,
  wfsCalls,
  wfsIn,
  writeCodexConfig,
  writeJson,
} from './harness.js';
import { type MockModel, type Step, startOpenAiMock, type Wire } from './mock-models.js';

const FIXTURES = 'codex-0.171.0';
const codex = await agentAvailability('codex');
const wfsCommands = wfsAgentCommands();

async function mockOf(steps: readonly Step[]): Promise<MockModel> {
  const mock = await startOpenAiMock(steps);
  onTestFinished(() => mock.close());
  return mock;
}

/** The patch of the recordings (PreToolUse-apply_patch): paths relative to the project. */
const PATCH = fixture(FIXTURES, 'PreToolUse-apply_patch').payload.tool_input.command as string;

/** Every text of every message item of a Responses API request's input. */
function inputTexts(body: Wire, role?: string): string[] {
  return (body.input ?? [])
    .filter((item: Wire) => item.type === 'message' && (!role || item.role === role))
    .flatMap((item: Wire) => (item.content ?? []).map((c: Wire) => c.text ?? ''));
}

/** The input item of a request that answers the call `callId`. */
function outputOf(body: Wire, callId: string): Wire {
  return (body.input ?? []).find(
    (item: Wire) => item.call_id === callId && item.type !== 'function_call' && !item.type.endsWith('_call'),
  );
}

/** `exec --json`'s MCP tool call items, completed. */
function mcpCalls(run: AgentRun): Wire[] {
  return run.lines
    .filter((l) => l.type === 'item.completed' && l.item?.type === 'mcp_tool_call')
    .map((l) => l.item);
}

function stable(payload: Wire): Wire {
  const { session_id: _s, turn_id: _t, transcript_path: _p, tool_use_id: _u, ...rest } = payload;
  return rest;
}

describe('the harness runs Codex CLI against the mock Responses API', () => {
  it('records hook payloads shaped like the committed fixtures, and the model sees the hook context and MCP tools', async (ctx) => {
    const agent = skipUnless(ctx, codex);
    const sb = makeSandbox();
    const rec = recordingHook(sb);
    const context = 'HARNESS-CONTEXT-c0d3';
    const answer = JSON.stringify({
      hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: context },
    });
    const hook = (event: string, stdout?: string) => [
      { hooks: [{ type: 'command', command: rec.command(event, stdout) }] },
    ];
    const toolHook = (event: string) => [
      { matcher: '*', hooks: [{ type: 'command', command: rec.command(event) }] },
    ];
    const mock = await mockOf([
      { tool: 'exec_command', input: { cmd: 'git status --short' } },
      { tool: 'apply_patch', input: PATCH },
      { tool: 'tool_search', input: { query: 'probe', limit: 8 } },
      { tool: 'probe', namespace: 'mcp__probe', input: { text: 'hello' } },
      { text: 'Done.' },
    ]);
    writeCodexConfig(sb, mock);
    writeJson(path.join(sb.home, '.codex', 'hooks.json'), {
      hooks: {
        SessionStart: hook('SessionStart', answer),
        UserPromptSubmit: hook('UserPromptSubmit'),
        PreToolUse: toolHook('PreToolUse'),
        PostToolUse: toolHook('PostToolUse'),
        Stop: hook('Stop'),
        SessionEnd: hook('SessionEnd'),
      },
    });
    // A project's own .codex/config.toml counts once the project is trusted. exec never asks, so
    // an MCP server's tools are refused unless approved in its entry.
    fs.mkdirSync(path.join(sb.project, '.codex'), { recursive: true });
    fs.writeFileSync(
      path.join(sb.project, '.codex', 'config.toml'),
      `[mcp_servers.probe]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(PROBE_MCP)}]\ndefault_tools_approval_mode = "approve"\n`,
    );

    const run = await runCodex(agent, sb, { prompt: 'Fix the bug. PLAN:patch' });
    expect(run.code, described(run)).toBe(0);

    const recorded = rec.read();
    expect(recorded.map((r) => r.event)).toEqual(
      expect.arrayContaining([
        'SessionStart',
        'UserPromptSubmit',
        'PreToolUse',
        'PostToolUse',
        'Stop',
        'SessionEnd',
      ]),
    );
    const start = recorded.find((r) => r.event === 'SessionStart')!;
    const startFixture = fixture(FIXTURES, 'SessionStart-startup');
    expect(shapeOf(start.payload)).toEqual(shapeOf(startFixture.payload));
    expect(stable(asFixture(sb, start.payload))).toEqual(stable(startFixture.payload));
    expect(start.payload.transcript_path).toContain(path.join(sb.home, '.codex', 'sessions'));
    // Codex ends its payload without a newline, as in the recordings.
    expect(start.raw.endsWith('\n')).toBe(startFixture.raw.endsWith('\n'));
    // No session ID in the hook's environment: only the payload has it (README).
    expect(Object.keys(start.env).filter((k) => k.startsWith('CODEX_'))).toEqual(
      expect.arrayContaining(['CODEX_MANAGED_BY_NPM']),
    );
    expect(Object.values(start.env)).not.toContain(start.payload.session_id);

    for (const [tool, name] of [
      ['Bash', 'PreToolUse-Bash'],
      ['apply_patch', 'PreToolUse-apply_patch'],
    ] as const) {
      const pre = recorded.find((r) => r.event === 'PreToolUse' && r.payload.tool_name === tool);
      expect(pre, `a PreToolUse of ${tool}`).toBeDefined();
      const expected = fixture(FIXTURES, name).payload;
      expect(shapeOf(pre!.payload), name).toEqual(shapeOf(expected));
      expect(stable(asFixture(sb, pre!.payload)), name).toEqual(stable(expected));
    }
    const mcpPre = recorded.find(
      (r) => r.event === 'PreToolUse' && r.payload.tool_name === 'mcp__probe__probe',
    );
    expect(mcpPre?.payload.tool_input).toEqual({ text: 'hello' });
    expect(fs.readFileSync(path.join(sb.project, 'src', 'a.js'), 'utf8')).toBe(
      A_JS.replace('return 1;', 'return 2;'),
    );

    // The SessionStart hook's context reached the model in the first request, as a developer message.
    expect(inputTexts(mock.turns[0]!.body, 'developer')).toContain(context);
    // The probe's tools were found by tool_search, called, and the result reached the model.
    const search = outputOf(mock.turns[3]!.body, 'call_mock3');
    expect(search).toMatchObject({
      type: 'tool_search_output',
      tools: [{ type: 'namespace', name: 'mcp__probe' }],
    });
    expect(search.tools[0].tools.map((t: Wire) => t.name)).toEqual(['probe']);
    expect(JSON.stringify(outputOf(mock.turns[4]!.body, 'call_mock4'))).toContain('probe: hello');
    expect(mcpCalls(run)).toEqual([
      expect.objectContaining({ server: 'probe', tool: 'probe', status: 'completed' }),
    ]);
    expect(mock.unexpected.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------ wfs

/** A project with an active session, the mock as Codex's model, and `wfs install codex` done. */
async function installed(sb: Sandbox, mock: MockModel): Promise<string> {
  writeCodexConfig(sb, mock);
  const sessionId = await startSession(sb, sb.project, 'fix the bug in a');
  const install = await wfsIn(sb, sb.project, ['install', 'codex']);
  expect(install.code, `wfs install codex: ${described(install)}`).toBe(0);
  return sessionId;
}

/** The config.toml files Codex reads for this project: the project's own, then the user's. */
function codexConfigs(sb: Sandbox): string[] {
  return [path.join(sb.project, '.codex', 'config.toml'), path.join(sb.home, '.codex', 'config.toml')]
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f, 'utf8'));
}

/** The instruction files `wfs install codex` may write (AGENTS.md, a skill) that mention wfs. */
function codexInstructions(sb: Sandbox): string[] {
  return filesMentioningWfs(
    ['AGENTS.md', 'AGENTS.override.md', '.codex/skills'].map((f) => path.join(sb.project, f)),
  );
}

function expectHookCallsExitedZero(sb: Sandbox): Wire[] {
  const calls = wfsCalls(sb).filter((c) => c.args.startsWith('hook'));
  expect(calls.length, 'no hook called `wfs` on PATH').toBeGreaterThan(0);
  for (const call of calls) expect(call.args).toBe('hook codex');
  expect(
    calls.filter((c) => c.code !== '0').map((c) => `${c.event?.hook_event_name}: exit ${c.code}`),
  ).toEqual([]);
  return calls.map((c) => c.event?.hook_event_name);
}

describe('wfs with Codex CLI (wfs install codex)', () => {
  it('installs its hooks, its [mcp_servers.wfs] entry and an instructions block', async (ctx) => {
    skipUnless(ctx, codex, wfsCommands);
    const sb = makeSandbox();
    const mock = await mockOf([]);
    await installed(sb, mock);
    const hooks = [path.join(sb.project, '.codex', 'hooks.json'), path.join(sb.home, '.codex', 'hooks.json')]
      .map(readJson)
      .find((h) => h?.hooks);
    expect(hooks, 'hooks in .codex/hooks.json or ~/.codex/hooks.json').toBeDefined();
    expect(Object.keys(hooks.hooks)).toContain('SessionStart');
    const commands: string[] = Object.values(hooks.hooks as Record<string, Wire[]>).flatMap((groups) =>
      groups.flatMap((g) => g.hooks.map((h: Wire) => h.command)),
    );
    for (const command of commands) expect(command).toMatch(/\bwfs hook codex\b/);
    expect(
      codexConfigs(sb).some((toml) => /^\[mcp_servers\.wfs\]$/m.test(toml)),
      'an [mcp_servers.wfs] table',
    ).toBe(true);
    expect(
      codexInstructions(sb).length,
      'an instructions block (AGENTS.md or a skill) mentions wfs',
    ).toBeGreaterThan(0);
  });

  it('runs every hook with exit 0; the first request has the session context and the instructions', async (ctx) => {
    const agent = skipUnless(ctx, codex, wfsCommands);
    const sb = makeSandbox();
    const mock = await mockOf([
      { tool: 'exec_command', input: { cmd: 'git status --short' } },
      { text: 'Done.' },
    ]);
    const sessionId = await installed(sb, mock);
    const run = await runCodex(agent, sb, { prompt: 'Look at the repository.' });
    expect(run.code, described(run)).toBe(0);
    const events = expectHookCallsExitedZero(sb);
    expect(events).toContain('SessionStart');
    const texts = inputTexts(mock.turns[0]!.body);
    expect(
      texts.some((t) => t.includes(sessionId)),
      `the session ID ${sessionId} is in the first request:\n${texts.join('\n---\n').slice(-3000)}`,
    ).toBe(true);
    expectInstructionsSent(codexInstructions(sb), mock.turns[0]!.body);
  });

  it('answers wfs_context and wfs_todos through MCP (found by tool_search) without an error', async (ctx) => {
    const agent = skipUnless(ctx, codex, wfsCommands);
    const sb = makeSandbox();
    const mock = await mockOf([
      { tool: 'tool_search', input: { query: 'wfs session context todos', limit: 8 } },
      { tool: 'wfs_context', namespace: 'mcp__wfs', input: {} },
      { tool: 'wfs_todos', namespace: 'mcp__wfs', input: {} },
      { text: 'Done.' },
    ]);
    const sessionId = await installed(sb, mock);
    await wfsIn(sb, sb.project, ['todo', 'add', 'write the failing test']);
    // exec asks nobody, so an MCP tool needs an approval: given here, whatever the entry says.
    const run = await runCodex(agent, sb, {
      prompt: 'What is the state of the work?',
      args: ['-c', 'mcp_servers.wfs.default_tools_approval_mode="approve"'],
    });
    expect(run.code, described(run)).toBe(0);
    const search = outputOf(mock.turns[1]!.body, 'call_mock1');
    const offered = (search?.tools ?? []).find((t: Wire) => t.name === 'mcp__wfs');
    expect(
      offered,
      `tool_search offered the mcp__wfs namespace: ${JSON.stringify(search)?.slice(0, 2000)}`,
    ).toBeDefined();
    expect(offered.tools.map((t: Wire) => t.name)).toEqual(
      expect.arrayContaining(['wfs_context', 'wfs_todos']),
    );
    const calls = mcpCalls(run);
    expect(calls.map((c) => [c.server, c.tool, c.status, c.error])).toEqual([
      ['wfs', 'wfs_context', 'completed', null],
      ['wfs', 'wfs_todos', 'completed', null],
    ]);
    expect(JSON.stringify(outputOf(mock.turns[2]!.body, 'call_mock2'))).toContain(sessionId);
    expect(JSON.stringify(outputOf(mock.turns[3]!.body, 'call_mock3'))).toContain('write the failing test');
  });
});
