import type { Redis } from 'ioredis';
import { ProjectKeys } from '../../src/coord/redis/keys.js';
import type { OldResult } from './coordination-contract.js';

/**
 * Writes a result record straight into a project's keys, as the backend lays one out (entries.ts):
 * its expiry in the sorted set, `<put ms> <JSON>` in the hash. `raw` is a plain connection to the
 * server (on a cluster: to the node that owns the project's slot).
 */
export async function storeResultRecord(
  raw: Redis,
  projectId: string,
  record: { key: string } & Record<string, unknown>,
  putAtMs: number,
  ttlMs: number,
): Promise<void> {
  const keys = new ProjectKeys(projectId);
  // Expiries are judged by the server's clock.
  const [seconds, micros] = await raw.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  await raw.zadd(keys.entryExpiry('results'), now + ttlMs, record.key);
  await raw.hset(keys.entryValues('results'), record.key, `${putAtMs} ${JSON.stringify(record)}`);
}

/** A result as wfs stored it before values were bytes: the text in `value`, no `encoding`. */
export function storeResultAsBefore(
  raw: Redis,
  projectId: string,
  { put_at, ...record }: OldResult,
  ttlMs: number,
): Promise<void> {
  return storeResultRecord(raw, projectId, record, Date.parse(put_at), ttlMs);
}

/**
 * The previous version's acquire (before a live lease was one string key), as it ran: a hash per
 * live lease with the lease's TTL, the last fence and its token in `fence:<name>`, and the index's
 * sorted set of expiries beside a hash of `<fence> <holder JSON>`.
 */
const ACQUIRE_BEFORE = `local leaseKey = KEYS[1]
local fenceKey = KEYS[2]
local bootKey = KEYS[3]
local indexExpiryKey = KEYS[4]
local indexValuesKey = KEYS[5]
local abandonedKey = KEYS[6]
local token = ARGV[1]
local ttl = ARGV[2]
local holder = ARGV[3]
local name = ARGV[4]
local keepMs = ARGV[5]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('SET', bootKey, string.format('%.0f', now), 'NX')
if redis.call('EXISTS', abandonedKey) == 1 then return {2, '0', '0', '{}'} end
if redis.call('EXISTS', leaseKey) == 1 then
  return {0, redis.call('HGET', leaseKey, 'fence'), redis.call('HGET', leaseKey, 'expires_at'), redis.call('HGET', leaseKey, 'holder')}
end
local last = tonumber(redis.call('HGET', fenceKey, 'fence') or '0')
local fence = string.format('%.0f', math.max(last + 1, now * 1024))
local expires = string.format('%.0f', now + tonumber(ttl))
redis.call('HSET', fenceKey, 'fence', fence, 'token', token)
redis.call('PEXPIRE', fenceKey, keepMs)
redis.call('HSET', leaseKey, 'token', token, 'fence', fence, 'holder', holder, 'expires_at', expires)
redis.call('PEXPIRE', leaseKey, ttl)
local dead = redis.call('ZRANGEBYSCORE', indexExpiryKey, '-inf', string.format('%.0f', now), 'LIMIT', 0, 10)
if #dead > 0 then
  redis.call('ZREM', indexExpiryKey, unpack(dead))
  redis.call('HDEL', indexValuesKey, unpack(dead))
end
redis.call('ZADD', indexExpiryKey, expires, name)
redis.call('HSET', indexValuesKey, name, fence .. ' ' .. holder)
redis.call('PEXPIRE', indexExpiryKey, keepMs)
redis.call('PEXPIRE', indexValuesKey, keepMs)
return {1, fence, expires, holder}
`;

/** Runs the previous version's acquire; `raw` as above. Its reply: status (1 granted), fence, expiry. */
export async function acquireAsBefore(
  raw: Redis,
  projectId: string,
  lease: { name: string; token: string; holder: object; ttlMs: number },
): Promise<{ status: number; fence: number; expiresAt: number }> {
  const keys = new ProjectKeys(projectId);
  const [status, fence, expires] = (await raw.eval(
    ACQUIRE_BEFORE,
    6,
    keys.lease(lease.name),
    keys.fence(lease.name),
    keys.boot(),
    keys.leaseIndexExpiry(),
    keys.leaseIndexValues(),
    keys.abandoned(lease.token),
    lease.token,
    lease.ttlMs,
    JSON.stringify(lease.holder),
    lease.name,
    2 * 24 * 60 * 60 * 1000,
  )) as [number, string, string];
  return { status, fence: Number(fence), expiresAt: Number(expires) };
}
