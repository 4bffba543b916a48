import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LOG_MAX_BYTES, logHookFailure } from '../../src/agents/log.js';
import { openCoordinator } from '../../src/coord/open.js';
import { openProject } from '../../src/store/project.js';
import { cli } from '../cli.js';
import { CLI, makeRepo, type Run, tempDir, wfs } from '../helpers.js';
import { agentEnv, type FixtureAgent, fixtureNames, payload } from './fixtures.js';

/**
 * `wfs hook claude|codex|gemini` fed the recorded payloads of the real agents (test/fixtures/agents):
 * exit 0 always, stdout exactly what the agent accepts, and what each event does to the session.
 */

async function project(description = 'fix the bug in a'): Promise<string> {
  const root = makeRepo({ 'src/a.js': 'export function a() {\n  return 1;\n}\n' });
  const started = await cli(root, ['session', 'start', '--new', description]);
  expect(started.code, started.stderr).toBe(0);
  return root;
}

/** What the agent sees of a hook call: its exit code, stdout and stderr. */
async function seen(run: Promise<Run>): Promise<Run> {
  const { code, stdout, stderr } = await run;
  return { code, stdout, stderr };
}

function hook(
  agent: FixtureAgent,
  root: string,
  name: string,
  options: { session?: string; env?: NodeJS.ProcessEnv; home?: string } = {},
): Promise<Run> {
  const input = payload(agent, name, root, options);
  return seen(
    cli(root, ['hook', agent], { input, env: { ...agentEnv(agent, root, input), ...options.env } }),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON documents, read by the assertions
type Json = any;

async function json(
  root: string,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Record<string, Json>> {
  const run = await cli(root, [...argv, '--json'], { env });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

/** What each agent accepts on stdout: nothing, or one JSON document of the right shape. */
function expectAccepted(agent: FixtureAgent, name: string, run: Run): void {
  expect(run.code, `${agent} ${name}: ${run.stderr}`).toBe(0);
  if (run.stdout === '') return;
  expect(run.stdout.endsWith('\n')).toBe(true);
  const answer = JSON.parse(run.stdout);
  if (agent === 'gemini' && 'decision' in answer) {
    expect(Object.keys(answer).sort()).toEqual(['decision', 'reason', 'systemMessage']);
    return;
  }
  expect(Object.keys(answer)).toEqual(['hookSpecificOutput']);
  const event = JSON.parse(payload(agent, name, '/p')).hook_event_name;
  expect(answer.hookSpecificOutput.hookEventName).toBe(event);
  if (event === 'SessionStart')
    expect(answer.hookSpecificOutput.additionalContext.length).toBeLessThanOrEqual(9_500);
  else expect(['ask', 'deny']).toContain(answer.hookSpecificOutput.permissionDecision);
}

describe('every recorded event of every agent', () => {
  for (const agent of ['claude', 'codex', 'gemini'] as const)
    it(`${agent}: exit 0 and an answer the agent accepts, for each of its ${fixtureNames(agent).length} events`, async () => {
      const root = await project();
      for (const name of fixtureNames(agent)) expectAccepted(agent, name, await hook(agent, root, name));
      const log = path.join(root, '.workflow', 'logs', 'hooks.log');
      expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').toBe('');
    });
});

describe('a conversation bound to its session', () => {
  it('SessionStart binds the conversation to the active session and injects its context, facts only', async () => {
    const root = await project();
    const run = await hook('claude', root, 'SessionStart-startup');
    const context = JSON.parse(run.stdout).hookSpecificOutput.additionalContext as string;
    expect(context).toContain('works on session WFS-fix-the-bug-in-a');
    expect(context).toContain('# wfs context');
    expect(context.length).toBeLessThan(3_000);
    const shown = await json(root, ['session', 'show']);
    expect(shown.session.conversations).toEqual([
      {
        agent: 'claude',
        conversation_id: '864496ed-8df3-4ccc-98d6-ad3dd4d13274',
        bound_at: expect.any(String),
        ended_at: null,
      },
    ]);
    const live = await (await openCoordinator(openProject({ cwd: root }))).liveSessions();
    expect(live.map((p) => p.session)).toEqual(['WFS-fix-the-bug-in-a']);
  });

  it('keeps the todos in step with TodoWrite', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    for (const name of ['PostToolUse-TodoWrite-initial', 'PostToolUse-TodoWrite-progress'])
      expect((await hook('claude', root, name)).code).toBe(0);
    const todos = (await json(root, ['todo', 'list'])).todos;
    expect(todos.map((t: Json) => [t.content, t.status])).toEqual([
      ['Write failing test', 'completed'],
      ['Implement fix', 'in_progress'],
    ]);
  });

  it('keeps the todos in step with TaskCreate and TaskUpdate, a deleted task removed (its ID only in tool_response.task.id)', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    for (const name of [
      'PostToolUse-TaskCreate-1',
      'PostToolUse-TaskCreate-2',
      'PostToolUse-TaskUpdate-in_progress',
      'PostToolUse-TaskUpdate-completed',
    ])
      expect((await hook('claude', root, name)).code).toBe(0);
    let todos = (await json(root, ['todo', 'list'])).todos;
    expect(todos.map((t: Json) => [t.content, t.status])).toEqual([
      ['Write failing test', 'completed'],
      ['Update the changelog', 'pending'],
    ]);
    await hook('claude', root, 'PostToolUse-TaskUpdate-deleted');
    todos = (await json(root, ['todo', 'list'])).todos;
    expect(todos.map((t: Json) => [t.content, t.status])).toEqual([['Write failing test', 'completed']]);
    // Completing a task is a milestone, as `wfs todo done` is.
    expect((await json(root, ['session', 'show'])).session.last_checkpoint.trigger).toBe('todo_milestone');
  });

  it("keeps the todos in step with Gemini CLI's write_todos", async () => {
    const root = await project();
    await hook('gemini', root, 'SessionStart-startup');
    await hook('gemini', root, 'AfterTool-write_todos-initial');
    await hook('gemini', root, 'AfterTool-write_todos-progress');
    expect((await json(root, ['todo', 'list'])).todos.map((t: Json) => [t.content, t.status])).toEqual([
      ['Write failing test', 'completed'],
      ['Implement fix', 'in_progress'],
    ]);
  });

  it('saves a compact checkpoint on compaction and a session_end one at the end, and the presence ends with the conversation', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    await hook('claude', root, 'PreCompact-manual-instructions');
    const last = (await json(root, ['session', 'show'])).session.last_checkpoint;
    expect(last.trigger).toBe('compact');
    await hook('claude', root, 'SessionEnd-other');
    const shown = (await json(root, ['session', 'show'])).session;
    expect(shown.last_checkpoint.trigger).toBe('session_end');
    const live = await (await openCoordinator(openProject({ cwd: root }))).liveSessions();
    expect(live).toEqual([]);
    expect((await json(root, ['context'])).conversations).toEqual([]);
    // A resumed conversation comes back to its session.
    const resumed = await hook('claude', root, 'SessionStart-resume');
    expect(JSON.parse(resumed.stdout).hookSpecificOutput.additionalContext).toContain('WFS-fix-the-bug-in-a');
    expect((await json(root, ['context'])).conversations).toEqual([
      expect.objectContaining({
        conversation_id: '864496ed-8df3-4ccc-98d6-ad3dd4d13274',
        session: 'WFS-fix-the-bug-in-a',
      }),
    ]);
  });

  it('reads the session file once at the end of a conversation (the checkpoint, the binding ended, the others counted)', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    const open = vi.spyOn(fs, 'openSync');
    let reads: number;
    try {
      expect((await hook('claude', root, 'SessionEnd-other')).code).toBe(0);
      reads = open.mock.calls.filter(
        ([file]) => path.basename(String(file)) === 'workflow-session.json',
      ).length;
    } finally {
      open.mockRestore();
    }
    // Three before: the binding checked, the checkpoint's load, and the count of the others.
    expect(reads).toBe(1);
    expect((await json(root, ['session', 'show'])).session.last_checkpoint.trigger).toBe('session_end');
    expect(await (await openCoordinator(openProject({ cwd: root }))).liveSessions()).toEqual([]);
    expect((await json(root, ['context'])).conversations).toEqual([]);
    // Ended already: nothing more to end, no session to checkpoint.
    const revision = (await json(root, ['session', 'show'])).session.revision;
    expect((await hook('claude', root, 'SessionEnd-other')).code).toBe(0);
    expect((await json(root, ['session', 'show'])).session.revision).toBe(revision);
  });

  it("Gemini CLI's PreCompress with trigger auto (fired before every model call) saves no checkpoint; manual does", async () => {
    const root = await project();
    await hook('gemini', root, 'SessionStart-startup');
    await hook('gemini', root, 'PreCompress-auto');
    expect((await json(root, ['session', 'show'])).session.last_checkpoint).toBeNull();
    await hook('gemini', root, 'PreCompress-manual');
    expect((await json(root, ['session', 'show'])).session.last_checkpoint.trigger).toBe('compact');
  });

  it('the CLI run from the conversation (CLAUDE_CODE_SESSION_ID) acts on its session, not on the active one', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    const other = await cli(root, ['session', 'start', '--new', 'another task']);
    expect(other.code).toBe(0);
    const env = { CLAUDE_CODE_SESSION_ID: '864496ed-8df3-4ccc-98d6-ad3dd4d13274' };
    expect((await cli(root, ['todo', 'add', 'from the conversation'], { env })).code).toBe(0);
    expect((await json(root, ['todo', 'list', '--session', 'WFS-fix-the-bug-in-a'])).todos).toHaveLength(1);
    expect((await json(root, ['todo', 'list'])).todos).toHaveLength(0);
  });
});

