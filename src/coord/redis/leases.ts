import os from 'node:os';
import { Redis } from 'ioredis';
import { WfsError } from '../../core/errors.js';
import { uniqueSuffix } from '../../store/unique.js';
import { validateLeaseName, validateTtl, waitBeforeRetry } from '../rules.js';
import type {
  AcquireOptions,
  AcquireResult,
  Holder,
  Lease,
  LeaseCoordinator,
  LeaseInfo,
  ReleaseOutcome,
} from '../types.js';

/**
 * Leases on Redis: each operation is one Lua script, so a grant, a renewal or a release is atomic
 * (no SETNX-then-EXPIRE window, no GET-compare-DEL race). Keys of one project share a hash tag,
 * `wfs:{<project>}:...`, so every script's keys live on one slot of a Redis Cluster.
 *
 * Fences never go backwards, not even across a restart of a Redis that keeps nothing on disk: a
 * fence is `max(last + 1, server_time_ms * 1024)`. After a restart the last fence is gone but the
 * clock has moved on, so new fences are above the old ones (1,024 grants of one name in one
 * millisecond would be needed to catch up; the numbers stay below 2^53 until the year 2248). The
 * `boot` key, set by the first operation after a restart, lets a fenced store refuse every fence
 * granted before it, whose newest-seen value the restart erased.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[3], string.format('%.0f', now), 'NX')
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'fence'), redis.call('HGET', KEYS[1], 'expires_at'), redis.call('HGET', KEYS[1], 'holder')}
end
local last = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
local fence = string.format('%.0f', math.max(last + 1, now * 1024))
local expires = string.format('%.0f', now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], 'fence', fence, 'token', ARGV[1])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'fence', fence, 'holder', ARGV[3], 'expires_at', expires)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, fence, expires, ARGV[3]}
`;

const RENEW = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = string.format('%.0f', now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'expires_at', expires)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {redis.call('HGET', KEYS[1], 'fence'), expires, redis.call('HGET', KEYS[1], 'holder')}
`;

// The fence hash remembers the token of the last grant, so a release after expiry can say
// 'expired' rather than 'not_owner'.
const RELEASE = `
local owner = redis.call('HGET', KEYS[1], 'token')
if owner == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[2], 'token')
  return 'released'
end
if owner then return 'not_owner' end
if redis.call('HGET', KEYS[2], 'token') == ARGV[1] then
  redis.call('HDEL', KEYS[2], 'token')
  return 'expired'
end
return 'not_owner'
`;

const ACCEPT_FENCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[2], string.format('%.0f', now), 'NX')
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if seen == 0 then seen = tonumber(redis.call('GET', KEYS[2])) * 1024 end
local fence = tonumber(ARGV[1])
if fence < seen then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

type Scripted = Redis & {
  wfsAcquire(
    lease: string,
    fence: string,
    boot: string,
    token: string,
    ttl: number,
    holder: string,
  ): Promise<[number, string, string, string]>;
  wfsRenew(lease: string, token: string, ttl: number): Promise<[string, string, string] | null>;
  wfsRelease(lease: string, fence: string, token: string): Promise<ReleaseOutcome>;
  wfsAcceptFence(fenced: string, boot: string, fence: number): Promise<number>;
};

export interface RedisOptions {
  url: string;
  /** The project's identity (SPEC 5): keys of two projects never meet. */
  projectId: string;
  /** Connect and command timeout (default 2,000 ms). */
  timeoutMs?: number;
}

export class RedisCoordinator implements LeaseCoordinator {
  private readonly client: Scripted;
  private readonly prefix: string;

