import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepLease } from '../../src/coord/keep-lease.js';
import { RedisCoordinator } from '../../src/coord/redis/coordinator.js';
import { FENCE_KEEP_MS } from '../../src/coord/redis/leases.js';
import { LEASE_MAX_TTL_MS } from '../../src/coord/rules.js';
import type { Lease, LeaseCoordinator } from '../../src/coord/types.js';
import { startRedis, type TestRedis } from '../redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (condition: () => boolean) => {
  while (!condition()) await sleep(10);
};

let redis: TestRedis;
let admin: Redis;

/** Runs every write once, so that the server has the scripts. */
async function warmUp(c: RedisCoordinator): Promise<void> {
  const got = await c.acquire('warm-up', { ttlMs: 1_000 });
  if (got.status !== 'acquired') throw new Error('not acquired');
  await c.renew(got.lease, 1_000);
  await c.release(got.lease);
  await c.putResult({ key: 'warm-up', value: '', ttlMs: 1 });
  await c.publish({ type: 'test.warm' });
  await c.heartbeat({ session: 'WFS-warm', ttlMs: 1 });
  await c.claimPaths({ session: 'WFS-warm', paths: ['x'], ttlMs: 1 });
  await c.acceptFence('warm-up', got.lease.fence);
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  // It reconnects while a test has stopped the server; its errors are of no interest.
  admin.on('error', () => {});
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

describe('a request that times out may have been applied, and says so', () => {
  it('an acquire that times out while the server is paused releases the lease it was granted when the pause ends', async () => {
    const c = await RedisCoordinator.connect({
      url: redis.url,
      projectId: 'paused-acquire',
      timeoutMs: 1_000,
    });
    // The server knows the scripts (as it does but after a restart): paused, it runs them later.
    await warmUp(c);
    await admin.call('CLIENT', 'PAUSE', '2500', 'WRITE');
    const failed = await c.acquire('job', { ttlMs: 60_000 }).catch((error: unknown) => error);
    expect(failed).toMatchObject({
      code: 'E_UNREACHABLE',
      message: expect.stringMatching(
        /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(acquire\): no answer within 1000 ms; the lease it may have been granted: it had been granted and was released$/,
      ),
    });
    // The server did grant it when the pause ended; the release ran after: no phantom lease.
    expect(await c.inspect('job')).toBeUndefined();
    expect(await c.list()).toEqual([]);
    expect((await c.acquire('job', { ttlMs: 60_000 })).status).toBe('acquired');
    await c.close();
  });

  it('every other write that times out says what it may have done; after the pause it is seen done', async () => {
    const c = await RedisCoordinator.connect({
      url: redis.url,
      projectId: 'paused-writes',
      timeoutMs: 1_000,
    });
    await warmUp(c);
    const got = await c.acquire('job', { ttlMs: 60_000 });
    if (got.status !== 'acquired') throw new Error('not acquired');
    await admin.call('CLIENT', 'PAUSE', '2000', 'WRITE');
    const outcome = (request: Promise<unknown>) =>
      request.then(
        () => 'answered',
        (error: Error) => error.message,
      );
    const messages = await Promise.all([
      outcome(c.putResult({ key: 'built', value: 'v1', ttlMs: 60_000 })),
      outcome(c.renew(got.lease, 60_000)),
      outcome(c.publish({ type: 'test.paused' })),
      outcome(c.heartbeat({ session: 'WFS-paused', ttlMs: 60_000 })),
      outcome(c.acceptFence('store', got.lease.fence)),
      outcome(c.release(got.lease)),
      outcome(c.claimPaths({ session: 'WFS-paused', paths: ['src/**'], ttlMs: 60_000 })),
    ]);
    const said = [
      'the value may be stored',
      'the lease may have been renewed',
      'the event may have been published',
      'the heartbeat may have been recorded',
      'the fence may have been recorded as the newest seen',
      'the lease may have been released; if not, it ends at its expiry',
    ];
    // A claim change reads first (compare-and-set): a read without an answer changed nothing, and
    // says nothing about having been applied.
    expect(messages).toEqual([
      ...said.map((note) => expect.stringMatching(new RegExp(`no answer within 1000 ms; ${note}$`))),
      expect.stringMatching(/\(claims\): no answer within 1000 ms$/),
    ]);
    // Each of them was applied when the pause ended.
    await admin.call('CLIENT', 'UNPAUSE');
    expect((await c.getResult('built'))?.text).toBe('v1');
    expect((await c.readEvents()).map((e) => e.type)).toEqual(['test.warm', 'test.paused']);
    expect((await c.liveSessions()).map((p) => p.session)).toEqual(['WFS-paused']);
    expect(await c.listClaims()).toEqual([]);
    expect(await c.inspect('job')).toBeUndefined();
    await c.close();
  });

  it('a request the client could not send (the server is down) says nothing about having been applied', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'not-sent', timeoutMs: 500 });
    await redis.stop();
    try {
      const error = await c.putResult({ key: 'k', value: 'v', ttlMs: 1_000 }).catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'E_UNREACHABLE' });
      expect((error as Error).message).not.toMatch(/may be stored/);
    } finally {
      await c.close();
      await redis.start();
    }
  });
});