describe('a second live conversation', () => {
  const A = '864496ed-8df3-4ccc-98d6-ad3dd4d13274';
  const B = '39c9fb55-0000-4000-8000-00000000000b';

  it('is told the active session belongs to another live conversation, is not bound, and writes nothing into it', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    const second = await hook('claude', root, 'SessionStart-startup', { session: B });
    const context = JSON.parse(second.stdout).hookSpecificOutput.additionalContext as string;
    expect(context).toContain(
      `the active session WFS-fix-the-bug-in-a is the session of another live Claude Code conversation (${A}`,
    );
    expect(context).toContain('wfs session start --new');
    await hook('claude', root, 'PostToolUse-TodoWrite-initial', { session: B });
    expect((await json(root, ['todo', 'list'])).todos).toEqual([]);
    // Its commands are refused, with how to start a session of its own (exit 4: another holds the work).
    const refused = await cli(root, ['todo', 'add', 'mine'], { env: { CLAUDE_CODE_SESSION_ID: B } });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(
      /^ERROR: WFS-fix-the-bug-in-a is the session of the live claude conversation .*wfs session start --new/,
    );
    // A session of its own: bound to it, and the first conversation keeps its own.
    const own = await json(root, ['session', 'start', '--new', 'my own task'], { CLAUDE_CODE_SESSION_ID: B });
    expect(own.bound_conversation).toEqual({ agent: 'claude', conversation_id: B });
    await hook('claude', root, 'PostToolUse-TodoWrite-initial', { session: B });
    expect((await json(root, ['todo', 'list', '--session', own.session_id])).todos).toHaveLength(2);
    expect((await json(root, ['todo', 'list', '--session', 'WFS-fix-the-bug-in-a'])).todos).toEqual([]);
    const mine = await json(root, ['todo', 'list'], { CLAUDE_CODE_SESSION_ID: A });
    expect(mine.session_id).toBe('WFS-fix-the-bug-in-a');
    // wfs context shows who else works where.
    const seen = await json(root, ['context'], { CLAUDE_CODE_SESSION_ID: A });
    expect(seen.conversations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          agent: 'claude',
          conversation_id: A,
          session: 'WFS-fix-the-bug-in-a',
          you: true,
        }),
        expect.objectContaining({ agent: 'claude', conversation_id: B, session: own.session_id, you: false }),
      ]),
    );
  });

  it('--auto from a conversation reuses no session another live conversation is bound to', async () => {
    const root = await project();
    await hook('claude', root, 'SessionStart-startup');
    const started = await json(root, ['session', 'start', '--auto', 'fix the bug in a'], {
      CLAUDE_CODE_SESSION_ID: B,
    });
    expect(started.decision).toBe('created');
    expect(started.warnings).toContain(
      `WFS-fix-the-bug-in-a is the session of the live claude conversation ${A}: not reused`,
    );
  });

  it('is asked before it edits a file the first one edited (Claude Code ask, Gemini CLI ask, Codex deny once)', async () => {
    for (const agent of ['claude', 'gemini', 'codex'] as const) {
      const root = await project();
      const [pre, post, start] =
        agent === 'claude'
          ? ['PreToolUse-Edit', 'PostToolUse-Edit', 'SessionStart-startup']
          : agent === 'gemini'
            ? ['BeforeTool-replace', 'AfterTool-replace', 'SessionStart-startup']
            : ['PreToolUse-apply_patch', 'PostToolUse-apply_patch', 'SessionStart-startup'];
      await hook(agent, root, start);
      expect((await hook(agent, root, pre)).stdout).toBe('');
      await hook(agent, root, post);
      const claims = await json(root, ['claim', 'list']);
      expect(claims.claims).toEqual([
        expect.objectContaining({ session: 'WFS-fix-the-bug-in-a', paths: ['src/a.js'], live: true }),
      ]);

      await json(
        root,
        ['session', 'start', '--new', 'refactor a'],
        agent === 'codex' ? {} : agentEnv(agent, root, payload(agent, start, root, { session: B })),
      );
      await hook(agent, root, start, { session: B });
      const asked = await hook(agent, root, pre, { session: B });
      expect(asked.code).toBe(0);
      const answer = JSON.parse(asked.stdout);
      const reason = agent === 'gemini' ? answer.reason : answer.hookSpecificOutput.permissionDecisionReason;
      expect(agent === 'gemini' ? answer.decision : answer.hookSpecificOutput.permissionDecision).toBe(
        agent === 'codex' ? 'deny' : 'ask',
      );
      expect(reason).toContain('src/a.js');
      expect(reason).toContain('WFS-fix-the-bug-in-a');
      // Gemini CLI puts the systemMessage (not the reason) in the question it asks its person.
      if (agent === 'gemini') expect(answer.systemMessage).toBe(reason);
      const again = await hook(agent, root, pre, { session: B });
      // Codex was refused once and told so: its next attempt goes through. The others ask until the edit is made.
      expect(again.stdout === '').toBe(agent === 'codex');
      if (agent !== 'codex') {
        await hook(agent, root, post, { session: B });
        expect((await hook(agent, root, pre, { session: B })).stdout).toBe('');
      }
    }
  });
});

