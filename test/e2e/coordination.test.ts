import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, json, makeRepo, sessionIdOf, wfs } from '../helpers.js';
import { startRedis, type TestRedis } from '../redis-server.js';

type Context = {
  active_session: { id: string } | null;
  coordination: {
    backend: string;
    project_id: string;
    project_id_source: string;
    reachable: boolean;
    error?: string;
    other_live_sessions: { session: string }[];
    locks: { name: string; session: string | null }[];
    recent_events: { type: string; session: string | null }[];
  };
};

/**
 * Two clones of one repository, as on two machines: their origin URLs differ only in form. Each
 * test names its own repository, so tests on the shared server do not see each other.
 */
function twoClones(name: string): [string, string] {
  const a = makeRepo({ 'README.md': '# a\n' });
  const b = makeRepo({ 'README.md': '# b\n' });
  spawnSync('git', ['remote', 'add', 'origin', `git@github.com:Example/${name}.git`], { cwd: a });
  spawnSync('git', ['remote', 'add', 'origin', `https://github.com/example/${name.toLowerCase()}`], {
    cwd: b,
  });
  return [a, b];
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('coordination through Redis, from the CLI', () => {
  it('two clones of one project on two "machines" see each other: identity, locks, events, results, live sessions', async () => {
    const [a, b] = twoClones('Shop');
    const env = { WFS_REDIS_URL: redis.url };
    const started = await wfs(a, ['session', 'start', '--new', 'checkout flow'], { env });
    expect(started.code).toBe(0);
    expect(started.stderr).toBe('');
    const ours = sessionIdOf(started);
    await wfs(b, ['session', 'start', '--new', 'search page'], { env });

    const acquired = await wfs(a, ['lock', 'acquire', 'deploy', '--ttl', '30000', '--json'], { env });
    expect(acquired.code).toBe(0);
    const held = await wfs(b, ['lock', 'acquire', 'deploy', '--json'], { env });
    expect(held.code).toBe(4);
    expect(json(held)).toMatchObject({ status: 'held', holder: { session: ours } });

    const put = await wfs(a, ['results', 'put', 'test-coverage:abc'], { env, input: 'coverage 93%\n' });
    expect(put.code).toBe(0);
    const got = await wfs(b, ['results', 'get', 'test-coverage:abc'], { env });
    expect(got.stdout).toBe('coverage 93%\n');

    const events = json<{ events: { type: string; session: string }[] }>(
      await wfs(b, ['events', '--json'], { env }),
    );
    expect(events.events.map((e) => e.type)).toEqual(['session.started', 'session.started', 'result.shared']);

    const context = await wfs(b, ['context', '--json'], { env });
    expect(context.code).toBe(0);
    const view = json<Context>(context).coordination;
    expect(view).toMatchObject({
      backend: 'redis',
      project_id: 'github.com/example/shop',
      project_id_source: 'origin',
      reachable: true,
      other_live_sessions: [{ session: ours }],
      locks: [{ name: 'deploy', session: ours }],
    });
    expect(view.recent_events.at(-1)).toMatchObject({ type: 'result.shared', session: ours });
    const markdown = (await wfs(b, ['context'], { env })).stdout;
    // Where it works, by the folder's name: the other clone.
    expect(markdown).toContain(`- Live: ${ours} in ${path.basename(a)} (pid `);
    expect(markdown).toContain(`- Lock deploy: held by ${ours} in ${path.basename(a)}`);

    // Pausing leaves the live sessions at once (no waiting for the TTL).
    await wfs(a, ['session', 'pause'], { env });
    expect(
      json<Context>(await wfs(b, ['context', '--json'], { env })).coordination.other_live_sessions,
    ).toEqual([]);

    // Nothing of it is on the embedded backend.
    expect(fs.existsSync(path.join(a, '.git', 'wfs', 'events.jsonl'))).toBe(false);
    const doctor = await wfs(a, ['doctor'], { env });
    expect(doctor.stdout).toContain(
      'INFO [coordination] project identity: github.com/example/shop (from origin)',
    );
    expect(doctor.stdout).toMatch(
      /INFO \[coordination\] backend: redis \(chosen by WFS_REDIS_URL\) at redis:\/\/127\.0\.0\.1:\d+; if unreachable: fail/,
    );
  });

  it('wfs events --follow on Redis prints events of another clone as they come, and ends cleanly on SIGTERM', async () => {
    const [a, b] = twoClones('Followed');
    const env = { WFS_REDIS_URL: redis.url };
    const follower = spawn(process.execPath, [CLI, 'events', '--follow', '--json'], {
      cwd: b,
      env: { ...process.env, WFS_ROOT: '', ...env },
    });
    let out = '';
    follower.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => follower.on('exit', (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await wfs(a, ['session', 'start', '--new', 'followed'], { env });
    for (let i = 0; i < 100 && !out.includes('session.started'); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    follower.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(JSON.parse(out.trim().split('\n')[0]!)).toMatchObject({
      type: 'session.started',
      session: 'WFS-followed',
      id: expect.any(Number),
    });
  });

  it('config.json chooses the backend and the project identity; a bad setting is an ERROR, never ignored', async () => {
    const root = makeRepo();
    fs.mkdirSync(path.join(root, '.workflow'));
    fs.writeFileSync(
      path.join(root, '.workflow', 'config.json'),
      JSON.stringify({ project_id: 'shop', coordination: { backend: 'redis', redis_url: redis.url } }),
    );
    await wfs(root, ['session', 'start', '--new', 'one']);
    const view = json<Context>(await wfs(root, ['context', '--json'])).coordination;
    expect(view).toMatchObject({ backend: 'redis', project_id: 'shop', project_id_source: 'config.json' });
    expect(view.recent_events.map((e) => e.type)).toEqual(['session.started']);
    // WFS_COORD overrides config.json; WFS_PROJECT_ID overrides project_id.
    const local = json<Context>(
      await wfs(root, ['context', '--json'], { env: { WFS_COORD: 'local', WFS_PROJECT_ID: 'other' } }),
    ).coordination;
    expect(local).toMatchObject({ backend: 'local', project_id: 'other', recent_events: [] });

    const bad = await wfs(root, ['lock', 'list'], { env: { WFS_COORD: 'zookeeper' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('ERROR: WFS_COORD="zookeeper": expected one of local|redis\n');
    fs.writeFileSync(path.join(root, '.workflow', 'config.json'), '{"coordination": {"backend": "redis"}}');
    const noUrl = await wfs(root, ['events']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/^ERROR: The Redis backend was chosen \(config\.json\) but no URL is set/);
    fs.writeFileSync(
      path.join(root, '.workflow', 'config.json'),
      '{"coordination": {"on_unreachable": "ignore"}}',
    );
    const badPolicy = await wfs(root, ['lock', 'acquire', 'x']);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(
      /^ERROR: \.workflow\/config\.json is invalid: coordination\.on_unreachable/,
    );
  });
});

describe('Redis over TLS from the CLI', () => {
  let secure: TestRedis;
  beforeAll(async () => {
    secure = await startRedis({ tls: true, password: 'pw-not-printed' });
  });
  afterAll(async () => {
    await secure?.stop();
  });

  it('rediss:// with a password works when Node trusts the authority (NODE_EXTRA_CA_CERTS), and fails clearly when not', async () => {
    const root = makeRepo();
    const env = { WFS_REDIS_URL: secure.url, NODE_EXTRA_CA_CERTS: secure.caFile! };
    const acquired = await wfs(root, ['lock', 'acquire', 'deploy', '--json'], { env });
    expect(acquired.code).toBe(0);
    expect(json(acquired)).toMatchObject({ name: 'deploy', fence: expect.any(Number) });
    expect(
      json<{ locks: unknown[] }>(await wfs(root, ['lock', 'list', '--json'], { env })).locks,
    ).toHaveLength(1);
    const untrusted = await wfs(root, ['lock', 'list'], { env: { WFS_REDIS_URL: secure.url } });
    // A certificate that cannot be verified is a setting to correct (E_CONFIG, exit 2).
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(
      /^ERROR: TLS with Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ failed \(connect\): .*certificate/,
    );
    expect(untrusted.stderr).not.toContain('pw-not-printed');
  });
});

describe('when the backend cannot be reached', () => {
  const env = { WFS_REDIS_URL: 'redis://:secret@127.0.0.1:1' };

  it('wfs lock acquire follows the chosen policy and says so: fail (exit 1), run-unlocked (exit 0), skip (exit 4)', async () => {
    const root = makeRepo();
    const fail = await wfs(root, ['lock', 'acquire', 'deploy'], { env });
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(
      /^ERROR: Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(connect\): /,
    );
    expect(fail.stderr).not.toContain('secret');

    const unlocked = await wfs(root, ['lock', 'acquire', 'deploy', '--json'], {
      env: { ...env, WFS_ON_UNREACHABLE: 'run-unlocked' },
    });
    expect(unlocked.code).toBe(0);
    expect(json(unlocked)).toMatchObject({ status: 'unlocked', name: 'deploy', policy: 'run-unlocked' });
    expect(unlocked.stderr).toMatch(
      /^WARNING: Cannot reach Redis .* \(policy run-unlocked: going on without the lock\)\n$/,
    );

    const skipped = await wfs(root, ['lock', 'acquire', 'deploy'], {
      env: { ...env, WFS_ON_UNREACHABLE: 'skip' },
    });
    expect(skipped.code).toBe(4);
    expect(skipped.stdout).toMatch(/^SKIPPED: deploy: Cannot reach Redis .* \(policy skip: skipped\)\n$/);
  });

  it('session commands still work and warn; context shows the backend as unreachable; events fail clearly', async () => {
    const root = makeRepo();
    const started = await wfs(root, ['session', 'start', '--new', 'offline work'], { env });
    expect(started.code).toBe(0);
    expect(started.stderr).toMatch(
      /^WARNING: Could not announce session\.started for WFS-offline-work: Cannot reach Redis/,
    );
    const context = await wfs(root, ['context', '--json'], { env });
    expect(context.code).toBe(0);
    expect(json<Context>(context)).toMatchObject({
      active_session: { id: 'WFS-offline-work' },
      coordination: { backend: 'redis', reachable: false, other_live_sessions: [], locks: [] },
    });
    expect(context.stderr).toMatch(/^WARNING: Coordination backend unreachable: Cannot reach Redis/);
    const events = await wfs(root, ['events', '--json'], { env });
    expect(events.code).toBe(1);
    expect(json(events)).toMatchObject({ error: { code: 'E_UNREACHABLE' } });
    const doctor = await wfs(root, ['doctor'], { env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      /PROBLEM \[coordination\] backend redis \(chosen by WFS_REDIS_URL\): Cannot reach Redis/,
    );
  });
});

describe('the embedded backend, from the CLI', () => {
  it('sessions in two worktrees of one repository see each other live; exec keeps a session live', async () => {
    const main = makeRepo({ 'README.md': '# r\n' });
    const git = (...args: string[]) => spawnSync('git', args, { cwd: main, encoding: 'utf8' });
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qam', 'init', '--allow-empty');
    git('add', '.');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'files');
    const worktree = `${main}-wt`;
    git('worktree', 'add', '-q', worktree);
    try {
      const one = sessionIdOf(await wfs(main, ['session', 'start', '--new', 'first tree']));
      const two = sessionIdOf(await wfs(worktree, ['session', 'start', '--new', 'second tree']));
      const view = json<Context>(await wfs(main, ['context', '--json'])).coordination;
      expect(view).toMatchObject({
        backend: 'local',
        project_id_source: 'root-commit',
        other_live_sessions: [{ session: two }],
      });
      expect(view.project_id).toMatch(/^git:[0-9a-f]{40}$/);
      // Both worktrees have one identity (the same root commit).
      expect(json<Context>(await wfs(worktree, ['context', '--json'])).coordination).toMatchObject({
        project_id: view.project_id,
        other_live_sessions: [{ session: one }],
      });
      // Paused: gone at once; exec brings it back while its command runs.
      await wfs(worktree, ['session', 'pause']);
      expect(json<Context>(await wfs(main, ['context', '--json'])).coordination.other_live_sessions).toEqual(
        [],
      );
      const during = await wfs(worktree, [
        'exec',
        '--session',
        two,
        '--',
        process.execPath,
        path.join(import.meta.dirname, '..', '..', 'dist', 'wfs.cjs'),
        'context',
        '--json',
        '--root',
        main,
      ]);
      expect(JSON.parse(during.stdout).coordination.other_live_sessions).toEqual([
        expect.objectContaining({ session: two }),
      ]);
    } finally {
      git('worktree', 'remove', '--force', worktree);
    }
  });
});

type Where = { id: string; name: string };
type LiveView = {
  workspace: Where;
  other_live_sessions: { session: string; workspace?: Where }[];
  locks: { name: string; session: string | null; workspace?: Where }[];
  recent_events: { type: string; session: string | null; workspace?: Where }[];
};

/** Two workspaces that each have a session of the same ID: they are two sessions, and see each other. */
async function sameIdInTwoWorkspaces(a: string, b: string, env: NodeJS.ProcessEnv = {}) {
  for (const dir of [a, b])
    expect(sessionIdOf(await wfs(dir, ['session', 'start', '--new', 'fix login'], { env }))).toBe(
      'WFS-fix-login',
    );
  const inA = json<{ coordination: LiveView }>(await wfs(a, ['context', '--json'], { env })).coordination;
  const inB = json<{ coordination: LiveView }>(await wfs(b, ['context', '--json'], { env })).coordination;
  expect(inA.workspace.id).not.toBe(inB.workspace.id);
  expect(inA.other_live_sessions).toEqual([
    expect.objectContaining({
      session: 'WFS-fix-login',
      workspace: { id: inB.workspace.id, name: path.basename(b) },
    }),
  ]);
  expect(inB.other_live_sessions).toEqual([
    expect.objectContaining({ session: 'WFS-fix-login', workspace: inA.workspace }),
  ]);
  // Readable: the other one by its folder's name.
  expect((await wfs(a, ['context'], { env })).stdout).toContain(
    `- Live: WFS-fix-login in ${path.basename(b)} (pid `,
  );
  // A lock held in one is told apart in the other.
  expect((await wfs(a, ['lock', 'acquire', 'deploy'], { env })).code).toBe(0);
  const held = await wfs(b, ['lock', 'acquire', 'deploy', '--json'], { env });
  expect(held.code).toBe(4);
  expect(json<{ holder: { session: string; workspace: Where } }>(held).holder).toMatchObject({
    session: 'WFS-fix-login',
    workspace: inA.workspace,
  });
  // Pausing in one leaves the other live.
  expect((await wfs(b, ['session', 'pause'], { env })).code).toBe(0);
  const after = json<{ coordination: LiveView }>(await wfs(a, ['context', '--json'], { env })).coordination;
  expect(after.other_live_sessions).toEqual([]);
  const fromB = json<{ coordination: LiveView }>(await wfs(b, ['context', '--json'], { env })).coordination;
  expect(fromB.other_live_sessions).toEqual([
    expect.objectContaining({ session: 'WFS-fix-login', workspace: inA.workspace }),
  ]);
  // Events say where they came from.
  const events = json<{ events: { type: string; session: string; workspace?: Where }[] }>(
    await wfs(a, ['events', '--json'], { env }),
  ).events;
  expect(
    events
      .filter((e) => e.type === 'session.started')
      .map((e) => e.workspace?.id)
      .sort(),
  ).toEqual([inA.workspace.id, inB.workspace.id].sort());
  expect((await wfs(a, ['events'], { env })).stdout).toContain(
    `session.paused WFS-fix-login (${path.basename(b)})`,
  );
}

describe('workspaces: one ID in two worktrees or two clones is two sessions', () => {
  it('two git worktrees, each with WFS-fix-login, see each other and stay apart', async () => {
    const main = makeRepo({ 'README.md': '# r\n' });
    const git = (...args: string[]) => spawnSync('git', args, { cwd: main, encoding: 'utf8' });
    git('add', '.');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'files');
    const worktree = `${main}-feature`;
    git('worktree', 'add', '-q', worktree);
    try {
      await sameIdInTwoWorkspaces(main, worktree);
    } finally {
      git('worktree', 'remove', '--force', worktree);
    }
  });

  it('two clones on one Redis, each with WFS-fix-login, see each other and stay apart', async () => {
    const [a, b] = twoClones('Workspaces');
    await sameIdInTwoWorkspaces(a, b, { WFS_REDIS_URL: redis.url });
  });
});
