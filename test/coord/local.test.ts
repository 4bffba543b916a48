import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EPOCH_FACTOR } from '../../src/coord/local/counters.js';
import { checkCoordinationFiles } from '../../src/coord/local/doctor.js';
import type { HostClock } from '../../src/coord/local/host-clock.js';
import { hostClock } from '../../src/coord/local/host-clock.js';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import { fileNameOf } from '../../src/coord/local/records.js';
import { coordinationDir, gitCommonDir } from '../../src/coord/location.js';
import type { WfsEvent } from '../../src/coord/types.js';
import { forgetProvenDirectories } from '../../src/store/safe-path.js';
import { CLI, json, makeRepo, tempDir, wfs } from '../helpers.js';
import { coordinationContract } from './coordination-contract.js';
import { leaseContract } from './lease-contract.js';

const tmp = () => tempDir('wfs-coord-');

leaseContract('local (embedded files)', async () => new LocalCoordinator(tmp()), {
  // A lease record deleted by hand (the "clear the stuck lock" step).
  forgetLease: async (c, name) => {
    fs.rmSync(path.join((c as LocalCoordinator).dir, 'leases', `${name}.json`), { force: true });
  },
});

coordinationContract('local', async () => {
  const dir = tmp();
  const c = new LocalCoordinator(dir);
  return {
    c,
    again: async () => new LocalCoordinator(dir),
    // The entry file as wfs wrote it before values were bytes: the value object held the text.
    storeAsBefore: async ({ key, ...value }, ttlMs) => {
      fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
      const stored = { key, boot: c.clock.boot, expires: c.clock.now() + ttlMs, value: { key, ...value } };
      fs.writeFileSync(path.join(dir, 'results', fileNameOf(key)), JSON.stringify(stored));
    },
  };
});

/** A clock a test moves by hand; `boot` names the machine's boot it counts in. */
function manualClock(boot = 'boot-a', start = 5_000_000): HostClock & { advance(ms: number): void } {
  let now = start;
  const wallOffset = 1_790_000_000_000;
  return {
    boot,
    resolutionMs: 1,
    now: () => now,
    toWall: (hostMs) => hostMs + wallOffset,
    advance(ms) {
      now += ms;
    },
  };
}