describe('what the hook is given and where it runs', () => {
  it('exits 0 with nothing on stdout for empty stdin, garbage, an unknown event, unknown fields and an unknown tool', async () => {
    const root = await project();
    const cases = [
      '',
      'not json {',
      '[1,2]',
      JSON.stringify({ session_id: 'x', hook_event_name: 'SomethingNew', cwd: root }),
      JSON.stringify({
        session_id: 'x',
        hook_event_name: 'PreToolUse',
        tool_name: 'Frobnicate',
        cwd: root,
        extra: { a: 1 },
      }),
      JSON.stringify({ session_id: '../../etc', hook_event_name: 'SessionStart', cwd: root }),
    ];
    for (const input of cases)
      for (const agent of ['claude', 'codex', 'gemini'])
        expect(await seen(cli(root, ['hook', agent], { input }))).toEqual({
          code: 0,
          stdout: '',
          stderr: '',
        });
    // A known event with fields it has never seen still works.
    const extended = JSON.parse(payload('claude', 'SessionStart-startup', root));
    const run = await cli(root, ['hook', 'claude'], {
      input: JSON.stringify({ ...extended, brand_new: [1, { x: 2 }] }),
    });
    expect(JSON.parse(run.stdout).hookSpecificOutput.hookEventName).toBe('SessionStart');
    // Garbage is written down where a person looks.
    expect(fs.readFileSync(path.join(root, '.workflow', 'logs', 'hooks.log'), 'utf8')).toMatch(
      /not a JSON object/,
    );
  });

  it('exits 0 with nothing on stdout for a hook line edited by hand (no agent, an unknown option, an extra word)', async () => {
    const root = await project();
    const input = payload('claude', 'PreToolUse-Edit', root);
    for (const argv of [
      ['hook'],
      ['hook', 'claude', '--verbose'],
      ['hook', 'claude', 'extra'],
      ['hook', 'cursor'],
    ]) {
      const run = await seen(cli(root, argv, { input }));
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^WARNING: wfs hook/);
    }
  });

  it('does nothing, silently, without a .workflow/ in reach', async () => {
    const root = makeRepo({ 'src/a.js': '' });
    for (const agent of ['claude', 'codex', 'gemini'] as const)
      for (const name of fixtureNames(agent))
        expect(await hook(agent, root, name)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fs.existsSync(path.join(root, '.workflow'))).toBe(false);
  });

  it('exits 0 with nothing on stdout when .workflow/ cannot be written, and logs why (stderr when the log cannot be written either)', async () => {
    const root = await project();
    // Root ignores file modes, so the fault is made of files where folders belong.
    fs.rmSync(path.join(root, '.workflow', '.locks'), { recursive: true, force: true });
    fs.writeFileSync(path.join(root, '.workflow', '.locks'), 'not a folder');
    const run = await hook('claude', root, 'PostToolUse-TodoWrite-initial');
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(fs.readFileSync(path.join(root, '.workflow', 'logs', 'hooks.log'), 'utf8')).toMatch(
      /wfs hook claude PostToolUse: /,
    );
    fs.rmSync(path.join(root, '.workflow', 'logs'), { recursive: true });
    fs.writeFileSync(path.join(root, '.workflow', 'logs'), 'not a folder either');
    const start = await hook('claude', root, 'SessionStart-startup');
    expect(start.code).toBe(0);
    expect(start.stdout === '' || JSON.parse(start.stdout).hookSpecificOutput !== undefined).toBe(true);
  });

  it('keeps the log bounded', () => {
    const root = makeRepo();
    fs.mkdirSync(path.join(root, '.workflow'));
    const layout = openProject({ cwd: root }).layout;
    for (let i = 0; i < 4_000; i++)
      logHookFailure(layout, 'claude', 'PreToolUse', `failure ${i} ${'x'.repeat(100)}`);
    const dir = path.join(root, '.workflow', 'logs');
    const total = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
    expect(fs.readdirSync(dir).sort()).toEqual(['hooks.log', 'hooks.log.1']);
    expect(total).toBeLessThanOrEqual(2 * LOG_MAX_BYTES);
  });

  it('keeps the injected context under 9,500 characters whatever the session holds', async () => {
    const root = await project('x'.repeat(2_000));
    const items = Array.from({ length: 300 }, (_, i) => ({
      content: `todo ${i} ${'y'.repeat(1_500)}`,
      status: 'pending',
    }));
    expect((await cli(root, ['todo', 'sync'], { input: JSON.stringify(items) })).code).toBe(0);
    const run = await hook('claude', root, 'SessionStart-startup');
    expect(JSON.parse(run.stdout).hookSpecificOutput.additionalContext.length).toBeLessThanOrEqual(9_500);
  });

  it('loads nothing but the CLI bundle for any event an install hooks (no MCP SDK, installer, Redis client, parsers)', async () => {
    const root = await project();
    // Each process writes down, at its exit, every module file it loaded.
    const dir = tempDir('wfs-loaded-');
    const tracer = path.join(dir, 'tracer.cjs');
    fs.writeFileSync(
      tracer,
      `process.on('exit', () => require('fs').appendFileSync(${JSON.stringify(path.join(dir, 'loaded'))}, Object.keys(require.cache).join('\\n') + '\\n'));\n`,
    );
    const events: [FixtureAgent, string][] = [
      ['claude', 'SessionStart-startup'],
      ['claude', 'UserPromptSubmit-prompt'],
      ['claude', 'PreToolUse-Edit'],
      ['claude', 'PostToolUse-Edit'],
      ['claude', 'PostToolUse-TodoWrite-initial'],
      ['claude', 'PostToolUse-TaskCreate-1'],
      ['claude', 'PreCompact-manual-instructions'],
      ['claude', 'Stop-turn'],
      ['claude', 'SessionEnd-other'],
      ['codex', 'PreToolUse-apply_patch'],
      ['gemini', 'AfterTool-write_todos-initial'],
    ];
    for (const [agent, name] of events) {
      const input = payload(agent, name, root);
      const run = await wfs(root, ['hook', agent], {
        input,
        env: { ...agentEnv(agent, root, input), NODE_OPTIONS: `--require ${tracer}` },
      });
      expect(run.code, `${agent} ${name}: ${run.stderr}`).toBe(0);
    }
    const loaded = new Set(fs.readFileSync(path.join(dir, 'loaded'), 'utf8').split('\n').filter(Boolean));
    expect([...loaded].filter((file) => file !== tracer)).toEqual([CLI]);
    expect(fs.existsSync(path.join(root, '.workflow', 'logs', 'hooks.log'))).toBe(false);
  });
});
