/**
 * Claude Code 2.1.332 for real, offline (harness.ts): first the harness itself (a recording hook
 * and a probe MCP server of the test's own), then wfs as `wfs install claude` puts it in a project
 * (SPEC 7): its hooks, its MCP server and its edit guard, seen from the agent and from the model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  A_JS,
  addWorktree,
  agentAvailability,
  asFixture,
  claudeHookResponses,
  claudeToolResults,
  described,
  expectInstructionsSent,
  filesMentioningWfs,
  fixture,
  makeSandbox,
  PROBE_MCP,
  readJson,
  recordingHook,
  runClaude,
  type Sandbox,
  shapeOf,
  skipUnless,
  startSession,
  wfsAgentCommands,
  wfsCalls,
  wfsIn,
  writeJson,
} from './harness.js';
import { anthropicBlocks, type MockModel, type Step, startAnthropicMock, type Wire } from './mock-models.js';

const FIXTURES = 'claude-code-2.1.332';
const claude = await agentAvailability('claude');
const wfsCommands = wfsAgentCommands();

async function mockOf(steps: readonly Step[]): Promise<MockModel> {
  const mock = await startAnthropicMock(steps);
  onTestFinished(() => mock.close());
  return mock;
}

/** The first user message of a Messages API request: its text blocks. */
function firstUserTexts(body: Wire): string[] {
  const first = body.messages.find((m: Wire) => m.role === 'user');
  const content = typeof first.content === 'string' ? [{ type: 'text', text: first.content }] : first.content;
  return content.filter((b: Wire) => b.type === 'text').map((b: Wire) => b.text as string);
}

/** The payload minus what differs in every run (IDs, paths of the transcript). */
function stable(payload: Wire): Wire {
  const { session_id: _s, transcript_path: _t, prompt_id: _p, tool_use_id: _u, ...rest } = payload;
  return rest;
}