async function acquired(c: LocalCoordinator, name: string, ttlMs = 60_000) {
  const got = await c.acquire(name, { ttlMs });
  if (got.status !== 'acquired') throw new Error(`${name} not acquired`);
  return got.lease;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('local backend: where it lives', () => {
  it('lives under the git common directory, shared by every worktree; .workflow/.coord outside git', () => {
    const repo = makeRepo({ 'a.txt': 'x' });
    expect(coordinationDir(repo)).toBe(path.join(repo, '.git', 'wfs'));
    // A worktree: .git is a file naming its git dir, whose commondir names the shared one.
    const worktree = makeRepo({}, { git: false });
    const wtGitDir = path.join(repo, '.git', 'worktrees', 'wt');
    fs.mkdirSync(wtGitDir, { recursive: true });
    fs.writeFileSync(path.join(wtGitDir, 'commondir'), '../..\n');
    fs.writeFileSync(path.join(worktree, '.git'), `gitdir: ${wtGitDir}\n`);
    expect(gitCommonDir(worktree)).toBe(path.join(repo, '.git'));
    expect(coordinationDir(worktree)).toBe(path.join(repo, '.git', 'wfs'));
    const plain = makeRepo({}, { git: false });
    expect(coordinationDir(plain)).toBe(path.join(plain, '.workflow', '.coord'));
  });
});

describe('local backend: tells a reader of changes (watchChanges)', () => {
  it('reports a lock taken, a heartbeat, a claim and a result written by another coordinator, also into folders made after it began', async () => {
    const dir = tmp();
    const reader = new LocalCoordinator(dir);
    const seen: string[] = [];
    // Nothing exists yet: every folder appears after the watch began.
    const stop = reader.watchChanges((kind) => seen.push(kind));
    try {
      const writer = new LocalCoordinator(dir);
      await acquired(writer, 'db-migrate');
      await vi.waitFor(() => expect(seen).toContain('leases'));
      await writer.heartbeat({ session: 'WFS-a', ttlMs: 60_000 });
      await vi.waitFor(() => expect(seen).toContain('presence'));
      await writer.claimPaths({ session: 'WFS-a', paths: ['src/**'], ttlMs: 60_000 });
      await vi.waitFor(() => expect(seen).toContain('claims'));
      await writer.putResult({ key: 'k', value: 'v', ttlMs: 60_000 });
      await vi.waitFor(() => expect(seen).toContain('results'));
      // Once the folders exist, a second change in one is reported too.
      seen.length = 0;
      await acquired(writer, 'db-seed');
      await vi.waitFor(() => expect(seen).toContain('leases'));
    } finally {
      stop();
    }
    seen.length = 0;
    await acquired(new LocalCoordinator(dir), 'after-stop');
    await reader.list();
    expect(seen).toEqual([]);
  });
});

describe('local backend: the host clock', () => {
  it('reads CLOCK_BOOTTIME from /proc/uptime with the boot id, where there is one', () => {
    const clock = hostClock();
    if (!fs.existsSync('/proc/uptime')) {
      expect(clock.boot).toBeNull();
      return;
    }
    expect(clock.boot).toBe(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const uptime = Number.parseFloat(fs.readFileSync('/proc/uptime', 'utf8')) * 1000;
    expect(Math.abs(clock.now() - uptime)).toBeLessThan(5_000);
    // Shown as epoch milliseconds: now on the wall clock, within a reading's resolution.
    expect(Math.abs(clock.toWall(clock.now()) - Date.now())).toBeLessThan(1_000);
  });

  it('expiries follow the injected host clock, not the wall clock', async () => {
    const dir = tmp();
    const clock = manualClock();
    const c = new LocalCoordinator(dir, { clock });
    const lease = await acquired(c, 'job', 10_000);
    expect(lease.expiresAt).toBe(clock.toWall(clock.now() + 10_000 + clock.resolutionMs));
    clock.advance(9_000);
    expect((await c.acquire('job', { ttlMs: 1_000 })).status).toBe('held');
    expect((await c.list()).map((l) => l.name)).toEqual(['job']);
    clock.advance(1_001);
    expect(await c.inspect('job')).toBeUndefined();
    expect(await c.list()).toEqual([]);
    const next = await acquired(c, 'job');
    expect(next.fence).toBeGreaterThan(lease.fence);
    // Results, presence and claims alike.
    await c.putResult({ key: 'r', value: 'v', ttlMs: 1_000 });
    await c.heartbeat({ session: 'WFS-a', ttlMs: 1_000 });
    await c.claimPaths({ session: 'WFS-a', paths: ['src/**'], ttlMs: 1_000 });
    clock.advance(999);
    expect((await c.getResult('r'))?.text).toBe('v');
    expect((await c.liveSessions()).map((p) => p.session)).toEqual(['WFS-a']);
    expect(await c.listClaims()).toHaveLength(1);
    clock.advance(2);
    expect(await c.getResult('r')).toBeUndefined();
    expect(await c.liveSessions()).toEqual([]);
    expect(await c.listClaims()).toEqual([]);
  });

  it('an expiry recorded in another boot is past; fences and event IDs after the restart are above', async () => {
    const dir = tmp();
    const before = new LocalCoordinator(dir, { clock: manualClock('boot-a', 9_000_000) });
    const lease = await acquired(before, 'job', 3_600_000);
    const event = await before.publish({ type: 'test.before' });
    await before.putResult({ key: 'r', value: 'v', ttlMs: 3_600_000 });
    await before.heartbeat({ session: 'WFS-a', ttlMs: 3_600_000 });
    // The machine restarted: another boot, and its clock starts again near zero.
    const after = new LocalCoordinator(dir, { clock: manualClock('boot-b', 1_000) });
    expect(await after.inspect('job')).toBeUndefined();
    expect(await after.getResult('r')).toBeUndefined();
    expect(await after.liveSessions()).toEqual([]);
    const next = await acquired(after, 'job');
    expect(next.fence).toBeGreaterThan(lease.fence);
    expect(Math.floor(next.fence / EPOCH_FACTOR)).toBeGreaterThan(Math.floor(lease.fence / EPOCH_FACTOR));
    expect((await after.publish({ type: 'test.after' })).id).toBeGreaterThan(event.id);
    // The fenced store refuses every fence granted before the restart.
    expect(await before.acceptFence('store', lease.fence)).toBe(true);
    expect(await after.acceptFence('store', next.fence)).toBe(true);
    expect(await after.acceptFence('store', lease.fence)).toBe(false);
  });
});

describe('local backend: fences and event IDs never repeat, whatever is done to the files', () => {
  const leaseFile = (dir: string, name: string) => path.join(dir, 'leases', `${name}.json`);

  it.each([
    ['deleted', (file: string) => fs.rmSync(file)],
    ['emptied', (file: string) => fs.writeFileSync(file, '')],
    ['{}', (file: string) => fs.writeFileSync(file, '{}')],
    ['[]', (file: string) => fs.writeFileSync(file, '[]')],
    ['null', (file: string) => fs.writeFileSync(file, 'null')],
    ['{"fence": null}', (file: string) => fs.writeFileSync(file, '{"name":"x","fence":null,"token":"t"}')],
    ['torn', (file: string) => fs.writeFileSync(file, '{"name":"x","tok')],
  ])(
    'a live lease record %s by hand: the next holder gets a fence above, nothing crashes',
    async (_, damage) => {
      const dir = tmp();
      const c = new LocalCoordinator(dir);
      const first = await acquired(c, 'x');
      const other = await acquired(c, 'other');
      damage(leaseFile(dir, 'x'));
      const fresh = new LocalCoordinator(dir);
      expect(await fresh.inspect('x')).toBeUndefined();
      expect((await fresh.list()).map((l) => l.name)).toEqual(['other']);
      const second = await acquired(fresh, 'x');
      expect(second.fence).toBeGreaterThan(Math.max(first.fence, other.fence));
      expect(await fresh.acceptFence('store', second.fence)).toBe(true);
      expect(await fresh.acceptFence('store', first.fence)).toBe(false);
      expect(await fresh.release(first)).toBe('not_owner');
      expect(await fresh.release(second)).toBe('released');
    },
  );

  it('the CLI (lock acquire, lock list, context) reads a record of the wrong shape as damage, never crashes', async () => {
    const root = makeRepo();
    expect((await wfs(root, ['init'])).code).toBe(0);
    const first = json<{ fence: number }>(await wfs(root, ['lock', 'acquire', 'deploy', '--json']));
    const file = leaseFile(coordinationDir(root), 'deploy');
    for (const damaged of ['{}', '[]', '', '{"fence":null}']) {
      fs.writeFileSync(file, damaged);
      const list = await wfs(root, ['lock', 'list', '--json']);
      expect(list.stderr).toBe('');
      expect(json<{ locks: unknown[] }>(list).locks).toEqual([]);
      const context = await wfs(root, ['context', '--json']);
      expect(context.code, context.stderr).toBe(0);
      const again = await wfs(root, ['lock', 'acquire', 'deploy', '--json']);
      expect(again.code, again.stderr).toBe(0);
      const granted = json<{ fence: number; token: string }>(again);
      expect(granted.fence).toBeGreaterThan(first.fence);
      first.fence = granted.fence;
    }
  });

  it('a damaged fenced-store record refuses every fence granted before it, and is healed', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const first = await acquired(c, 'x');
    expect(await c.acceptFence('store', first.fence)).toBe(true);
    for (const damaged of ['garbage', '{}', '[]', '{"fence":"1"}']) {
      fs.writeFileSync(path.join(dir, 'fenced', 'store.json'), damaged);
      expect(await c.acceptFence('store', first.fence)).toBe(false);
    }
    await c.release(first);
    const second = await acquired(c, 'x');
    expect(await c.acceptFence('store', second.fence)).toBe(true);
    expect(await c.acceptFence('store', first.fence)).toBe(false);
  });

  it('the counters record deleted, emptied or damaged: the epoch moves on, fences and IDs stay above', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    let fence = (await acquired(c, 'a')).fence;
    let id = (await c.publish({ type: 'test.one' })).id;
    for (const damage of [
      () => fs.rmSync(path.join(dir, 'counters.json')),
      () => fs.writeFileSync(path.join(dir, 'counters.json'), ''),
      () => fs.writeFileSync(path.join(dir, 'counters.json'), '{"epoch":1,"boot":null,"fence":"x"}'),
      () => fs.writeFileSync(path.join(dir, 'counters.json'), '[]'),
    ]) {
      damage();
      const fresh = new LocalCoordinator(dir);
      const lease = await acquired(fresh, `n${fence}`);
      expect(lease.fence).toBeGreaterThan(fence);
      const event = await fresh.publish({ type: 'test.next' });
      expect(event.id).toBeGreaterThan(id);
      fence = lease.fence;
      id = event.id;
    }
  });

  it('epoch.json and the counters both lost: recovered from every number on disk, never restarted below', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const lease = await acquired(c, 'a');
    await c.acceptFence('store', lease.fence);
    const event = await c.publish({ type: 'test.one' });
    for (const lost of [['epoch.json', 'counters.json']])
      for (const file of lost) fs.rmSync(path.join(dir, file));
    const fresh = new LocalCoordinator(dir);
    expect((await acquired(fresh, 'b')).fence).toBeGreaterThan(lease.fence);
    expect((await fresh.publish({ type: 'test.two' })).id).toBeGreaterThan(event.id);
    fs.writeFileSync(path.join(dir, 'epoch.json'), 'damaged');
    fs.rmSync(path.join(dir, 'counters.json'));
    expect((await acquired(new LocalCoordinator(dir), 'c')).fence).toBeGreaterThan(lease.fence);
  });

  it('the end of the event log deleted or damaged: IDs go on above, and --since sees every new event', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const published: WfsEvent[] = [];
    for (let i = 0; i < 5; i++) published.push(await c.publish({ type: 'test.event', data: { i } }));
    const log = path.join(dir, 'events.jsonl');
    // A garbage last line far longer than any tail window.
    fs.appendFileSync(log, `${'x'.repeat(300_000)}\n${'{"id":1,"ty'.repeat(20_000)}`);
    const after = await new LocalCoordinator(dir).publish({ type: 'test.after' });
    expect(after.id).toBeGreaterThan(published.at(-1)!.id);
    expect((await c.readEvents({ since: published.at(-1)!.id })).map((e) => e.type)).toEqual(['test.after']);
    expect((await c.readEvents({ limit: 2 })).map((e) => e.type)).toEqual(['test.event', 'test.after']);
    // The log deleted outright: IDs still go on above.
    fs.rmSync(log);
    const next = await c.publish({ type: 'test.next' });
    expect(next.id).toBeGreaterThan(after.id);
    expect((await c.readEvents({ since: after.id })).map((e) => e.type)).toEqual(['test.next']);
    // The last lines cut off by hand.
    for (let i = 0; i < 3; i++) await c.publish({ type: 'test.more' });
    const text = fs.readFileSync(log, 'utf8').split('\n');
    fs.writeFileSync(log, `${text.slice(0, 1).join('\n')}\n`);
    const last = await c.publish({ type: 'test.last' });
    expect(last.id).toBeGreaterThan(next.id + 3);
    expect((await c.readEvents({ since: next.id })).map((e) => e.type)).toEqual(['test.last']);
  });

  it('an event log whose last line was torn by a machine crash loses only that line; new events are not glued to it', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const first = await c.publish({ type: 'test.first' });
    fs.appendFileSync(path.join(dir, 'events.jsonl'), '{"id":99,"type":"test.to');
    const next = await c.publish({ type: 'test.next' });
    expect(next.id).toBeGreaterThan(first.id);
    expect((await c.readEvents()).map((e) => e.type)).toEqual(['test.first', 'test.next']);
    expect((await c.readEvents({ limit: 1 })).map((e) => e.type)).toEqual(['test.next']);
  });

  it('lines of the log that are not events (another shape, garbage) are skipped by every reader', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const first = await c.publish({ type: 'test.first' });
    fs.appendFileSync(
      path.join(dir, 'events.jsonl'),
      '{}\n[]\n{"id":"9","type":"x"}\nnot json\n{"id":99999999999,"type":"a.b","at":"x","session":null,"host":"h"}\n',
    );
    const second = await c.publish({ type: 'test.second' });
    expect((await c.readEvents()).map((e) => e.id)).toEqual([first.id, second.id]);
    expect((await c.readEvents({ since: first.id })).map((e) => e.id)).toEqual([second.id]);
    expect((await c.readEvents({ limit: 5 })).map((e) => e.id)).toEqual([first.id, second.id]);
  });
});