  private constructor(client: Redis, projectId: string) {
    client.defineCommand('wfsAcquire', { numberOfKeys: 3, lua: ACQUIRE });
    client.defineCommand('wfsRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('wfsRelease', { numberOfKeys: 2, lua: RELEASE });
    client.defineCommand('wfsAcceptFence', { numberOfKeys: 2, lua: ACCEPT_FENCE });
    this.client = client as Scripted;
    // The hash tag {...} puts every key of the project on one Cluster slot.
    this.prefix = `wfs:{${projectId.replace(/[{}]/g, '_')}}:`;
  }

  /** Connects, failing with a clear error within the timeout when the server cannot be reached. */
  static async connect(options: RedisOptions): Promise<RedisCoordinator> {
    const timeout = options.timeoutMs ?? 2_000;
    const client = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: timeout,
      commandTimeout: timeout,
      // Fail now rather than queue commands for a server that is not there (never silently).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => (attempt > 3 ? null : Math.min(attempt * 100, 500)),
    });
    client.on('error', () => {
      // Reported through the failing command; without a listener ioredis would print it.
    });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new WfsError(
        'E_IO',
        `Cannot reach Redis at ${redact(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new RedisCoordinator(client, options.projectId);
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof WfsError) throw error;
      throw new WfsError('E_IO', `Redis ${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async acquire(name: string, options: AcquireOptions): Promise<AcquireResult> {
    validateLeaseName(name);
    validateTtl(options.ttlMs);
    const holder: Holder = {
      session: options.holder?.session ?? null,
      host: options.holder?.host ?? os.hostname(),
      pid: options.holder?.pid ?? process.pid,
    };
    const deadline = Date.now() + Math.max(0, options.waitMs ?? 0);
    for (let attempt = 0; ; attempt++) {
      const token = `${uniqueSuffix()}${Math.random().toString(36).slice(2, 10)}`;
      const [granted, fence, expires, holderJson] = await this.run('acquire', () =>
        this.client.wfsAcquire(
          this.key('lease', name),
          this.key('fence', name),
          `${this.prefix}boot`,
          token,
          options.ttlMs,
          JSON.stringify(holder),
        ),
      );
      const info = {
        name,
        fence: Number(fence),
        expiresAt: Number(expires),
        holder: JSON.parse(holderJson) as Holder,
      };
      if (granted === 1) return { status: 'acquired', lease: { ...info, token } };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { status: 'held', current: info };
      await waitBeforeRetry(attempt, remaining, info.expiresAt - Date.now());
    }
  }

  async renew(lease: Pick<Lease, 'name' | 'token'>, ttlMs: number): Promise<Lease | undefined> {
    validateTtl(ttlMs);
    const renewed = await this.run('renew', () =>
      this.client.wfsRenew(this.key('lease', lease.name), lease.token, ttlMs),
    );
    if (renewed === null) return undefined;
    return {
      name: lease.name,
      token: lease.token,
      fence: Number(renewed[0]),
      expiresAt: Number(renewed[1]),
      holder: JSON.parse(renewed[2]) as Holder,
    };
  }

  release(lease: Pick<Lease, 'name' | 'token'>): Promise<ReleaseOutcome> {
    return this.run('release', () =>
      this.client.wfsRelease(this.key('lease', lease.name), this.key('fence', lease.name), lease.token),
    );
  }

  async inspect(name: string): Promise<LeaseInfo | undefined> {
    validateLeaseName(name);
    const fields = await this.run('inspect', () => this.client.hgetall(this.key('lease', name)));
    if (fields.token === undefined) return undefined;
    return {
      name,
      fence: Number(fields.fence),
      expiresAt: Number(fields.expires_at),
      holder: JSON.parse(fields.holder ?? '{}') as Holder,
    };
  }

  async list(): Promise<LeaseInfo[]> {
    const found: LeaseInfo[] = [];
    const pattern = `${this.prefix}lease:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.run('list', () =>
        this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 200),
      );
      cursor = next;
      for (const k of keys) {
        const lease = await this.inspect(k.slice(`${this.prefix}lease:`.length));
        if (lease) found.push(lease);
      }
    } while (cursor !== '0');
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async acceptFence(resource: string, fence: number): Promise<boolean> {
    validateLeaseName(resource);
    return (
      (await this.run('fence check', () =>
        this.client.wfsAcceptFence(this.key('fenced', resource), `${this.prefix}boot`, fence),
      )) === 1
    );
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** A URL fit for a message: the password is never printed. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}
