import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator, redact } from '../../src/coord/redis/coordinator.js';
import { ProjectKeys } from '../../src/coord/redis/keys.js';
import * as leases from '../../src/coord/redis/leases.js';
import { startRedis, type TestRedis } from '../redis-server.js';
import { coordinationContract } from './coordination-contract.js';
import { leaseContract } from './lease-contract.js';
import {
  acquireAsBefore,
  acquireAsOneKeyBefore,
  releaseAsOneKeyBefore,
  storeResultAsBefore,
  storeResultRecord,
} from './redis-records.js';

let redis: TestRedis;
let project = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Runs `fn` with a plain connection to the server. */
async function withRaw<T>(fn: (raw: Redis) => Promise<T>): Promise<T> {
  const raw = new Redis(redis.url);
  try {
    return await fn(raw);
  } finally {
    raw.disconnect();
  }
}

const projectOf = new WeakMap<object, string>();

// Each case gets a project of its own on the shared server: keys of two projects never meet.
leaseContract(
  'redis',
  async () => {
    const projectId = `test-${process.pid}-${++project}`;
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    projectOf.set(c, projectId);
    return c;
  },
  {
    // The "clear the stuck lock" step: the name's record deleted, fence and all.
    forgetLease: (c, name) =>
      withRaw(async (raw) => {
        await raw.del(new ProjectKeys(projectOf.get(c)!).lease(name));
      }),
  },
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

describe('leases of the previous version (a hash per live lease), with its own acquire', () => {
  it('a live lease it granted is held after the upgrade: never granted to a second holder; its owner renews and releases it', async () => {
    const projectId = `before-${process.pid}`;
    const keys = new ProjectKeys(projectId);
    const holder = { session: 'WFS-old', host: 'old-host', pid: 4242 };
    const before = await withRaw((raw) =>
      acquireAsBefore(raw, projectId, { name: 'deploy', token: 'old-token', holder, ttlMs: 2_000 }),
    );
    expect(before.status).toBe(1);
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    const current = { name: 'deploy', fence: before.fence, expiresAt: before.expiresAt, holder };
    expect(await c.acquire('deploy', { ttlMs: 60_000 })).toEqual({ status: 'held', current });
    expect(await c.inspect('deploy')).toEqual(current);
    expect(await c.list()).toEqual([current]);
    expect(await c.release({ name: 'deploy', token: 'not-it' })).toBe('not_owner');
    // Renewed past the old key's TTL (2 s), in the current form.
    const renewed = await c.renew({ name: 'deploy', token: 'old-token' }, 60_000);
    expect(renewed).toMatchObject({ fence: before.fence, holder });
    expect(await withRaw((raw) => raw.type(keys.lease('deploy')))).toBe('string');
    expect(await withRaw((raw) => raw.pttl(keys.lease('deploy')))).toBeGreaterThan(50_000);
    expect(await c.acquire('deploy', { ttlMs: 60_000 })).toMatchObject({ status: 'held' });
    expect(await c.release({ name: 'deploy', token: 'old-token' })).toBe('released');
    const next = await c.acquire('deploy', { ttlMs: 60_000 });
    expect(next.status === 'acquired' && next.lease.fence > before.fence).toBe(true);
    await c.close();
  });

  it('one it granted and released: the next fence is above its last one, from the same fence hash', async () => {
    const projectId = `before-fence-${process.pid}`;
    const keys = new ProjectKeys(projectId);
    // Far above the server's floor, as only the fence hash can say.
    const [seconds] = await withRaw((raw) => raw.time());
    const far = (Number(seconds) + 3_600) * 1000 * 1024;
    const before = await withRaw(async (raw) => {
      await raw.hset(keys.fence('job'), 'fence', far);
      const got = await acquireAsBefore(raw, projectId, {
        name: 'job',
        token: 't',
        holder: {},
        ttlMs: 60_000,
      });
      await raw.del(keys.lease('job'));
      return got;
    });
    expect(before.fence).toBe(far + 1);
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    const got = await c.acquire('job', { ttlMs: 60_000 });
    expect(got.status === 'acquired' && got.lease.fence).toBe(far + 2);
    await c.close();
  });

  it('running beside this version: it grants nothing while this version holds the name (it fails on the key), and grants after the release with a higher fence', async () => {
    const projectId = `beside-${process.pid}`;
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    const got = await c.acquire('job', { ttlMs: 60_000 });
    if (got.status !== 'acquired') throw new Error('not acquired');
    const old = { name: 'job', token: 'old', holder: {}, ttlMs: 60_000 };
    await expect(withRaw((raw) => acquireAsBefore(raw, projectId, old))).rejects.toThrow(/WRONGTYPE/);
    expect(await c.release(got.lease)).toBe('released');
    const after = await withRaw((raw) => acquireAsBefore(raw, projectId, old));
    expect(after.status).toBe(1);
    expect(after.fence).toBeGreaterThan(got.lease.fence);
    expect((await c.acquire('job', { ttlMs: 60_000 })).status).toBe('held');
    await c.close();
  });
});

describe('leases of the version before this one (one string key per live lease), with its own scripts', () => {
  it('a live lease it granted is held here: never granted twice; its owner renews and releases it; the next fence is higher', async () => {
    const projectId = `one-key-before-${process.pid}`;
    const holder = { session: 'WFS-before', host: 'before-host', pid: 4343 };
    const before = await withRaw((raw) =>
      acquireAsOneKeyBefore(raw, projectId, { name: 'deploy', token: 'before-token', holder, ttlMs: 60_000 }),
    );
    expect(before.status).toBe(1);
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    const current = { name: 'deploy', fence: before.fence, expiresAt: before.expiresAt, holder };
    expect(await c.acquire('deploy', { ttlMs: 60_000 })).toEqual({ status: 'held', current });
    expect(await c.inspect('deploy')).toEqual(current);
    expect(await c.list()).toEqual([current]);
    // A token that begins the owner's is not the owner's.
    expect(await c.release({ name: 'deploy', token: 'before' })).toBe('not_owner');
    expect(await c.renew({ name: 'deploy', token: 'before' }, 60_000)).toBeUndefined();
    expect(await c.renew({ name: 'deploy', token: 'before-token' }, 60_000)).toMatchObject({
      fence: before.fence,
      holder,
    });
    expect(await c.release({ name: 'deploy', token: 'before-token' })).toBe('released');
    const next = await c.acquire('deploy', { ttlMs: 60_000 });
    expect(next.status === 'acquired' && next.lease.fence > before.fence).toBe(true);
    await c.close();
  });

  it('running beside this version: each sees the other’s leases held, releases only its own, and fences keep rising across both', async () => {
    const projectId = `one-key-beside-${process.pid}`;
    const c = await RedisCoordinator.connect({ url: redis.url, projectId });
    const ours = await c.acquire('job', { ttlMs: 60_000 });
    if (ours.status !== 'acquired') throw new Error('not acquired');
    const theirs = { name: 'job', token: 'before-token', holder: {}, ttlMs: 60_000 };
    expect((await withRaw((raw) => acquireAsOneKeyBefore(raw, projectId, theirs))).status).toBe(0);
    expect(await withRaw((raw) => releaseAsOneKeyBefore(raw, projectId, theirs))).toBe('not_owner');
    expect(await withRaw((raw) => releaseAsOneKeyBefore(raw, projectId, ours.lease))).toBe('released');
    const granted = await withRaw((raw) => acquireAsOneKeyBefore(raw, projectId, theirs));
    expect(granted.status).toBe(1);
    expect(granted.fence).toBeGreaterThan(ours.lease.fence);
    expect(await c.inspect('job')).toMatchObject({ fence: granted.fence });
    expect(await c.release(ours.lease)).toBe('not_owner');
    expect(await c.release(theirs)).toBe('released');
    const again = await c.acquire('job', { ttlMs: 60_000 });
    expect(again.status === 'acquired' && again.lease.fence > granted.fence).toBe(true);
    await c.close();
  });
});

describe('an acquire that timed out, undone (the abandoned token in the fence hash)', () => {
  it('a grant applied after its abandon is refused, for that token only; asked again, the abandon says the same', async () => {
    const keys = new ProjectKeys(`abandon-${process.pid}`);
    await withRaw(async (raw) => {
      expect(await leases.abandon(raw, keys, { name: 'job', token: 'late' })).toBe('not_held');
      expect(await leases.grant(raw, keys, 'job', 'late', 60_000, '{}')).toEqual([2]);
      expect(await raw.exists(keys.lease('job'))).toBe(0);
      expect(await leases.abandon(raw, keys, { name: 'job', token: 'late' })).toBe('not_held');
      // Granted before its abandon: released by it; asked again, still "released".
      expect(typeof (await leases.grant(raw, keys, 'job', 'early', 60_000, '{}'))).toBe('string');
      expect(await leases.abandon(raw, keys, { name: 'job', token: 'early' })).toBe('released');
      expect(await raw.exists(keys.lease('job'))).toBe(0);
      expect(await leases.abandon(raw, keys, { name: 'job', token: 'early' })).toBe('released');
      expect(await leases.grant(raw, keys, 'job', 'early', 60_000, '{}')).toEqual([2]);
      expect(typeof (await leases.grant(raw, keys, 'job', 'other', 60_000, '{}'))).toBe('string');
    });
  });

  it('a marker older than the longest lease is swept at the name’s first grant of an hour; a newer one stays', async () => {
    const keys = new ProjectKeys(`abandon-sweep-${process.pid}`);
    await withRaw(async (raw) => {
      expect(await leases.abandon(raw, keys, { name: 'job', token: 'recent' })).toBe('not_held');
      const first = await leases.grant(raw, keys, 'job', 'first', 60_000, '{}');
      if (typeof first !== 'string') throw new Error('not granted');
      await raw.del(keys.lease('job'));
      const [seconds] = await raw.time();
      const dayAndMinuteAgo = (Number(seconds) - 24 * 3_600 - 60) * 1000;
      await raw.hset(keys.fence('job'), 'abandoned:old', `refused ${dayAndMinuteAgo}`);
      // The last grant an hour ago: the next one is the first of its hour.
      await raw.hset(keys.fence('job'), 'fence', Number(first.split(' ')[0]) - 3_600_000 * 1024);
      expect(typeof (await leases.grant(raw, keys, 'job', 'second', 60_000, '{}'))).toBe('string');
      expect((await raw.hkeys(keys.fence('job'))).sort()).toEqual(['abandoned:recent', 'fence']);
    });
  });
});

describe('the commands a lease costs the server', () => {
  it('an acquire+release pair of a name in use runs 7 Redis commands: the release a compare-and-delete, the acquire its SET NX PX with the fence', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: `count-${process.pid}` });
    const pair = async () => {
      const got = await c.acquire('counted', { ttlMs: 60_000 });
      if (got.status !== 'acquired') throw new Error('not acquired');
      expect(await c.release(got.lease)).toBe('released');
    };
    await pair();
    const commands = await withRaw(async (raw) => {
      await raw.config('RESETSTAT');
      for (let i = 0; i < 10; i++) await pair();
      const counted: Record<string, number> = {};
      for (const line of (await raw.info('commandstats')).split('\n')) {
        const found = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
        if (found && !/^(config|info|evalsha|eval)\b/.test(found[1]!))
          counted[found[1]!] = Number(found[2]) / 10;
      }
      return counted;
    });
    expect(commands).toEqual({ time: 1, hmget: 1, set: 1, hset: 1, zadd: 1, get: 1, del: 1 });
    await c.close();
  });
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
