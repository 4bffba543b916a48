import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import { RedisCoordinator } from '../../src/coord/redis/coordinator.js';
import type { LeaseCoordinator } from '../../src/coord/types.js';
import { tempDir } from '../helpers.js';
import { startRedis, type TestRedis } from '../redis-server.js';

const WORKER = path.resolve(import.meta.dirname, 'worker.mjs');
const tmp = (prefix: string) => tempDir(prefix);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

interface Backend {
  name: string;
  /** A fresh place for one test: a folder (embedded) or a project ID (Redis). */
  place(): string;
  env(): NodeJS.ProcessEnv;
  open(place: string): Promise<LeaseCoordinator>;
}

let projects = 0;
const BACKENDS: Backend[] = [
  {
    name: 'local',
    place: () => tmp('wfs-coord-'),
    env: () => ({}),
    open: async (dir) => new LocalCoordinator(dir),
  },
  {
    name: 'redis',
    place: () => `processes-${process.pid}-${++projects}`,
    env: () => ({ REDIS_URL: redis.url }),
    open: (project) => RedisCoordinator.connect({ url: redis.url, projectId: project }),
  },
];

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [WORKER, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let out = '';
  const lines: ((line: string) => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const wait of [...lines]) wait(out);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve) => {
      const check = (text: string) => {
        const match = pattern.exec(text);
        if (match) resolve(match);
      };
      lines.push(check);
      check(out);
    });
  return { child, exited, waitFor, output: () => out };
}

describe.each(BACKENDS)('$name backend across processes', (backend) => {
  it('8 processes x 200 grants of one lease: no overlap, fences strictly increasing, the counter exact', async () => {
    const dir = backend.place();
    const store = tmp('wfs-store-');
    fs.writeFileSync(path.join(store, 'counter'), '0');
    const workers = Array.from({ length: 8 }, () => start(['counter', dir, store, '200'], backend.env()));
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual(Array(8).fill(0));
    const results = workers.map((w) => JSON.parse(w.output()) as { overlaps: number; refused: number });
    expect(results.reduce((s, r) => s + r.overlaps, 0)).toBe(0);
    expect(results.reduce((s, r) => s + r.refused, 0)).toBe(0);
    expect(Number(fs.readFileSync(path.join(store, 'counter'), 'utf8'))).toBe(1600);
    const fences = fs.readFileSync(path.join(store, 'fences'), 'utf8').trim().split('\n').map(Number);
    expect(fences).toHaveLength(1600);
    for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
  }, 300_000);

  it('a holder stopped (SIGSTOP) past its TTL: another process takes the lease within TTL + 1 s; the stale holder is told and its fenced write refused', async () => {
    const dir = backend.place();
    const holder = start(['holder', dir, 'job', '600'], backend.env());
    const [, fence] = await holder.waitFor(/acquired (\d+)/);
    holder.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const other = await backend.open(dir);
    const got = await other.acquire('job', { ttlMs: 10_000, waitMs: 5_000 });
    expect(got.status).toBe('acquired');
    expect(Date.now() - stoppedAt).toBeLessThan(600 + 1_000);
    if (got.status !== 'acquired') return;
    expect(got.lease.fence).toBeGreaterThan(Number(fence));
    expect(await other.acceptFence('job-store', got.lease.fence)).toBe(true);
    holder.child.kill('SIGCONT');
    const [, code, write] = await holder.waitFor(/lost (\w+) write=(\w+)/);
    expect(code).toBe('E_LEASE_LOST');
    expect(write).toBe('refused');
    expect(await holder.exited).toBe(0);
    await other.close();
  }, 60_000);

  it('a holder killed (SIGKILL): the lease is free at its TTL', async () => {
    const dir = backend.place();
    const holder = start(['holder', dir, 'killed', '800'], backend.env());
    const [, until] = await holder.waitFor(/acquired \d+ until (\d+)/);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const other = await backend.open(dir);
    expect((await other.acquire('killed', { ttlMs: 5_000 })).status).toBe('held');
    const got = await other.acquire('killed', { ttlMs: 5_000, waitMs: 5_000 });
    expect(got.status).toBe('acquired');
    // Free at its TTL: not before the dead holder's expiry, and taken by a waiter that waits for it
    // (the wait's bound, 5 s, is far above the 800 ms TTL). Expiries are judged on the host clock,
    // which moves in 10 ms steps; `until` is its wall-clock rendering, so 20 ms either way is one step.
    expect(Date.now()).toBeGreaterThanOrEqual(Number(until) - 20);
    await other.close();
  }, 60_000);
});

/** One `try` of the worker under `faketime -f OFFSET`: its wall clock (Date.now, hrtime) is off by it. */
function tryWithClock(offset: string, dir: string, name: string, ttlMs: number, waitMs: number) {
  return new Promise<{ status: string; fence: number }>((resolve, reject) => {
    execFile(
      'faketime',
      ['-f', offset, process.execPath, WORKER, 'try', dir, name, String(ttlMs), String(waitMs)],
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { status: string; fence: number });
      },
    );
  });
}

const haveFaketime = spawnSync('faketime', ['-f', '+0', 'true']).status === 0;
if (!haveFaketime) console.warn('faketime is not installed: the clock-difference tests are skipped');

describe.skipIf(!haveFaketime)('local backend: processes whose wall clocks differ (faketime)', () => {
  it('a process 11 minutes ahead does not take a live 10-minute lease', async () => {
    const dir = tmp('wfs-coord-');
    const c = new LocalCoordinator(dir);
    const held = await c.acquire('job', { ttlMs: 600_000 });
    expect(held.status).toBe('acquired');
    expect(await tryWithClock('+11m', dir, 'job', 60_000, 0)).toMatchObject({ status: 'held' });
    // Nor one of a second: the lease runs out by the host's clock, the same for every process.
    expect(await tryWithClock('+11m', dir, 'job', 60_000, 0)).toMatchObject({ status: 'held' });
  });

  it('a lease taken by a process 11 minutes ahead is free for the others at its TTL, not 11 minutes later', async () => {
    const dir = tmp('wfs-coord-');
    const ahead = await tryWithClock('+11m', dir, 'job', 1_500, 0);
    expect(ahead.status).toBe('acquired');
    const c = new LocalCoordinator(dir);
    const got = await c.acquire('job', { ttlMs: 60_000, waitMs: 10_000 });
    expect(got.status).toBe('acquired');
    expect(got.status === 'acquired' && got.lease.fence).toBeGreaterThan(ahead.fence);
  });

  it('a process 20 s behind does not keep seeing a lease past its expiry', async () => {
    const dir = tmp('wfs-coord-');
    const c = new LocalCoordinator(dir);
    const first = await c.acquire('job', { ttlMs: 1_500 });
    expect(first.status).toBe('acquired');
    // It waits up to 10 s: by its own clock the lease would end 21.5 s from now.
    expect(await tryWithClock('-20s', dir, 'job', 60_000, 10_000)).toMatchObject({ status: 'acquired' });
  });

  it('a lease taken by a process 20 s behind is not free before its TTL', async () => {
    const dir = tmp('wfs-coord-');
    const behind = await tryWithClock('-20s', dir, 'job', 10_000, 0);
    expect(behind.status).toBe('acquired');
    const got = await new LocalCoordinator(dir).acquire('job', { ttlMs: 1_000 });
    expect(got).toMatchObject({ status: 'held', current: { fence: behind.fence } });
  });
});
