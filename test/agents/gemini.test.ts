/**
 * Gemini CLI 0.61.0 for real, offline (harness.ts): first the harness itself (a recording hook and
 * a probe MCP server of the test's own), then wfs as `wfs install gemini` puts it in a project
 * (SPEC 7). Gemini CLI wants JSON on every hook's stdout, reports hooks in neither output, and
 * names MCP tools `mcp_<server>_<tool>`; a SessionStart hook's context reaches the model inside the
 * first user message as `<hook_context>...</hook_context>`.
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
  runGemini,
  type Sandbox,
  shapeOf,
  skipUnless,
  startSession,
  wfsAgentCommands,
  wfsCalls,
  wfsIn,
  writeGeminiSettings,
  writeJson,
} from './harness.js';
import { type MockModel, type Step, startGeminiMock, type Wire } from './mock-models.js';

const FIXTURES = 'gemini-0.61.0';
const gemini = await agentAvailability('gemini');
const wfsCommands = wfsAgentCommands();

async function mockOf(steps: readonly Step[]): Promise<MockModel> {
  const mock = await startGeminiMock(steps);
  onTestFinished(() => mock.close());
  return mock;
}

/** Every text part of the first user content of a generateContent request. */
function firstUserTexts(body: Wire): string[] {
  const first = (body.contents ?? []).find((c: Wire) => c.role === 'user');
  return (first?.parts ?? []).map((p: Wire) => p.text ?? '');
}

/** The function names offered in a generateContent request. */
function offered(body: Wire): string[] {
  return (body.tools ?? []).flatMap((t: Wire) => (t.functionDeclarations ?? []).map((f: Wire) => f.name));
}

/** stream-json's tool results, by the tool's name. */
function toolResults(run: AgentRun): { name: string; status: string; output?: string }[] {
  const names = new Map(run.lines.filter((l) => l.type === 'tool_use').map((l) => [l.tool_id, l.tool_name]));
  return run.lines
    .filter((l) => l.type === 'tool_result')
    .map((l) => ({ name: names.get(l.tool_id), status: l.status, output: l.output }));
}

function stable(payload: Wire): Wire {
  const { session_id: _s, transcript_path: _p, timestamp: _t, ...rest } = payload;
  return rest;
}

describe('the harness runs Gemini CLI against the mock generateContent API', () => {
  it('records hook payloads shaped like the committed fixtures, and the model sees the hook context and MCP tools', async (ctx) => {
    const agent = skipUnless(ctx, gemini);
    const sb = makeSandbox();
    writeGeminiSettings(sb);
    const rec = recordingHook(sb);
    const context = 'HARNESS-CONTEXT-9e41';
    const answer = JSON.stringify({
      hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: context },
    });
    const hook = (event: string, stdout = '{}', matcher?: string) => [
      {
        ...(matcher ? { matcher } : {}),
        hooks: [
          { name: `rec-${event}`, type: 'command', command: rec.command(event, stdout), timeout: 10000 },
        ],
      },
    ];
    writeJson(path.join(sb.project, '.gemini', 'settings.json'), {
      hooks: {
        SessionStart: hook('SessionStart', answer),
        BeforeAgent: hook('BeforeAgent'),
        BeforeTool: hook('BeforeTool', '{}', '.*'),
        AfterTool: hook('AfterTool', '{}', '.*'),
        AfterAgent: hook('AfterAgent'),
        SessionEnd: hook('SessionEnd'),
      },
      mcpServers: { probe: { command: process.execPath, args: [PROBE_MCP] } },
    });
    const todos = fixture(FIXTURES, 'BeforeTool-write_todos').payload.tool_input;
    const replace = fixture(FIXTURES, 'BeforeTool-replace').payload.tool_input;
    const mock = await mockOf([
      { tool: 'write_todos', input: todos },
      { tool: 'replace', input: { ...replace, file_path: path.join(sb.project, 'src', 'a.js') } },
      { tool: 'mcp_probe_probe', input: { text: 'hello' } },
      { text: 'Done.' },
    ]);
    const run = await runGemini(agent, sb, mock, { prompt: 'Track the work. PLAN:todos' });
    expect(run.code, described(run)).toBe(0);

    const recorded = rec.read();
    expect(recorded.map((r) => r.event)).toEqual(
      expect.arrayContaining([
        'SessionStart',
        'BeforeAgent',
        'BeforeTool',
        'AfterTool',
        'AfterAgent',
        'SessionEnd',
      ]),
    );
    const start = recorded.find((r) => r.event === 'SessionStart')!;
    const startFixture = fixture(FIXTURES, 'SessionStart-startup');
    expect(shapeOf(start.payload)).toEqual(shapeOf(startFixture.payload));
    expect(stable(asFixture(sb, start.payload))).toEqual(stable(startFixture.payload));
    expect(start.raw.endsWith('\n')).toBe(startFixture.raw.endsWith('\n'));
    expect(start.env).toMatchObject({
      GEMINI_PROJECT_DIR: sb.project,
      GEMINI_SESSION_ID: start.payload.session_id,
      CLAUDE_PROJECT_DIR: sb.project,
    });
    for (const [tool, name] of [
      ['write_todos', 'BeforeTool-write_todos'],
      ['replace', 'BeforeTool-replace'],
    ] as const) {
      const before = recorded.find((r) => r.event === 'BeforeTool' && r.payload.tool_name === tool);
      expect(before, `a BeforeTool of ${tool}`).toBeDefined();
      const expected = fixture(FIXTURES, name).payload;
      expect(shapeOf(before!.payload), name).toEqual(shapeOf(expected));
      expect(stable(asFixture(sb, before!.payload)), name).toEqual(stable(expected));
    }
    expect(fs.readFileSync(path.join(sb.project, 'src', 'a.js'), 'utf8')).toBe(
      A_JS.replace('return 1;', 'return 2;'),
    );

    expect(firstUserTexts(mock.turns[0]!.body).join('\n')).toContain(
      `<hook_context>${context}</hook_context>`,
    );
    expect(offered(mock.turns[0]!.body)).toEqual(expect.arrayContaining(['write_todos', 'mcp_probe_probe']));
    expect(toolResults(run).map((r) => [r.name, r.status])).toEqual([
      ['write_todos', 'success'],
      ['replace', 'success'],
      ['mcp_probe_probe', 'success'],
    ]);
    expect(JSON.stringify(mock.turns[3]!.body.contents.at(-1))).toContain('probe: hello');
  });
});

