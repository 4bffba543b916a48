import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, makeRepo, wfs } from './helpers.js';

const REPO = path.resolve(import.meta.dirname, '..');
const LIBRARY = path.join(REPO, 'dist', 'lib', 'index.js');

type Lib = typeof import('../src/index.js');

/** What `import 'wfs'` gives, loaded the way a user's project loads it (dist/lib, as published). */
async function library(): Promise<Lib> {
  return (await import(LIBRARY)) as Lib;
}

/**
 * The front doors' and the Redis backend's dependencies, external to the library's bundle: in the
 * project below each is a stand-in whose loading fails, so any that the library loads shows.
 */
const HEAVY = ['ioredis', 'hono', '@hono/node-server', '@modelcontextprotocol/server'];

/**
 * A user's project with the library installed as published (a copy of package.json and dist/lib in
 * node_modules/wfs, and no dependency but the stand-ins of HEAVY), in which the Redis backend's
 * chunk (the file that loads ioredis) fails when it is run: importing the library
 * succeeds only if neither that chunk nor any of HEAVY is loaded.
 */
function publishedProject(): { dir: string; redisChunks: string[] } {
  const dir = makeRepo({}, { git: false });
  const installed = path.join(dir, 'node_modules', 'wfs');
  fs.mkdirSync(installed, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(installed, 'package.json'));
  fs.cpSync(path.join(REPO, 'dist', 'lib'), path.join(installed, 'dist', 'lib'), { recursive: true });
  for (const name of HEAVY) {
    const stand = path.join(dir, 'node_modules', name);
    fs.mkdirSync(stand, { recursive: true });
    fs.writeFileSync(path.join(stand, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
    fs.writeFileSync(path.join(stand, 'index.js'), `throw new Error('${name} was loaded');\n`);
  }
  const redisChunks: string[] = [];
  for (const file of fs.readdirSync(path.join(installed, 'dist', 'lib'), { recursive: true }) as string[]) {
    const full = path.join(installed, 'dist', 'lib', file);
    if (
      !file.endsWith('.js') ||
      !/\bimport\(\s*["']ioredis["']\s*\)|from\s*["']ioredis["']/.test(fs.readFileSync(full, 'utf8'))
    )
      continue;
    // Its exports kept (whoever imports it links), its evaluation fails.
    fs.writeFileSync(
      full,
      `throw new Error('the Redis backend was loaded');\n${fs.readFileSync(full, 'utf8')}`,
    );
    redisChunks.push(file);
  }
  return { dir, redisChunks };
}

function runScript(dir: string, args: string[]): { stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, WFS_ROOT: '' },
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return { stdout: run.stdout, stderr: run.stderr };
}

/** The parts of a session's state that do not depend on when or where it ran. */
function comparable(state: Record<string, unknown>): unknown {
  return JSON.parse(
    JSON.stringify(state, (key, value) =>
      /(_at|^timestamp|^created|^updated|^id$|^checkpoint_id$)/.test(key) && typeof value === 'string'
        ? '<time or id>'
        : value,
    ),
  );
}

describe("the library as published (`import ... from 'wfs'`)", () => {
  it('drives a whole session life, with the same results as the CLI', async () => {
    const lib = await library();
    const root = makeRepo({ 'package.json': '{"name":"lib-life"}' });
    const project = lib.openProject({ cwd: root, env: {} });
    await lib.initProject(project);
    const first = await lib.startNewSession(project, { description: 'add the login page' });
    expect(first).toMatchObject({ session_id: 'WFS-add-the-login-page', decision: 'created' });
    const auto = await lib.startAutoSession(project, { description: 'style the login page' });
    expect(auto).toMatchObject({ decision: 'reused', relevance: 'high' });
    await lib.addSessionTodo(project, 'write the form');
    await lib.syncSessionTodos(project, [
      { content: 'write the form', status: 'in_progress' },
      { content: 'validate the input', status: 'pending' },
    ]);
    await lib.setSessionTodoStatus(project, 1, 'completed');
    expect(
      (await lib.changeSessionPhase(project, { to: 'IMPLEMENT', handoff: { plan: 'done' } })).changed,
    ).toBe(true);
    expect(
      (await lib.saveCheckpoint(project, { trigger: 'agent_complete', data: { agent: 'planner' } }))
        .checkpoint,
    ).toBeDefined();
    expect((await lib.readSessionTodos(project)).counts).toEqual({ total: 2, completed: 1, in_progress: 0 });
    const context = await lib.contextSummary(project);
    expect(context.active_session).toMatchObject({ id: first.session_id, phase: 'IMPLEMENT' });
    expect(lib.contextMarkdown(context)).toContain('Next step: Start todo 2');
    const second = await lib.startNewSession(project, { description: 'an unrelated task' });
    expect((await lib.pauseSession(project)).session_id).toBe(second.session_id);
    expect((await lib.switchSession(project, first.session_id)).status).toBe('active');
    await lib.pauseSession(project);
    const resumed = await lib.resumeSession(project, first.session_id);
    expect(resumed.plan.strategy).toBe('complete');
    const shown = await lib.showSession(project);
    expect(shown.session.state.current_phase).toBe('IMPLEMENT');
    expect((await lib.runDoctor(project)).problems).toBe(0);

    // A lease kept while a workflow runs, on the embedded backend.
    const coordinator = await lib.openCoordinator(project);
    const got = await coordinator.acquire('deploy', { ttlMs: 60_000 });
    if (got.status !== 'acquired') throw new Error('not acquired');
    const kept = lib.keepLease(coordinator, got.lease, { ttlMs: 60_000 });
    expect(kept.signal.aborted).toBe(false);
    kept.stop();
    expect(await coordinator.release(kept.current())).toBe('released');
    await coordinator.close();
    class Count extends lib.BaseWorkflow<void, { steps: number }> {
      readonly name = 'count';
      protected async run(ctx: import('../src/index.js').WorkflowContext) {
        const one = await ctx.step('one', () => 1);
        const two = await ctx.step('two', () => 2);
        return { steps: one + two };
      }
    }
    const run = await new Count({ enableCrossSession: true }).execute(undefined, { project });
    expect(run).toMatchObject({ status: 'completed', output: { steps: 3 } });

    const done = await lib.completeSession(project, undefined, { tags: ['auth'] });
    expect(done).toMatchObject({ session_id: first.session_id, archived: true });
    expect(
      lib.listSessions(project, { includeArchived: true }).find((s) => s.id === first.session_id)?.status,
    ).toBe('archived');

    // The same life through the CLI gives the same session, field for field (times and IDs aside).
    const cliRoot = makeRepo({ 'package.json': '{"name":"lib-life"}' });
    const steps: [string[], string?][] = [
      [['init']],
      [['session', 'start', '--new', 'add the login page']],
      [['session', 'start', '--auto', 'style the login page']],
      [['todo', 'add', 'write the form']],
      [
        ['todo', 'sync'],
        JSON.stringify([
          { content: 'write the form', status: 'in_progress' },
          { content: 'validate the input', status: 'pending' },
        ]),
      ],
      [['todo', 'done', '1']],
      [['phase', 'IMPLEMENT', '--handoff', '{"plan":"done"}']],
      [['checkpoint', '--trigger', 'agent_complete', '--data', '{"agent":"planner"}']],
      [['session', 'start', '--new', 'an unrelated task']],
      [['session', 'pause']],
      [['session', 'switch', first.session_id]],
      [['session', 'pause']],
      [['session', 'resume', first.session_id]],
      [['run', 'count']],
    ];
    fs.mkdirSync(path.join(cliRoot, '.workflow', 'workflows'), { recursive: true });
    fs.writeFileSync(
      path.join(cliRoot, '.workflow', 'workflows', 'count.json'),
      JSON.stringify({
        name: 'count',
        crossSession: true,
        steps: [
          { name: 'one', run: ['true'] },
          { name: 'two', run: ['true'] },
        ],
      }),
    );
    for (const [args, input] of steps)
      expect((await wfs(cliRoot, args, input === undefined ? {} : { input })).code).toBe(0);
    const viaCli = json<{ session: Record<string, unknown> }>(
      await wfs(cliRoot, ['session', 'show', first.session_id, '--json']),
    ).session;
    const viaLib = (await lib.showSession(project, first.session_id)).session.state;
    // The library's workflow is a class, the CLI's a declared one: their run records differ, the state does not.
    // Completing and archiving (done through the library above) saved twice more.
    expect(
      comparable({
        ...viaLib,
        status: 'active',
        archived_at: null,
        completed_at: null,
        revision: viaLib.revision - 2,
      }),
    ).toEqual(comparable({ ...viaCli, status: 'active', archived_at: null, completed_at: null }));
  });

  it('every entry point that takes a session ID refuses one that could leave its folder, writing nothing', async () => {
    const lib = await library();
    const root = makeRepo();
    const project = lib.openProject({ cwd: root, env: {} });
    await lib.startNewSession(project, { description: 'victim' });
    const outside = path.join(path.dirname(root), 'outside');
    const before = fs.readdirSync(path.join(root, '.workflow'), { recursive: true }).sort();
    const calls: [string, (id: string) => Promise<unknown>][] = [
      ['switchSession', (id) => lib.switchSession(project, id)],
      ['pauseSession', (id) => lib.pauseSession(project, id)],
      ['resumeSession', (id) => lib.resumeSession(project, id)],
      ['showSession', (id) => lib.showSession(project, id)],
      ['completeSession', (id) => lib.completeSession(project, id)],
      ['archiveCompletedSession', (id) => lib.archiveCompletedSession(project, id)],
      ['changeSessionPhase', (id) => lib.changeSessionPhase(project, { to: 'REVIEW', session: id })],
      ['saveCheckpoint', (id) => lib.saveCheckpoint(project, { trigger: 'manual', session: id })],
      ['addSessionTodo', (id) => lib.addSessionTodo(project, 'x', id)],
      ['setSessionTodoStatus', (id) => lib.setSessionTodoStatus(project, 1, 'completed', id)],
      ['syncSessionTodos', (id) => lib.syncSessionTodos(project, [], id)],
      ['readSessionTodos', (id) => lib.readSessionTodos(project, id)],
      ['contextSummary', (id) => lib.contextSummary(project, { session: id })],
      [
        'execInSession',
        (id) => lib.execInSession(project, { command: 'true', args: [], session: id, cwd: root, env: {} }),
      ],
      [
        'BaseWorkflow',
        (id) =>
          new (class extends lib.BaseWorkflow<void, void> {
            readonly name = 'noop';
            protected async run() {}
          })().execute(undefined, { project, session: id }),
      ],
    ];
    for (const id of ['../x', 'WFS-../x', '../../outside/WFS-x', outside, '/etc/passwd'])
      for (const [name, call] of calls)
        await expect(call(id), `${name}(${id})`).rejects.toMatchObject({ code: 'E_INVALID_ID' });
    expect(fs.readdirSync(path.join(root, '.workflow'), { recursive: true }).sort()).toEqual(before);
    expect(fs.existsSync(outside)).toBe(false);
  });

  it("`import 'wfs'` and `require('wfs')` load neither the Redis backend nor a Redis client, MCP SDK or web server until used", () => {
    const { dir, redisChunks } = publishedProject();
    expect(redisChunks.length, 'the Redis backend is a chunk of its own').toBeGreaterThan(0);
    const esm = runScript(dir, [
      '--input-type=module',
      '-e',
      `import * as wfs from 'wfs';
console.log(JSON.stringify({ start: typeof wfs.startNewSession, init: typeof wfs.initProject }));`,
    ]);
    expect(JSON.parse(esm.stdout)).toEqual({ start: 'function', init: 'function' });
    expect(esm.stderr).toBe('');
    // require() of the ES modules (Node 20.19+): no warning printed, the same exports.
    const cjs = runScript(dir, [
      '-e',
      `const wfs = require('wfs');
console.log(JSON.stringify({ start: typeof wfs.startNewSession, exports: Object.keys(wfs).length }));`,
    ]);
    expect(JSON.parse(cjs.stdout)).toMatchObject({ start: 'function' });
    expect(JSON.parse(cjs.stdout).exports).toBeGreaterThan(40);
    expect(cjs.stderr).toBe('');
    // Opening a Redis coordinator is what loads the backend (here, the one that fails), from both.
    const open = `wfs.openCoordinator(wfs.openProject({ cwd: process.cwd(), env: { WFS_REDIS_URL: 'redis://127.0.0.1:1' } }))
  .then(() => console.log('opened'), (error) => console.log(error.message));`;
    expect(runScript(dir, ['-e', `const wfs = require('wfs');\n${open}`]).stdout.trim()).toBe(
      'the Redis backend was loaded',
    );
    expect(
      runScript(dir, ['--input-type=module', '-e', `import * as wfs from 'wfs';\n${open}`]).stdout.trim(),
    ).toBe('the Redis backend was loaded');
  });
});