describe('local backend: costs stay flat as state accumulates', () => {
  const openFds = () => fs.readdirSync('/proc/self/fd').length;

  it('released and expired leases leave no record; no descriptor is kept per record', async () => {
    const dir = tmp();
    const clock = manualClock();
    const c = new LocalCoordinator(dir, { clock });
    const fdsBefore = openFds();
    for (let i = 0; i < 300; i++) await c.release(await acquired(c, `job-${i}`));
    expect(fs.readdirSync(path.join(dir, 'leases'))).toEqual([]);
    for (let i = 0; i < 50; i++) await acquired(c, `expiring-${i}`, 1_000);
    expect(await c.list()).toHaveLength(50);
    expect(openFds()).toBe(fdsBefore);
    // A release soon after the expiry is told `expired`; later the record is swept.
    clock.advance(1_001);
    expect(await c.list()).toEqual([]);
    // Nobody holds it any more: expired, whoever asks.
    expect(await c.release({ name: 'expiring-0', token: 'wrong' })).toBe('expired');
    clock.advance(60_000);
    await c.publish({ type: 'test.tick' });
    await acquired(c, 'after');
    expect(fs.readdirSync(path.join(dir, 'leases'))).toEqual(['after.json']);
    const fences = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const lease = await acquired(c, 'again');
      fences.add(lease.fence);
      await c.release(lease);
    }
    expect(fences.size).toBe(20);
  });

  it('a release after the expiry says expired, also once the record is swept', async () => {
    const clock = manualClock();
    const c = new LocalCoordinator(tmp(), { clock });
    const lease = await acquired(c, 'late', 5_000);
    clock.advance(6_000);
    expect(await c.release(lease)).toBe('expired');
    const again = await acquired(c, 'late', 5_000);
    clock.advance(5_000 + 5_000 + 10_000);
    await acquired(c, 'sweeper', 5_000);
    expect(await c.release(again)).toBe('expired');
  });

  it('with ulimit -n 256, lock list and context work with 400 lock names ever used', async () => {
    const root = makeRepo();
    expect((await wfs(root, ['init'])).code).toBe(0);
    const c = new LocalCoordinator(coordinationDir(root));
    for (let i = 0; i < 400; i++) {
      const lease = await acquired(c, `job-${i}`);
      if (i % 2 === 0) await c.release(lease);
    }
    for (const args of [
      ['lock', 'list', '--json'],
      ['context', '--json'],
    ]) {
      const run = spawnSync(
        'sh',
        ['-c', `ulimit -n 256 && exec "${process.execPath}" "${CLI}" ${args.join(' ')}`],
        {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, WFS_COORD: '', WFS_REDIS_URL: '', WFS_SESSION_ID: '' },
        },
      );
      expect(run.status, run.stderr).toBe(0);
    }
  });

  it('a put, a heartbeat and a get open a fixed number of files, however many entries there are', async () => {
    const count = async (entries: number) => {
      const c = new LocalCoordinator(tmp());
      for (let i = 0; i < entries; i++) {
        await c.putResult({ key: `k${i}`, value: 'v', ttlMs: 60_000 });
        await c.heartbeat({ session: `WFS-${i}`, ttlMs: 60_000 });
      }
      const open = vi.spyOn(fs, 'openSync');
      const readdir = vi.spyOn(fs, 'readdirSync');
      await c.putResult({ key: 'new', value: 'v', ttlMs: 60_000 });
      await c.heartbeat({ session: 'WFS-new', ttlMs: 60_000 });
      await c.getResult('k1');
      const opened = open.mock.calls.length;
      const listed = readdir.mock.calls.length;
      vi.restoreAllMocks();
      return { opened, listed };
    };
    const small = await count(5);
    const large = await count(400);
    expect(large).toEqual(small);
  });

  it('a listing reads the live entries, not what has expired before', async () => {
    const clock = manualClock();
    const c = new LocalCoordinator(tmp(), { clock });
    for (let i = 0; i < 200; i++) await c.putResult({ key: `old-${i}`, value: 'v', ttlMs: 1_000 });
    for (let i = 0; i < 3; i++) await c.putResult({ key: `live-${i}`, value: 'v', ttlMs: 3_600_000 });
    clock.advance(10_000);
    await c.putResult({ key: 'another', value: 'v', ttlMs: 3_600_000 });
    const open = vi.spyOn(fs, 'openSync');
    const listed = await c.listResults();
    expect(listed.map((r) => r.key)).toEqual(['another', 'live-0', 'live-1', 'live-2']);
    expect(open.mock.calls.length).toBeLessThanOrEqual(4 + 2);
  });

  it('readEvents with a limit reads the end of the log only; --since reads from where it is', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const line = (id: number) =>
      JSON.stringify({
        id,
        type: 'test.old',
        at: new Date().toISOString(),
        session: null,
        host: 'h',
        data: { pad: 'x'.repeat(200) },
      });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'events.jsonl'),
      `${Array.from({ length: 20_000 }, (_, i) => line(i + 1)).join('\n')}\n`,
    );
    const published = await c.publish({ type: 'test.new' });
    const size = fs.statSync(path.join(dir, 'events.jsonl')).size;
    const read = vi.spyOn(fs, 'readSync');
    const bytes = () => read.mock.results.reduce((sum, r) => sum + (r.value as number), 0);
    const newest = await c.readEvents({ limit: 100 });
    expect(newest.map((e) => e.id)).toEqual([
      ...Array.from({ length: 99 }, (_, i) => 19_902 + i),
      published.id,
    ]);
    expect(bytes()).toBeLessThan(size / 10);
    read.mockClear();
    const page = await c.readEvents({ since: 15_000, limit: 3 });
    expect(page.map((e) => e.id)).toEqual([15_001, 15_002, 15_003]);
    expect(bytes()).toBeLessThan(size / 10);
    read.mockClear();
    expect((await c.readEvents({ since: 19_999 })).map((e) => e.id)).toEqual([20_000, published.id]);
    expect((await c.readEvents({ since: 0, limit: 1 })).map((e) => e.id)).toEqual([published.id]);
    expect((await c.readEvents({ since: published.id })).map((e) => e.id)).toEqual([]);
    expect(bytes()).toBeLessThan(size / 10);
  });

  it('a follower reads only what was appended since its last read, and starts over on a replaced log', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    for (let i = 0; i < 3_000; i++) await c.publish({ type: 'test.old', data: { pad: 'x'.repeat(200) } });
    const last = (await c.readEvents({ limit: 1 }))[0]!;
    const seen: WfsEvent[] = [];
    const controller = new AbortController();
    const following = c.followEvents(last.id, (e) => seen.push(e), controller.signal);
    const read = vi.spyOn(fs, 'readSync');
    const until = async (n: number) => {
      while (seen.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const first = await c.publish({ type: 'test.one' });
    await until(1);
    // Reading the whole log (~800 KB) on a wake would show here.
    const bytes = read.mock.results.reduce((sum, r) => sum + (typeof r.value === 'number' ? r.value : 0), 0);
    expect(bytes).toBeLessThan(64 * 1024 + 4096);
    // The log replaced (as compaction and the doctor do): another inode, the follower goes on.
    const log = path.join(dir, 'events.jsonl');
    const text = fs.readFileSync(log, 'utf8');
    fs.writeFileSync(`${log}.new`, text.split('\n').slice(-200).join('\n'));
    fs.renameSync(`${log}.new`, log);
    const second = await c.publish({ type: 'test.two' });
    await until(2);
    controller.abort();
    await following;
    expect(seen.map((e) => e.id)).toEqual([first.id, second.id]);
  });
});

