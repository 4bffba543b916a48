import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator, redact } from '../../src/coord/redis/coordinator.js';
import { startRedis, type TestRedis } from '../redis-server.js';
import { coordinationContract } from './coordination-contract.js';
import { leaseContract } from './lease-contract.js';
import { storeResultAsBefore, storeResultRecord } from './redis-records.js';

let redis: TestRedis;
let project = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Each case gets a project of its own on the shared server: keys of two projects never meet.
leaseContract('redis', () =>
  RedisCoordinator.connect({ url: redis.url, projectId: `test-${process.pid}-${++project}` }),
);

coordinationContract('redis', async () => {
  const projectId = `test-${process.pid}-${++project}`;
  const again = () => RedisCoordinator.connect({ url: redis.url, projectId });
  return {
    c: await again(),
    again,
    storeAsBefore: async (record, ttlMs) => {
      const raw = new Redis(redis.url);
      try {
        await storeResultAsBefore(raw, projectId, record, ttlMs);
      } finally {
        raw.disconnect();
      }
    },
  };
});

describe('redis backend specifics', () => {
  it('a follower stopped while its XREAD blocks leaves no timer that keeps the process alive', () => {
    // A process of its own, on the build's internals: the timers made in it that still hold the
    // event loop after close are counted there (ioredis's reconnection timer once kept it 2 s).
    const internals = path.resolve(import.meta.dirname, '..', '..', 'dist', 'internals.js');
    const ioredis = path.resolve(
      import.meta.dirname,
      '..',
      '..',
      'node_modules',
      'ioredis',
      'built',
      'index.js',
    );
    const url = JSON.stringify(redis.url);
    const script = `
      import { createHook } from 'node:async_hooks';
      const timers = new Map();
      createHook({
        init(id, type, _trigger, resource) { if (type === 'Timeout') timers.set(id, resource); },
        destroy(id) { timers.delete(id); },
      }).enable();
      const RedisCoordinator = await (await import(${JSON.stringify(internals)})).loadRedisCoordinator();
      const { default: Redis } = await import(${JSON.stringify(ioredis)});
      const c = await RedisCoordinator.connect({ url: ${url}, projectId: 'follow-exit' });
      const watcher = new Redis(${url});
      const stop = new AbortController();
      const following = c.followEvents(0, () => {}, stop.signal);
      // Stopped once the server has the follower's XREAD blocked, not after some time.
      while (!(await watcher.client('LIST')).includes('cmd=xread')) await new Promise((r) => setImmediate(r));
      stop.abort();
      await following;
      await c.close();
      await watcher.quit();
      setImmediate(() => console.log(JSON.stringify([...timers.values()].filter((t) => t.hasRef()).map((t) => t._idleTimeout))));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual([]);
  });

  it('fences stay above every earlier fence after a restart of a Redis that keeps nothing; stale fences are refused', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'restart' });
    const before = await c.acquire('job', { ttlMs: 60_000 });
    if (before.status !== 'acquired') throw new Error('not acquired');
    expect(await c.acceptFence('job-store', before.lease.fence)).toBe(true);
    await c.close();
    await redis.stop();
    await redis.start();
    const after = await RedisCoordinator.connect({ url: redis.url, projectId: 'restart' });
    const granted = await after.acquire('job', { ttlMs: 60_000 });
    expect(granted.status).toBe('acquired');
    if (granted.status !== 'acquired') return;
    expect(granted.lease.fence).toBeGreaterThan(before.lease.fence);
    // The store forgot the newest fence it had seen; the holder from before the restart is still refused.
    expect(await after.acceptFence('job-store', before.lease.fence)).toBe(false);
    expect(await after.acceptFence('job-store', granted.lease.fence)).toBe(true);
    await after.close();
  });

  it('Redis stopped mid-run: operations fail with a clear error; after the restart work goes on with one holder', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'mid-run', timeoutMs: 500 });
    const held = await c.acquire('job', { ttlMs: 60_000 });
    expect(held.status).toBe('acquired');
    await redis.stop();
    const started = Date.now();
    await expect(c.acquire('other', { ttlMs: 1_000 })).rejects.toMatchObject({
      code: 'E_UNREACHABLE',
      message: expect.stringMatching(/^Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(acquire\): /),
    });
    await expect(
      c.renew(held.status === 'acquired' ? held.lease : { name: 'job', token: 'x' }, 1_000),
    ).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    await expect(c.publish({ type: 'test.lost' })).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    await expect(c.getResult('k')).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    // Within the timeout (500 ms each), with a second of slack for a loaded machine.
    expect(Date.now() - started).toBeLessThan(4 * 500 + 1_000);
    await c.close();
    await redis.start();
    const a = await RedisCoordinator.connect({ url: redis.url, projectId: 'mid-run' });
    const b = await RedisCoordinator.connect({ url: redis.url, projectId: 'mid-run' });
    const first = await a.acquire('job', { ttlMs: 60_000 });
    expect(first.status).toBe('acquired');
    expect((await b.acquire('job', { ttlMs: 60_000 })).status).toBe('held');
    await a.close();
    await b.close();
  });

  it('a follower is told when the server goes away (E_UNREACHABLE), never left waiting', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'follow-lost', timeoutMs: 500 });
    const seen: string[] = [];
    // Handled from the start: it rejects as soon as the server is gone, perhaps before stop() returns.
    const following = c
      .followEvents(0, (e) => seen.push(e.type), new AbortController().signal)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await c.publish({ type: 'test.before' });
    for (let i = 0; i < 40 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await redis.stop();
    expect(await following).toMatchObject({ code: 'E_UNREACHABLE' });
    expect(seen).toEqual(['test.before']);
    await c.close();
    await redis.start();
  });

  it('an unreachable server fails with a clear error within the timeout; the password is never printed', async () => {
    await expect(
      RedisCoordinator.connect({ url: 'redis://:secret@127.0.0.1:1', projectId: 'x', timeoutMs: 500 }),
    ).rejects.toMatchObject({
      code: 'E_UNREACHABLE',
      message: expect.stringMatching(/^Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(connect\): /),
    });
    expect(redact('rediss://user:pw@host:6380/0')).toBe('rediss://user:***@host:6380/0');
  });

  it('a result stored in an encoding this wfs does not know is E_CORRUPT naming it, never read as text', async () => {
    const projectId = `test-${process.pid}-${++project}`;
    const raw = new Redis(redis.url);
    const record = { key: 'newer', value: 'KLUv/QBY', encoding: 'zstd', session: null, host: 'h' };
    await storeResultRecord(raw, projectId, record, Date.now(), 60_000);
    raw.disconnect();
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    const corrupt = { code: 'E_CORRUPT', message: expect.stringContaining('newer') };
    await expect(c.getResult('newer')).rejects.toMatchObject(corrupt);
    await expect(c.listResults()).rejects.toMatchObject(corrupt);
    await c.close();
  });

  it('a claim change whose compare-and-set keeps losing gives up with an error that says so, changing nothing', async () => {
    const projectId = `test-${process.pid}-${++project}`;
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    await c.claimPaths({ session: 'WFS-a', paths: ['src/**'], ttlMs: 60_000 });
    // Another writer changes a claim after every request of this coordinator, so each read it
    // decides on is out of date by the time it writes.
    const raw = new Redis(redis.url);
    const client = (c as unknown as { connection: { client: Redis } }).connection.client;
    const evalsha = client.evalsha.bind(client);
    let requests = 0;
    client.evalsha = (async (...args: Parameters<Redis['evalsha']>) => {
      const reply = await evalsha(...args);
      requests++;
      await raw.incr(`wfs:{${projectId}}:claims:version`);
      return reply;
    }) as Redis['evalsha'];
    await expect(c.changeClaims({ session: 'WFS-a', add: ['lib/**'], ttlMs: 60_000 })).rejects.toMatchObject({
      code: 'E_LOCK_TIMEOUT',
      message: expect.stringMatching(
        /^The claim of WFS-a was not changed: other sessions changed claims each time it tried \(50 times\)/,
      ),
    });
    expect(requests).toBe(100);
    client.evalsha = evalsha;
    expect((await c.listClaims()).map((claim) => claim.paths)).toEqual([['src/**']]);
    raw.disconnect();
    await c.close();
  });
});

describe('redis over TLS that requires a client certificate', () => {
  let strict: TestRedis;
  beforeAll(async () => {
    strict = await startRedis({ tls: true, clientCertificates: true });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it('a handshake the server refuses (no client certificate) is E_CONFIG; with one it connects', async () => {
    const ca = fs.readFileSync(strict.caFile!);
    const withCertificate = await RedisCoordinator.connect({
      url: strict.url,
      projectId: 'tls',
      tls: { ca, cert: fs.readFileSync(strict.clientCertFile!), key: fs.readFileSync(strict.clientKeyFile!) },
    });
    expect((await withCertificate.acquire('job', { ttlMs: 1_000 })).status).toBe('acquired');
    await withCertificate.close();
    await expect(
      RedisCoordinator.connect({
        url: strict.url,
        projectId: 'tls',
        tls: { ca },
      }),
    ).rejects.toMatchObject({
      code: 'E_CONFIG',
      message: expect.stringMatching(
        /^TLS with Redis at rediss:\/\/127\.0\.0\.1:\d+ failed \(connect\): .*certificate/,
      ),
    });
  });
});

describe('redis over TLS with a password (rediss://)', () => {
  let secure: TestRedis;
  beforeAll(async () => {
    secure = await startRedis({ tls: true, password: 's3cret' });
  });
  afterAll(async () => {
    await secure?.stop();
  });

  it('connects with the authority given, works, and refuses a server it cannot verify without printing the password', async () => {
    expect(secure.url).toMatch(/^rediss:\/\/:s3cret@127\.0\.0\.1:\d+$/);
    const c = await RedisCoordinator.connect({
      url: secure.url,
      projectId: 'tls',
      tls: { ca: fs.readFileSync(secure.caFile!) },
    });
    const got = await c.acquire('job', { ttlMs: 5_000 });
    expect(got.status).toBe('acquired');
    expect((await c.publish({ type: 'test.tls' })).type).toBe('test.tls');
    await c.close();
    // No authority: the certificate cannot be verified, and that is a setting to correct
    // (E_CONFIG), never a fallback nor a server that is down.
    const refused = RedisCoordinator.connect({ url: secure.url, projectId: 'tls', timeoutMs: 1_000 });
    await expect(refused).rejects.toMatchObject({
      code: 'E_CONFIG',
      exitCode: 2,
      message: expect.stringMatching(
        /^TLS with Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ failed \(connect\): .*certificate/,
      ),
    });
    await refused.catch((error: Error) => expect(error.message).not.toContain('s3cret'));
    // A wrong password is refused: E_AUTH.
    const wrong = RedisCoordinator.connect({
      url: secure.url.replace('s3cret', 'bad-guess'),
      projectId: 'tls',
      tls: { ca: fs.readFileSync(secure.caFile!) },
    });
    await expect(wrong).rejects.toMatchObject({
      code: 'E_AUTH',
      message: expect.stringMatching(
        /^Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused connect: WRONGPASS/,
      ),
    });
    await wrong.catch((error: Error) => expect(error.message).not.toContain('bad-guess'));
  });
});