/** Counts the outcomes of a coordinator's renewals. */
function counted(c: LeaseCoordinator) {
  const renewals = { ok: 0, failed: 0 };
  const wrapped: LeaseCoordinator = Object.create(c);
  wrapped.renew = async (lease: Pick<Lease, 'name' | 'token'>, ttlMs: number) => {
    try {
      const renewed = await c.renew(lease, ttlMs);
      renewals.ok++;
      return renewed;
    } catch (error) {
      renewals.failed++;
      throw error;
    }
  };
  return { wrapped, renewals };
}

describe('keepLease through Redis failures', () => {
  it('a server that answers nothing for less than the TTL: renewals fail, are retried, resume; the signal does not abort', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'blip', timeoutMs: 500 });
    const got = await c.acquire('kept', { ttlMs: 6_000 });
    if (got.status !== 'acquired') throw new Error('not acquired');
    const { wrapped, renewals } = counted(c);
    const kept = keepLease(wrapped, got.lease, { ttlMs: 6_000 });
    await until(() => renewals.ok >= 1);
    redis.freeze();
    try {
      await until(() => renewals.failed >= 2);
      expect(kept.signal.aborted).toBe(false);
    } finally {
      redis.thaw();
    }
    const before = kept.current().expiresAt;
    await until(() => kept.current().expiresAt > before);
    expect(kept.signal.aborted).toBe(false);
    expect((await c.inspect('kept'))?.fence).toBe(got.lease.fence);
    kept.stop();
    await c.release(kept.current());
    await c.close();
  });

  it('a server down past the lease’s expiry: the signal aborts with E_LEASE_LOST, saying why', async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'down', timeoutMs: 500 });
    const got = await c.acquire('kept', { ttlMs: 2_000 });
    if (got.status !== 'acquired') throw new Error('not acquired');
    const kept = keepLease(c, got.lease, { ttlMs: 2_000 });
    await redis.stop();
    try {
      await new Promise((resolve) => kept.signal.addEventListener('abort', resolve));
      expect(kept.signal.reason).toMatchObject({
        code: 'E_LEASE_LOST',
        message: expect.stringMatching(
          /^The lease kept \(fence \d+\) was lost: it could not be renewed before it expired: Cannot reach Redis/,
        ),
      });
    } finally {
      kept.stop();
      await c.close();
      await redis.start();
    }
  });
});