describe('local backend: symbolic links in the coordination folder are never followed', () => {
  /** Every file and folder of a populated coordination folder, and the operations that touch them. */
  async function populated(): Promise<string> {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const lease = await acquired(c, 'job');
    await c.acceptFence('store', lease.fence);
    await c.publish({ type: 'test.event' });
    await c.putResult({ key: 'res', value: 'v', ttlMs: 60_000 });
    await c.heartbeat({ session: 'WFS-a', ttlMs: 60_000 });
    await c.claimPaths({ session: 'WFS-a', paths: ['src/**'], ttlMs: 60_000 });
    return dir;
  }

  const operations: [string, (c: LocalCoordinator) => Promise<unknown>][] = [
    ['acquire', (c) => c.acquire('job', { ttlMs: 60_000 })],
    ['acquire another', (c) => c.acquire('fresh', { ttlMs: 60_000 })],
    ['release', (c) => c.release({ name: 'job', token: 'x' })],
    ['renew', (c) => c.renew({ name: 'job', token: 'x' }, 1_000)],
    ['inspect', (c) => c.inspect('job')],
    ['list', (c) => c.list()],
    ['acceptFence', (c) => c.acceptFence('store', 2 ** 40)],
    ['publish', (c) => c.publish({ type: 'test.more' })],
    ['readEvents', (c) => c.readEvents()],
    ['readEvents since', (c) => c.readEvents({ since: 1 })],
    ['putResult', (c) => c.putResult({ key: 'res', value: 'new', ttlMs: 1_000 })],
    ['getResult', (c) => c.getResult('res')],
    ['listResults', (c) => c.listResults()],
    ['heartbeat', (c) => c.heartbeat({ session: 'WFS-a', ttlMs: 1_000 })],
    ['liveSessions', (c) => c.liveSessions()],
    ['claimPaths', (c) => c.claimPaths({ session: 'WFS-a', paths: ['lib/**'], ttlMs: 1_000 })],
    ['listClaims', (c) => c.listClaims()],
    ['releaseClaims', (c) => c.releaseClaims('WFS-a')],
    ['leave', (c) => c.leave('WFS-a')],
    [
      'follow',
      async (c) => {
        const controller = new AbortController();
        const following = c.followEvents(0, () => {}, controller.signal);
        controller.abort();
        await following;
      },
    ],
    ['doctor', (c) => checkCoordinationFiles(c.dir)],
  ];

  const places = [
    '.',
    'leases',
    'leases/job.json',
    'fenced',
    'fenced/store.json',
    'events.jsonl',
    'epoch.json',
    'counters.json',
    'results',
    'results/res.json',
    'presence',
    'presence/WFS-a.json',
    'claims',
    'claims/WFS-a.json',
    '.expiry',
    '.expiry/<a bucket>',
    '.locks',
  ];

  /** Every file below `dir` (or `dir` itself, a file) with its bytes. */
  const contents = (at: string): string => {
    if (!fs.statSync(at).isDirectory()) return fs.readFileSync(at, 'latin1');
    const out: string[] = [];
    const walk = (d: string) => {
      for (const name of fs.readdirSync(d).sort()) {
        const p = path.join(d, name);
        if (fs.statSync(p).isDirectory()) {
          out.push(`${path.relative(at, p)}/`);
          walk(p);
        } else out.push(`${path.relative(at, p)}=${fs.readFileSync(p, 'latin1')}`);
      }
    };
    walk(at);
    return out.join('\n');
  };

  it.each(places)(
    'a link planted at %s: what it points to is never written, whatever runs',
    async (place) => {
      for (const [what, operation] of operations) {
        const dir = await populated();
        const bucket = place.endsWith('<a bucket>') ? fs.readdirSync(path.join(dir, '.expiry'))[0]! : '';
        const at = path.join(dir, place.replace('<a bucket>', bucket));
        // The link points to a copy of what stood there: a writer that followed it would find a
        // valid record (or folder of them) and write to it.
        const target = path.join(tmp(), 'target');
        fs.cpSync(at, target, { recursive: true });
        fs.rmSync(at, { recursive: true });
        fs.symlinkSync(target, at);
        const before = contents(target);
        forgetProvenDirectories();
        try {
          await operation(new LocalCoordinator(dir));
        } catch (error) {
          expect(error, what).toMatchObject({ code: 'E_SYMLINK' });
        }
        expect(contents(target), what).toBe(before);
        expect(fs.lstatSync(at).isSymbolicLink(), what).toBe(true);
      }
    },
  );

  it.each(['.expiry', '.expiry/<a bucket>', 'leases', 'results'])(
    'a link at %s is never entered by the sweep, even when everything in it has come due',
    async (place) => {
      const dir = tmp();
      const clock = manualClock();
      const c = new LocalCoordinator(dir, { clock });
      for (let i = 0; i < 5; i++) {
        await acquired(c, `job-${i}`, 1_000);
        await c.putResult({ key: `r${i}`, value: 'v', ttlMs: 1_000 });
      }
      const bucket = place.endsWith('<a bucket>') ? fs.readdirSync(path.join(dir, '.expiry'))[0]! : '';
      const at = path.join(dir, place.replace('<a bucket>', bucket));
      const target = path.join(tmp(), 'target');
      fs.cpSync(at, target, { recursive: true });
      fs.rmSync(at, { recursive: true });
      fs.symlinkSync(target, at);
      const before = contents(target);
      forgetProvenDirectories();
      const after = new LocalCoordinator(dir, { clock });
      clock.advance(3_600_000);
      for (const operation of [
        () => after.publish({ type: 'test.tick' }),
        () => after.acquire('other', { ttlMs: 1_000 }),
        () => after.putResult({ key: 'other', value: 'v', ttlMs: 1_000 }),
        () => after.list(),
        () => after.listResults(),
      ])
        await operation().catch((error: unknown) => expect(error).toMatchObject({ code: 'E_SYMLINK' }));
      expect(contents(target)).toBe(before);
    },
  );

  it('a link where a record is written is an E_SYMLINK error naming it', async () => {
    const dir = await populated();
    const outside = path.join(tmp(), 'x.json');
    fs.writeFileSync(outside, 'precious');
    fs.rmSync(path.join(dir, 'leases', 'job.json'));
    fs.symlinkSync(outside, path.join(dir, 'leases', 'job.json'));
    await expect(new LocalCoordinator(dir).acquire('job', { ttlMs: 1_000 })).rejects.toMatchObject({
      code: 'E_SYMLINK',
      message: expect.stringContaining(path.join(dir, 'leases', 'job.json')),
    });
    expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
  });
});