// ------------------------------------------------------------------------------------ wfs

/** The instruction files `wfs install gemini` may write (GEMINI.md, a custom command) that mention wfs. */
function geminiInstructions(sb: Sandbox): string[] {
  return filesMentioningWfs(
    ['GEMINI.md', '.gemini/GEMINI.md', '.gemini/commands'].map((f) => path.join(sb.project, f)),
  );
}

async function installed(sb: Sandbox): Promise<string> {
  writeGeminiSettings(sb);
  const sessionId = await startSession(sb, sb.project, 'fix the bug in a');
  const install = await wfsIn(sb, sb.project, ['install', 'gemini']);
  expect(install.code, `wfs install gemini: ${described(install)}`).toBe(0);
  return sessionId;
}

describe('wfs with Gemini CLI (wfs install gemini)', () => {
  it('installs its hooks and MCP server in .gemini/settings.json, and an instructions block', async (ctx) => {
    skipUnless(ctx, gemini, wfsCommands);
    const sb = makeSandbox();
    await installed(sb);
    const settings = readJson(path.join(sb.project, '.gemini', 'settings.json'));
    expect(Object.keys(settings?.hooks ?? {})).toContain('SessionStart');
    const hooks: Wire[] = Object.values(settings.hooks as Record<string, Wire[]>).flatMap((groups) =>
      groups.flatMap((g) => g.hooks),
    );
    for (const hook of hooks) {
      expect(hook.command).toMatch(/\bwfs hook gemini\b/);
      expect(typeof hook.name, 'Gemini CLI wants a name on each hook').toBe('string');
    }
    const server = settings.mcpServers?.wfs;
    expect(server, 'mcpServers.wfs').toBeDefined();
    expect([server.command, ...(server.args ?? [])].join(' ')).toMatch(/\bwfs\b.*\bmcp\b/);
    expect(
      geminiInstructions(sb).length,
      'an instructions block (GEMINI.md or a command) mentions wfs',
    ).toBeGreaterThan(0);
  });

  it('runs every hook with exit 0; the model gets the session context and the instructions; write_todos lands in the session; wfs_context answers through MCP', async (ctx) => {
    const agent = skipUnless(ctx, gemini, wfsCommands);
    const sb = makeSandbox();
    const sessionId = await installed(sb);
    const mock = await mockOf([
      { tool: 'write_todos', input: fixture(FIXTURES, 'AfterTool-write_todos-initial').payload.tool_input },
      { tool: 'write_todos', input: fixture(FIXTURES, 'AfterTool-write_todos-progress').payload.tool_input },
      { tool: 'mcp_wfs_wfs_context', input: {} },
      { text: 'Done.' },
    ]);
    const run = await runGemini(agent, sb, mock, { prompt: 'Track the work.' });
    expect(run.code, described(run)).toBe(0);

    const calls = wfsCalls(sb).filter((c) => c.args.startsWith('hook'));
    expect(calls.length, 'no hook called `wfs` on PATH').toBeGreaterThan(0);
    expect(
      calls.filter((c) => c.code !== '0').map((c) => `${c.event?.hook_event_name}: exit ${c.code}`),
    ).toEqual([]);
    expect(calls.map((c) => c.event?.hook_event_name)).toContain('SessionStart');

    const texts = firstUserTexts(mock.turns[0]!.body);
    expect(
      texts.some((t) => t.includes(sessionId)),
      `the session ID ${sessionId} is in the first user message`,
    ).toBe(true);
    expectInstructionsSent(geminiInstructions(sb), mock.turns[0]!.body);
    expect(offered(mock.turns[0]!.body)).toEqual(
      expect.arrayContaining(['mcp_wfs_wfs_context', 'mcp_wfs_wfs_todos']),
    );
    expect(toolResults(run).map((r) => [r.name, r.status])).toEqual([
      ['write_todos', 'success'],
      ['write_todos', 'success'],
      ['mcp_wfs_wfs_context', 'success'],
    ]);
    expect(JSON.stringify(mock.turns[3]!.body.contents.at(-1))).toContain(sessionId);

    const list = await wfsIn(sb, sb.project, ['todo', 'list', '--json', '--session', sessionId]);
    expect(list.code, described(list)).toBe(0);
    const progress = fixture(FIXTURES, 'AfterTool-write_todos-progress').payload.tool_input.todos;
    expect(JSON.parse(list.stdout).todos.map((t: Wire) => [t.content, t.status])).toEqual(
      progress.map((t: Wire) => [t.description, t.status]),
    );
  });
});