describe('refused credentials are E_AUTH, never "unreachable"', () => {
  let secured: TestRedis;
  beforeAll(async () => {
    secured = await startRedis({ password: 'right-pw' });
    const acl = new Redis(secured.url);
    await acl.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw', '~*', '+@all', '-evalsha', '-eval');
    await acl.call('ACL', 'SETUSER', 'nowrites', 'on', '>pw', '~*', '+@all', '-set');
    acl.disconnect();
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('a wrong password, no password, and an ACL user without permission', async () => {
    const port = secured.port;
    for (const [url, reason] of [
      [`redis://:wrong-pw@127.0.0.1:${port}`, /WRONGPASS/],
      [`redis://127.0.0.1:${port}`, /NOAUTH/],
    ] as const) {
      const refused = await RedisCoordinator.connect({ url, projectId: 'auth' }).catch((e: Error) => e);
      expect(refused).toMatchObject({
        code: 'E_AUTH',
        exitCode: 2,
        message: expect.stringMatching(reason),
      });
      expect((refused as Error).message).not.toContain('wrong-pw');
    }
    const limited = await RedisCoordinator.connect({
      url: `redis://noscripts:pw@127.0.0.1:${port}`,
      projectId: 'auth',
    });
    await expect(limited.acquire('job', { ttlMs: 1_000 })).rejects.toMatchObject({
      code: 'E_AUTH',
      message: expect.stringMatching(
        /^Redis at redis:\/\/noscripts:\*\*\*@127\.0\.0\.1:\d+ refused acquire: NOPERM/,
      ),
    });
    await limited.close();
    const inScript = await RedisCoordinator.connect({
      url: `redis://nowrites:pw@127.0.0.1:${port}`,
      projectId: 'auth',
    });
    await expect(inScript.acceptFence('store', 1)).rejects.toMatchObject({ code: 'E_AUTH' });
    await inScript.close();
  });
});

describe('the URL and the project ID', () => {
  it('a database the server lacks is E_CONFIG naming it; one it has is used', async () => {
    await expect(RedisCoordinator.connect({ url: `${redis.url}/99`, projectId: 'db' })).rejects.toMatchObject(
      {
        code: 'E_CONFIG',
        message: expect.stringMatching(
          /names database 99, which the server refuses: ERR DB index is out of range/,
        ),
      },
    );
    await expect(RedisCoordinator.connect({ url: `${redis.url}/x`, projectId: 'db' })).rejects.toMatchObject({
      code: 'E_CONFIG',
    });
    const five = await RedisCoordinator.connect({ url: `${redis.url}/5`, projectId: 'db' });
    await five.acquire('job', { ttlMs: 60_000 });
    const inFive = new Redis(`${redis.url}/5`);
    expect(await inFive.exists('wfs:{db}:lease:job')).toBe(1);
    expect(await admin.exists('wfs:{db}:lease:job')).toBe(0);
    inFive.disconnect();
    await five.close();
  });

  it('project IDs map to keys one-to-one; IDs without % { } keep the key layout they had', async () => {
    const plain = await RedisCoordinator.connect({ url: redis.url, projectId: 'github.com/org/repo' });
    await plain.acquire('job', { ttlMs: 60_000 });
    expect(await admin.exists('wfs:{github.com/org/repo}:lease:job')).toBe(1);
    await plain.close();
    const ids = ['team{x}', 'team_x_', 'team%7Bx%7D', 'team%x'];
    for (const projectId of ids) {
      const c = await RedisCoordinator.connect({ url: redis.url, projectId });
      // Each is the first to ask in its own project.
      expect((await c.acquire('job', { ttlMs: 60_000 })).status).toBe('acquired');
      await c.close();
    }
    expect(await admin.exists('wfs:{team%7Bx%7D}:lease:job')).toBe(1);
    expect(await admin.exists('wfs:{team_x_}:lease:job')).toBe(1);
    expect(await admin.exists('wfs:{team%257Bx%257D}:lease:job')).toBe(1);
    expect(await admin.exists('wfs:{team%25x}:lease:job')).toBe(1);
  });
});

describe('bounded keys', () => {
  it("fence hashes and the lease index outlive the longest lease by a day, pushed out at a name's first grant of the hour and at renewals, not at every grant; fences stay monotonic without them", async () => {
    const c = await RedisCoordinator.connect({ url: redis.url, projectId: 'bounded' });
    const kept = ['wfs:{bounded}:fence:job', 'wfs:{bounded}:leases:exp'];
    const first = await c.acquire('job', { ttlMs: 60_000 });
    if (first.status !== 'acquired') throw new Error('not acquired');
    expect(FENCE_KEEP_MS).toBeGreaterThanOrEqual(2 * LEASE_MAX_TTL_MS);
    for (const key of kept) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(FENCE_KEEP_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(FENCE_KEEP_MS);
    }
    // The live lease is its own key, with the lease's TTL.
    expect(await admin.pttl('wfs:{bounded}:lease:job')).toBeLessThanOrEqual(60_000);
    expect(await c.release(first.lease)).toBe('released');
    expect(await admin.exists('wfs:{bounded}:lease:job')).toBe(0);
    // Shortened by hand: a second grant in the same hour leaves them alone...
    for (const key of kept) await admin.pexpire(key, 600_000);
    const second = await c.acquire('job', { ttlMs: 60_000 });
    if (second.status !== 'acquired') throw new Error('not acquired');
    for (const key of kept) expect(await admin.pttl(key)).toBeLessThanOrEqual(600_000);
    // ...a renewal pushes them out,
    expect(await c.renew(second.lease, 60_000)).toBeDefined();
    for (const key of kept) expect(await admin.pttl(key)).toBeGreaterThan(FENCE_KEEP_MS - 60_000);
    expect(await c.release(second.lease)).toBe('released');
    // ...and so does the first grant of an hour (the last grant was an hour ago: its fence says so).
    for (const key of kept) await admin.pexpire(key, 600_000);
    await admin.hset(kept[0]!, 'fence', second.lease.fence - 3_600_000 * 1024);
    const third = await c.acquire('job', { ttlMs: 60_000 });
    if (third.status !== 'acquired') throw new Error('not acquired');
    for (const key of kept) expect(await admin.pttl(key)).toBeGreaterThan(FENCE_KEEP_MS - 60_000);
    expect(await c.release(third.lease)).toBe('released');
    // As if the fence hash had expired: the next fence is above every earlier one all the same.
    await admin.del(kept[0]!);
    const next = await c.acquire('job', { ttlMs: 60_000 });
    expect(next.status === 'acquired' && next.lease.fence > third.lease.fence).toBe(true);
    await c.close();
  });
});

describe('diagnose: eviction policies that can lose leases', () => {
  let evicting: TestRedis;
  beforeAll(async () => {
    evicting = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    const acl = new Redis(evicting.url);
    await acl.call('ACL', 'SETUSER', 'managed', 'on', '>pw', '~*', '+@all', '-config');
    await acl.call('ACL', 'SETUSER', 'blind', 'on', '>pw', '~*', '+@all', '-config', '-info');
    acl.disconnect();
  });
  afterAll(async () => {
    await evicting?.stop();
  });

  it('noeviction: nothing to say; any other policy: a warning, read with CONFIG GET or else INFO memory', async () => {
    const safe = await RedisCoordinator.connect({ url: redis.url, projectId: 'diag' });
    expect(await safe.diagnose()).toEqual([]);
    await safe.close();
    const warning = (url: string, policy: string) =>
      `Redis at ${url} may evict keys when full (maxmemory-policy ${policy}): a lease can vanish and be granted to a second holder; set maxmemory-policy noeviction`;
    const c = await RedisCoordinator.connect({ url: evicting.url, projectId: 'diag' });
    expect(await c.diagnose()).toEqual([warning(evicting.url, 'allkeys-lru')]);
    // volatile-* evicts exactly the keys with a TTL, which leases are.
    const configure = new Redis(evicting.url);
    await configure.config('SET', 'maxmemory-policy', 'volatile-ttl');
    configure.disconnect();
    expect(await c.diagnose()).toEqual([warning(evicting.url, 'volatile-ttl')]);
    await c.close();
    const managedUrl = `redis://managed:pw@127.0.0.1:${evicting.port}`;
    const managed = await RedisCoordinator.connect({ url: managedUrl, projectId: 'diag' });
    expect(await managed.diagnose()).toEqual([
      warning('redis://managed:***@127.0.0.1:' + evicting.port, 'volatile-ttl'),
    ]);
    await managed.close();
    // Without INFO, whether it is a cluster cannot be told: a setting to make, not a guess.
    await expect(
      RedisCoordinator.connect({ url: `redis://blind:pw@127.0.0.1:${evicting.port}`, projectId: 'diag' }),
    ).rejects.toMatchObject({
      code: 'E_CONFIG',
      message: expect.stringMatching(/set coordination\.cluster/),
    });
    const blind = await RedisCoordinator.connect({
      url: `redis://blind:pw@127.0.0.1:${evicting.port}`,
      projectId: 'diag',
      cluster: false,
    });
    expect(await blind.diagnose()).toEqual([
      expect.stringMatching(
        /^Could not read the maxmemory-policy of Redis at redis:\/\/blind:\*\*\*@127\.0\.0\.1:\d+ \(.*NOPERM.*\): leases are safe only with noeviction$/,
      ),
    ]);
    await blind.close();
  });
});