describe('local backend: the doctor', () => {
  it('finds nothing wrong in a healthy folder, and nothing in a missing one', async () => {
    expect(await checkCoordinationFiles(path.join(tmp(), 'none'))).toEqual([]);
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    await acquired(c, 'job');
    await c.publish({ type: 'test.event' });
    await c.putResult({ key: 'r', value: 'v', ttlMs: 60_000 });
    const findings = await checkCoordinationFiles(dir);
    expect(findings.filter((f) => f.severity === 'problem')).toEqual([]);
    expect(findings.at(-1)).toMatchObject({ check: 'coordination-files', severity: 'info' });
  });

  it('reports damage and links, and --fix moves them aside (nothing deleted), rewrites the log, heals fences', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    const held = await acquired(c, 'held');
    await acquired(c, 'broken');
    await c.acceptFence('store', held.fence);
    const events = [await c.publish({ type: 'test.one' }), await c.publish({ type: 'test.two' })];
    await c.putResult({ key: 'good', value: 'v', ttlMs: 60_000 });
    await c.putResult({ key: 'bad', value: 'v', ttlMs: 60_000 });
    fs.writeFileSync(path.join(dir, 'leases', 'broken.json'), '{}');
    fs.writeFileSync(path.join(dir, 'fenced', 'store.json'), 'garbage');
    fs.writeFileSync(path.join(dir, 'results', 'bad.json'), '[]');
    fs.writeFileSync(path.join(dir, 'results', 'x.json.abc.wfs-tmp'), 'half');
    const outside = path.join(tmp(), 'secret');
    fs.writeFileSync(outside, 'secret');
    fs.symlinkSync(outside, path.join(dir, 'presence'));
    fs.appendFileSync(path.join(dir, 'events.jsonl'), 'garbage\n{"id":1,"ty');
    fs.writeFileSync(path.join(dir, 'counters.json'), 'damaged');

    const report = await checkCoordinationFiles(dir);
    const problems = report.filter((f) => f.severity === 'problem').map((f) => f.message);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('presence/ is a symbolic link'),
        expect.stringContaining('counters.json is damaged'),
        expect.stringContaining('leases/broken.json is not a lease record'),
        expect.stringContaining('fenced/store.json is damaged'),
        expect.stringContaining('results/bad.json is not an entry of results'),
        expect.stringContaining('was left by a killed process'),
        expect.stringContaining(
          'events.jsonl has 1 line that are not events and a last line without its end',
        ),
      ]),
    );
    expect(problems).toHaveLength(7);
    expect(report.every((f) => f.fixed === undefined)).toBe(true);
    // Checking changed nothing.
    expect(fs.readFileSync(path.join(dir, 'counters.json'), 'utf8')).toBe('damaged');

    const fixed = await checkCoordinationFiles(dir, { fix: true });
    expect(fixed.filter((f) => f.severity === 'problem').every((f) => f.fixed !== undefined)).toBe(true);
    const aside = fs.readdirSync(dir).find((n) => n.startsWith('.damaged-'))!;
    expect(fs.readFileSync(path.join(dir, aside, 'leases', 'broken.json'), 'utf8')).toBe('{}');
    expect(fs.readFileSync(path.join(dir, aside, 'counters.json'), 'utf8')).toBe('damaged');
    expect(fs.readlinkSync(path.join(dir, aside, 'presence'))).toBe(outside);
    expect(fs.readFileSync(path.join(dir, aside, 'events.jsonl'), 'utf8')).toContain('garbage\n');
    expect(fs.readFileSync(outside, 'utf8')).toBe('secret');
    expect((await checkCoordinationFiles(dir)).filter((f) => f.severity === 'problem')).toEqual([]);

    // Everything still works, above every number from before.
    const fresh = new LocalCoordinator(dir);
    expect((await fresh.readEvents()).map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(await fresh.acceptFence('store', held.fence)).toBe(false);
    expect((await fresh.inspect('held'))?.fence).toBe(held.fence);
    const next = await acquired(fresh, 'broken');
    expect(next.fence).toBeGreaterThan(held.fence);
    expect(await fresh.acceptFence('store', next.fence)).toBe(true);
    expect((await fresh.publish({ type: 'test.three' })).id).toBeGreaterThan(events[1]!.id);
    expect((await fresh.getResult('good'))?.text).toBe('v');
  });

  it('a result in an encoding this wfs does not know is damage: named to a reader of it, left out of listings, reported, moved aside', async () => {
    const dir = tmp();
    const c = new LocalCoordinator(dir);
    await c.putResult({ key: 'bytes', value: Buffer.from([0xff, 0x00]), ttlMs: 60_000 });
    const file = path.join(dir, 'results', 'bytes.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Bytes that are not UTF-8 are kept in base64, and said so.
    expect(stored.value).toMatchObject({ value: '/wA=', encoding: 'base64' });
    fs.writeFileSync(file, JSON.stringify({ ...stored, value: { ...stored.value, encoding: 'zstd' } }));
    await expect(c.getResult('bytes')).rejects.toMatchObject({ code: 'E_CORRUPT', details: { path: file } });
    expect(await c.listResults()).toEqual([]);
    const fixed = await checkCoordinationFiles(dir, { fix: true });
    expect(fixed.filter((f) => f.severity === 'problem').map((f) => f.message)).toEqual([
      expect.stringContaining('results/bytes.json is not an entry of results'),
    ]);
  });
});

