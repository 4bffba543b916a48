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

/**
 * The acquire of the version before this one (one string key per live lease, the abandoned token
 * as a key of its own), as it ran: its Lua text whole.
 */
const ACQUIRE_ONE_KEY_BEFORE = `local leaseKey = KEYS[1]
local fenceKey = KEYS[2]
local bootKey = KEYS[3]
local indexKey = KEYS[4]
local abandonedKey = KEYS[5]
local token = ARGV[1]
local ttl = ARGV[2]
local holder = ARGV[3]
local name = ARGV[4]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function current(key)
  local value = redis.pcall('GET', key)
  if type(value) == 'table' then
    local fields = redis.call('HMGET', key, 'token', 'fence', 'expires_at', 'holder')
    if not fields[1] then return nil end
    return fields[1], fields[2] or '0', fields[3] or '0', fields[4] or '{}'
  end
  if not value then return nil end
  local token, fence, expires, holder = string.match(value, '^(%S+) (%d+) (%d+) (.*)$')
  if not token then return '', '0', '0', '{}' end
  return token, fence, expires, holder
end

if redis.call('EXISTS', abandonedKey) == 1 then return {2, '0', '0'} end
local last = tonumber(redis.call('HGET', fenceKey, 'fence'))
local floor = now * 1024 + math.floor((tonumber(time[2]) % 1000) * 1024 / 1000)
local fence = string.format('%d', math.max((last or 0) + 1, floor))
local expires = string.format('%d', now + tonumber(ttl))
if not redis.call('SET', leaseKey, token .. ' ' .. fence .. ' ' .. expires .. ' ' .. holder, 'PX', ttl, 'NX') then
  local _, heldFence, heldExpires, heldBy = current(leaseKey)
  return {0, heldFence or '0', heldExpires or '0', heldBy or '{}'}
end
redis.call('HSET', fenceKey, 'fence', fence)
if redis.call('ZADD', indexKey, expires, name) == 1 then
  local dead = redis.call('ZRANGEBYSCORE', indexKey, '-inf', now, 'LIMIT', 0, 10)
  if #dead > 0 then redis.call('ZREM', indexKey, unpack(dead)) end
end
-- A name's first grant of the hour (or its first since the fence hash was lost).
local hour = math.floor(now / 3600000)
if last == nil or math.floor(last / 1024 / 3600000) ~= hour then
  if last == nil then redis.call('SET', bootKey, now, 'NX') end
  redis.call('PEXPIRE', fenceKey, 172800000)
  redis.call('PEXPIRE', indexKey, 172800000)
end
return {1, fence, expires}
`;

/** Its release: `released`, `not_owner` or `expired`. */
const RELEASE_ONE_KEY_BEFORE = `local leaseKey = KEYS[1]
local token = ARGV[1]

local value = redis.pcall('GET', leaseKey)
if type(value) == 'table' then
  -- A lease the previous version granted: a hash.
  value = redis.call('HGET', leaseKey, 'token')
  if not value then return 'expired' end
  value = value .. ' '
end
if not value then return 'expired' end
if string.sub(value, 1, #token + 1) ~= token .. ' ' then return 'not_owner' end
redis.call('DEL', leaseKey)
return 'released'
`;

/**
 * Runs the acquire of the version before this one; `raw` as above. Granted: status 1 with the
 * fence and expiry; held: status 0.
 */
export async function acquireAsOneKeyBefore(
  raw: Redis,
  projectId: string,
  lease: { name: string; token: string; holder: object; ttlMs: number },
): Promise<{ status: number; fence: number; expiresAt: number }> {
  const keys = new ProjectKeys(projectId);
  const [status, fence, expires] = (await raw.eval(
    ACQUIRE_ONE_KEY_BEFORE,
    5,
    keys.lease(lease.name),
    keys.fence(lease.name),
    keys.boot(),
    keys.leaseIndexExpiry(),
    keys.abandoned(lease.token),
    lease.token,
    lease.ttlMs,
    JSON.stringify(lease.holder),
    lease.name,
  )) as [number, string, string];
  return { status, fence: Number(fence), expiresAt: Number(expires) };
}

/** Runs the release of the version before this one. */
export async function releaseAsOneKeyBefore(
  raw: Redis,
  projectId: string,
  lease: { name: string; token: string },
): Promise<string> {
  const keys = new ProjectKeys(projectId);
  return (await raw.eval(RELEASE_ONE_KEY_BEFORE, 1, keys.lease(lease.name), lease.token)) as string;
}