describe(`the harness runs Claude Code against the mock Messages API`, () => {
  it('records hook payloads shaped like the committed fixtures, and the model sees the hook context and MCP tools', async (ctx) => {
    const agent = skipUnless(ctx, claude);
    const sb = makeSandbox();
    const rec = recordingHook(sb);
    const context = 'HARNESS-CONTEXT-7f3a';
    const answer = JSON.stringify({
      hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: context },
    });
    const hook = (event: string, stdout?: string) => [
      { hooks: [{ type: 'command', command: rec.command(event, stdout) }] },
    ];
    const toolHook = (event: string) => [
      { matcher: '*', hooks: [{ type: 'command', command: rec.command(event) }] },
    ];
    writeJson(path.join(sb.project, '.claude', 'settings.local.json'), {
      hooks: {
        SessionStart: hook('SessionStart', answer),
        UserPromptSubmit: hook('UserPromptSubmit'),
        PreToolUse: toolHook('PreToolUse'),
        PostToolUse: toolHook('PostToolUse'),
        Stop: hook('Stop'),
        SessionEnd: hook('SessionEnd'),
      },
    });
    writeJson(path.join(sb.project, '.mcp.json'), {
      mcpServers: { probe: { command: process.execPath, args: [PROBE_MCP] } },
    });
    const a = path.join(sb.project, 'src', 'a.js');
    const taskCreate = fixture(FIXTURES, 'PreToolUse-TaskCreate').payload.tool_input;
    const mock = await mockOf([
      { tool: 'Read', input: { file_path: a } },
      {
        tool: 'Edit',
        input: { file_path: a, old_string: 'return 1;', new_string: 'return 2;', replace_all: false },
      },
      { tool: 'TaskCreate', input: taskCreate },
      { tool: 'mcp__probe__probe', input: { text: 'hello' } },
      { text: 'Done.' },
    ]);

    // Print mode grants no MCP tool by itself: without --allowedTools the call is denied.
    const run = await runClaude(agent, sb, mock, {
      prompt: 'Fix the bug in src/a.js. PLAN:edit',
      args: ['--allowedTools', 'mcp__probe__probe'],
    });
    expect(run.code, described(run)).toBe(0);

    const responses = claudeHookResponses(run);
    expect(new Set(responses.map((r) => r.hook_event))).toEqual(
      new Set(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']),
    );
    expect(responses.filter((r) => r.exit_code !== 0)).toEqual([]);

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
    expect(asFixture(sb, start.payload).transcript_path).toBe(
      `/home/dev/.claude/projects/-home-dev-proj/${start.payload.session_id}.jsonl`,
    );
    // Claude Code ends its payload with a newline, as in the recordings.
    expect(start.raw.endsWith('\n')).toBe(startFixture.raw.endsWith('\n'));
    // The environment the README describes (what `wfs hook claude` may rely on).
    expect(start.env).toMatchObject({
      CLAUDE_PROJECT_DIR: sb.project,
      CLAUDE_CODE_SESSION_ID: start.payload.session_id,
      CLAUDECODE: '1',
      CLAUDE_CODE_ENTRYPOINT: 'sdk-cli',
    });
    expect(start.env.CLAUDE_ENV_FILE).toContain(
      path.join(sb.home, '.claude', 'session-env', start.payload.session_id),
    );

    for (const [tool, name] of [
      ['Read', 'PreToolUse-Read'],
      ['Edit', 'PreToolUse-Edit'],
      ['TaskCreate', 'PreToolUse-TaskCreate'],
    ] as const) {
      const pre = recorded.find((r) => r.event === 'PreToolUse' && r.payload.tool_name === tool);
      expect(pre, `a PreToolUse of ${tool}`).toBeDefined();
      const expected = fixture(FIXTURES, name).payload;
      expect(shapeOf(pre!.payload), name).toEqual(shapeOf(expected));
      expect(stable(asFixture(sb, pre!.payload)), name).toEqual(stable(expected));
      expect(pre!.payload.session_id).toBe(start.payload.session_id);
    }
    const postCreate = recorded.find(
      (r) => r.event === 'PostToolUse' && r.payload.tool_name === 'TaskCreate',
    )!;
    expect(shapeOf(postCreate.payload)).toEqual(
      shapeOf(fixture(FIXTURES, 'PostToolUse-TaskCreate-1').payload),
    );
    expect(postCreate.payload.tool_response.task.id).toBe('1');

    // The SessionStart hook's context reached the model in the first user message.
    expect(firstUserTexts(mock.turns[0]!.body)).toContainEqual(
      expect.stringMatching(/^<system-reminder>\n.*HARNESS-CONTEXT-7f3a/s),
    );
    // The probe's MCP tool was offered, called, and its result reached the model.
    expect(mock.turns[0]!.body.tools.map((t: Wire) => t.name)).toContain('mcp__probe__probe');
    const result = anthropicBlocks(mock.turns.at(-1)!.body).find((b) => b.tool_use_id === 'toolu_mock4');
    expect(result?.type).toBe('tool_result');
    expect(result.is_error).toBeFalsy();
    expect(result.content).toContainEqual({ type: 'text', text: expect.stringMatching(/^probe: hello\s*$/) });
    expect(fs.readFileSync(path.join(sb.project, 'src', 'a.js'), 'utf8')).toBe(
      A_JS.replace('return 1;', 'return 2;'),
    );
    expect(mock.unexpected.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------ wfs

/** The wfs tools SPEC 7 lists, as Claude Code names MCP tools (`mcp__<server>__<tool>`). */
const WFS_TOOLS = ['context', 'sessions', 'session', 'phase', 'todos', 'checkpoint', 'claim', 'share'].map(
  (t) => `mcp__wfs__wfs_${t}`,
);

/** The instruction files `wfs install claude` may write (memory files, skills, commands) that mention wfs. */
function claudeInstructions(sb: Sandbox): string[] {
  return filesMentioningWfs(
    ['CLAUDE.md', 'CLAUDE.local.md', '.claude/CLAUDE.md', '.claude/skills', '.claude/commands'].map((f) =>
      path.join(sb.project, f),
    ),
  );
}

/** A sandbox whose project has an active session and `wfs install claude` done; returns its ID. */
async function installedIn(sb: Sandbox, project: string, description: string): Promise<string> {
  const sessionId = await startSession(sb, project, description);
  const install = await wfsIn(sb, project, ['install', 'claude']);
  expect(install.code, `wfs install claude: ${described(install)}`).toBe(0);
  return sessionId;
}

/** Every hook Claude Code ran exited 0, and so did every wfs call the hooks made through the shim. */
function expectHooksExitedZero(sb: Sandbox, run: Awaited<ReturnType<typeof runClaude>>): void {
  const responses = claudeHookResponses(run);
  expect(responses.length, 'Claude Code reported no hook at all').toBeGreaterThan(0);
  expect(
    responses.filter((r) => r.exit_code !== 0).map((r) => `${r.hook_name}: exit ${r.exit_code} ${r.stderr}`),
  ).toEqual([]);
  const calls = wfsCalls(sb).filter((c) => c.args.startsWith('hook'));
  expect(calls.length, 'no hook called `wfs` on PATH').toBeGreaterThan(0);
  expect(
    calls.filter((c) => c.code !== '0').map((c) => `${c.args} ${c.event?.hook_event_name}: exit ${c.code}`),
  ).toEqual([]);
}

describe('wfs with Claude Code (wfs install claude)', () => {
  it('installs its hooks in .claude/settings.local.json, its MCP server in .mcp.json, and an instructions block', async (ctx) => {
    skipUnless(ctx, claude, wfsCommands);
    const sb = makeSandbox();
    await installedIn(sb, sb.project, 'fix the bug in a');
    const settings = readJson(path.join(sb.project, '.claude', 'settings.local.json'));
    expect(Object.keys(settings?.hooks ?? {})).toEqual(
      expect.arrayContaining(['SessionStart', 'PreToolUse']),
    );
    const commands: string[] = Object.values(settings.hooks as Record<string, Wire[]>).flatMap((groups) =>
      groups.flatMap((g) => g.hooks.map((h: Wire) => h.command)),
    );
    for (const command of commands) expect(command).toMatch(/\bwfs hook claude\b/);
    const edits = settings.hooks.PreToolUse.map((g: Wire) => g.matcher ?? '');
    expect(
      edits.some((m: string) => m === '*' || new RegExp(`^(?:${m})$`).test('Edit')),
      `a PreToolUse matcher covers Edit: ${edits}`,
    ).toBe(true);
    const server = readJson(path.join(sb.project, '.mcp.json'))?.mcpServers?.wfs;
    expect(server, '.mcp.json has mcpServers.wfs').toBeDefined();
    expect([server.command, ...(server.args ?? [])].join(' ')).toMatch(/\bwfs\b.*\bmcp\b/);
    expect(
      claudeInstructions(sb).length,
      'an instructions block (CLAUDE.md, CLAUDE.local.md, a skill or a command) mentions wfs',
    ).toBeGreaterThan(0);
    expect(readJson(path.join(sb.project, '.workflow', '.install', 'manifest.json'))).toBeDefined();
  });

  it('runs every hook with exit 0; the first request has the session context, the wfs tools and the instructions', async (ctx) => {
    const agent = skipUnless(ctx, claude, wfsCommands);
    const sb = makeSandbox();
    const sessionId = await installedIn(sb, sb.project, 'fix the bug in a');
    const mock = await mockOf([
      { tool: 'Read', input: { file_path: path.join(sb.project, 'src', 'a.js') } },
      { text: 'Done.' },
    ]);
    const run = await runClaude(agent, sb, mock, { prompt: 'Look at src/a.js.' });
    expect(run.code, described(run)).toBe(0);
    expectHooksExitedZero(sb, run);
    expect(claudeHookResponses(run).map((r) => r.hook_event)).toContain('SessionStart');

    const texts = firstUserTexts(mock.turns[0]!.body);
    expect(
      texts.some((t) => t.startsWith('<system-reminder>') && t.includes(sessionId)),
      `the session ID ${sessionId} is in a <system-reminder> of the first user message:\n${texts.join('\n---\n').slice(0, 3000)}`,
    ).toBe(true);
    const tools: string[] = mock.turns[0]!.body.tools.map((t: Wire) => t.name);
    expect(tools).toEqual(expect.arrayContaining(WFS_TOOLS));
    expectInstructionsSent(claudeInstructions(sb), mock.turns[0]!.body);
  });

  it('keeps the session todos in step with TodoWrite (CLAUDE_CODE_ENABLE_TASKS=0)', async (ctx) => {
    const agent = skipUnless(ctx, claude, wfsCommands);
    const sb = makeSandbox();
    const sessionId = await installedIn(sb, sb.project, 'fix the bug in a');
    const initial = fixture(FIXTURES, 'PreToolUse-TodoWrite').payload.tool_input;
    const progress = fixture(FIXTURES, 'PostToolUse-TodoWrite-progress').payload.tool_input;
    const mock = await mockOf([
      { tool: 'TodoWrite', input: initial },
      { tool: 'TodoWrite', input: progress },
      { text: 'Done.' },
    ]);
    const run = await runClaude(agent, sb, mock, {
      prompt: 'Plan the fix and track todos.',
      env: { CLAUDE_CODE_ENABLE_TASKS: '0' },
    });
    expect(run.code, described(run)).toBe(0);
    expect(mock.turns[0]!.body.tools.map((t: Wire) => t.name)).toContain('TodoWrite');
    expectHooksExitedZero(sb, run);
    const list = await wfsIn(sb, sb.project, ['todo', 'list', '--json', '--session', sessionId]);
    expect(list.code, described(list)).toBe(0);
    expect(JSON.parse(list.stdout).todos.map((t: Wire) => [t.content, t.status])).toEqual([
      ['Write failing test', 'completed'],
      ['Implement fix', 'in_progress'],
    ]);
  });

  it('keeps the session todos in step with TaskCreate and TaskUpdate', async (ctx) => {
    const agent = skipUnless(ctx, claude, wfsCommands);
    const sb = makeSandbox();
    const sessionId = await installedIn(sb, sb.project, 'fix the bug in a');
    const mock = await mockOf([
      { tool: 'TaskCreate', input: fixture(FIXTURES, 'PreToolUse-TaskCreate').payload.tool_input },
      { tool: 'TaskCreate', input: fixture(FIXTURES, 'PostToolUse-TaskCreate-2').payload.tool_input },
      { tool: 'TaskUpdate', input: { taskId: '1', status: 'in_progress' } },
      { tool: 'TaskUpdate', input: { taskId: '1', status: 'completed' } },
      { tool: 'TaskUpdate', input: { taskId: '2', status: 'in_progress' } },
      { text: 'Done.' },
    ]);
    const run = await runClaude(agent, sb, mock, { prompt: 'Track the work as tasks.' });
    expect(run.code, described(run)).toBe(0);
    expectHooksExitedZero(sb, run);
    const results = claudeToolResults(run);
    expect([...results.values()].filter((r) => r.is_error)).toEqual([]);
    const list = await wfsIn(sb, sb.project, ['todo', 'list', '--json', '--session', sessionId]);
    expect(list.code, described(list)).toBe(0);
    expect(JSON.parse(list.stdout).todos.map((t: Wire) => [t.content, t.status])).toEqual([
      ['Write failing test', 'completed'],
      ['Update the changelog', 'in_progress'],
    ]);
  });

  it('answers wfs_context and wfs_todos through MCP without an error', async (ctx) => {
    const agent = skipUnless(ctx, claude, wfsCommands);
    const sb = makeSandbox();
    const sessionId = await installedIn(sb, sb.project, 'fix the bug in a');
    await wfsIn(sb, sb.project, ['todo', 'add', 'write the failing test']);
    const mock = await mockOf([
      { tool: 'mcp__wfs__wfs_context', input: {} },
      { tool: 'mcp__wfs__wfs_todos', input: {} },
      { text: 'Done.' },
    ]);
    // Print mode asks nobody, so an MCP tool needs a grant: given here, whatever the settings say.
    const run = await runClaude(agent, sb, mock, {
      prompt: 'What is the state of the work?',
      args: ['--allowedTools', 'mcp__wfs__wfs_context,mcp__wfs__wfs_todos'],
    });
    expect(run.code, described(run)).toBe(0);
    const system = run.lines.find((l) => l.type === 'system' && l.subtype === 'init');
    expect(system?.mcp_servers).toContainEqual(expect.objectContaining({ name: 'wfs', status: 'connected' }));
    const last = mock.turns.at(-1)!.body;
    const context = anthropicBlocks(last).find((b) => b.tool_use_id === 'toolu_mock1');
    const todos = anthropicBlocks(last).find((b) => b.tool_use_id === 'toolu_mock2');
    for (const [name, result] of [
      ['wfs_context', context],
      ['wfs_todos', todos],
    ] as const) {
      expect(result, `${name}'s result reached the model`).toBeDefined();
      expect(result.is_error, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
    }
    expect(JSON.stringify(context.content)).toContain(sessionId);
    expect(JSON.stringify(todos.content)).toContain('write the failing test');
  });

  it('asks before an edit of a path that another live session has edited, naming that session', async (ctx) => {
    const agent = skipUnless(ctx, claude, wfsCommands);
    const sb = makeSandbox();
    const mine = await installedIn(sb, sb.project, 'fix the bug in a');
    const otherDir = addWorktree(sb, 'proj-other');
    const other = await installedIn(sb, otherDir, 'refactor a');

    // The other session's agent edits src/a.js in its worktree and is still at work (its last answer
    // is held) while this session's agent goes for the same file.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const otherA = path.join(otherDir, 'src', 'a.js');
    const otherMock = await mockOf([
      { tool: 'Read', input: { file_path: otherA } },
      {
        tool: 'Edit',
        input: { file_path: otherA, old_string: 'return 1;', new_string: 'return 3;', replace_all: false },
      },
      { text: 'Done.', after: held },
    ]);
    const otherRun = runClaude(agent, sb, otherMock, { prompt: 'Refactor src/a.js.', cwd: otherDir });
    onTestFinished(() => release());
    // Its third request comes once its Edit and the hooks around it are done.
    await Promise.race([
      otherMock.untilTurns(3),
      otherRun.then((r) => {
        throw new Error(`the other session's agent ended before its edit: ${described(r)}`);
      }),
    ]);

    const a = path.join(sb.project, 'src', 'a.js');
    const mock = await mockOf([
      { tool: 'Read', input: { file_path: a } },
      {
        tool: 'Edit',
        input: { file_path: a, old_string: 'return 1;', new_string: 'return 2;', replace_all: false },
      },
      { text: 'Done.' },
    ]);
    const run = await runClaude(agent, sb, mock, { prompt: 'Fix the bug in src/a.js.' });
    release();
    const otherDone = await otherRun;
    expect(otherDone.code, described(otherDone)).toBe(0);
    expect(run.code, described(run)).toBe(0);
    expectHooksExitedZero(sb, run);

    const decisionOf = (response: Wire) => {
      try {
        return JSON.parse(response.stdout)?.hookSpecificOutput;
      } catch {
        return undefined;
      }
    };
    const guard = claudeHookResponses(run)
      .filter((r) => r.hook_name === 'PreToolUse:Edit')
      .map(decisionOf)
      .find((d) => d?.permissionDecision);
    expect(
      guard,
      `a PreToolUse:Edit answer with a permissionDecision (the edit guard of ${mine})`,
    ).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
    });
    expect(guard.permissionDecisionReason).toContain(other);
    // Print mode has nobody to ask, so "ask" is a refusal: the file is as it was.
    expect(fs.readFileSync(a, 'utf8')).toBe(A_JS);
    // The other agent's edit met no other session and was not questioned.
    const otherDecisions = claudeHookResponses(otherDone)
      .filter((r) => r.hook_name === 'PreToolUse:Edit')
      .map((r) => decisionOf(r)?.permissionDecision);
    expect(otherDecisions).not.toContain('ask');
    expect(fs.readFileSync(otherA, 'utf8')).toBe(A_JS.replace('return 1;', 'return 3;'));
  });
});