describe('local backend: the presence index', () => {
  const indexDir = (c: LocalCoordinator) => path.join(c.dir, '.presence-expiry', c.clock.boot ?? 'wall');

  it('a kill between a record and its index entry hides the session until its next heartbeat, never shows a dead one; the doctor repairs both', async () => {
    const c = new LocalCoordinator(tmp());
    for (const s of ['WFS-a', 'WFS-b', 'WFS-c']) await c.heartbeat({ session: s, ttlMs: 60_000 });
    const entries = () => fs.readdirSync(indexDir(c));
    const entryOf = (s: string) =>
      entries().find((n) => n.endsWith(`-${fileNameOf(s).replace(/\.json$/, '')}`))!;
    // WFS-a's entry lost (killed after its record was written): not shown, but found when named.
    fs.rmSync(path.join(indexDir(c), entryOf('WFS-a')));
    let view = await c.presenceView({ limit: 10, members: [{ session: 'WFS-a' }] });
    expect(view.count).toBe(2);
    expect(view.sessions.map((p) => p.session).sort()).toEqual(['WFS-b', 'WFS-c']);
    expect(view.members.map((p) => p.session)).toEqual(['WFS-a']);
    // WFS-b's previous entry left behind (killed before dropping it): counted once.
    const old = entryOf('WFS-b');
    await c.heartbeat({ session: 'WFS-b', ttlMs: 90_000 });
    fs.writeFileSync(path.join(indexDir(c), old), '');
    // WFS-c's record removed by hand: its entry names no live record, and it is not shown.
    fs.rmSync(path.join(c.dir, 'presence', fileNameOf('WFS-c')));
    view = await c.presenceView({ limit: 10 });
    expect(view.sessions.map((p) => p.session)).toEqual(['WFS-b']);
    const findings = await checkCoordinationFiles(c.dir);
    expect(findings.filter((f) => f.severity === 'problem').map((f) => f.message)).toEqual([
      '.presence-expiry has 2 entries of no live session (counted as live until they expire)',
      '1 live session(s) without an entry in .presence-expiry (not shown by wfs context until their next heartbeat)',
    ]);
    await checkCoordinationFiles(c.dir, { fix: true });
    expect((await checkCoordinationFiles(c.dir)).filter((f) => f.severity === 'problem')).toEqual([]);
    view = await c.presenceView({ limit: 10 });
    expect(view.count).toBe(2);
    expect(view.sessions.map((p) => p.session)).toEqual(['WFS-b', 'WFS-a']);
    // Without a repair, the next heartbeat puts a hidden session back.
    fs.rmSync(path.join(indexDir(c), entryOf('WFS-a')));
    await c.heartbeat({ session: 'WFS-a', ttlMs: 60_000 });
    expect((await c.presenceView({ limit: 10 })).count).toBe(2);
  });

  it('leaving and expiring drop the entries; a folder without an index (an older wfs) is listed from its records', async () => {
    const c = new LocalCoordinator(tmp());
    await c.heartbeat({ session: 'WFS-a', ttlMs: 60_000 });
    await c.heartbeat({ session: 'WFS-short', ttlMs: 200 });
    await c.leave('WFS-a');
    expect(fs.readdirSync(indexDir(c))).toHaveLength(1);
    await vi.waitFor(async () => expect((await c.presenceView({ limit: 5 })).count).toBe(0), {
      timeout: 30_000,
    });
    // The sweep that removes the expired record drops its entry.
    await vi.waitFor(
      async () => {
        await c.heartbeat({ session: 'WFS-b', ttlMs: 60_000 });
        expect(fs.readdirSync(indexDir(c)).map((n) => n.replace(/^\d+-/, ''))).toEqual([
          fileNameOf('WFS-b').replace(/\.json$/, ''),
        ]);
      },
      { timeout: 30_000 },
    );
    fs.rmSync(path.join(c.dir, '.presence-expiry'), { recursive: true });
    const view = await c.presenceView({ limit: 5, members: [{ session: 'WFS-b' }] });
    expect([view.count, view.sessions.length, view.members.length]).toEqual([1, 1, 1]);
  });
});
