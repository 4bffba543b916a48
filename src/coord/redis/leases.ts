import { LEASE_MAX_TTL_MS } from '../rules.js';
import type { ReleaseOutcome } from '../types.js';
import type { ProjectKeys } from './keys.js';
import { luaScript, NOW, runScript, type ScriptClient } from './script.js';

/**
 * The lease scripts of the Redis backend and the requests that run them.
 *
 * Fences: `max(last + 1, server_time_ms * 1024)`. After a restart of a Redis that kept nothing
 * the last fence is gone but the clock has moved on, so new fences are above the old ones (1,024
 * grants of one name in one millisecond would be needed to catch up; the numbers stay below 2^53
 * until the year 2248). The boot key, set by the first operation after a restart, lets a fenced
 * store refuse every fence granted before it.
 */

/**
 * How long a name's fence hash and the lease index outlive their last grant or renewal: longer
 * than the longest lease (24 h), so they never vanish under a live lease, and a release after
 * expiry still says `expired` for a day. Fences stay monotonic without the hash: it expires only
 * after 48 h without a grant, by when the floor `server_time_ms * 1024` has risen by 1.8e11, far
 * above any last fence (which runs ahead of the floor only by grants beyond 1,024 a millisecond).
 */
export const FENCE_KEEP_MS = 2 * LEASE_MAX_TTL_MS;
/**
 * How long a token whose acquire timed out stays refused: as long as the longest lease, so however
 * late the server applies that acquire it finds this and grants nothing.
 */
const ABANDONED_KEEP_MS = LEASE_MAX_TTL_MS;

/** Granted (1), held by another (0), or refused because its caller had given up (2). */
type GrantReply = [status: 0 | 1 | 2, fence: string, expiresAt: string, holder: string];

/**
 * The index (expiry times, and `<fence> <holder JSON>` by name) lets `list` find the project's
 * leases without a SCAN of the whole server; each grant sweeps a few expired names from it.
 */
const ACQUIRE = luaScript<GrantReply>()({
  keys: ['leaseKey', 'fenceKey', 'bootKey', 'indexExpiryKey', 'indexValuesKey', 'abandonedKey'],
  args: ['token', 'ttl', 'holder', 'name', 'keepMs'],
  body: `${NOW}
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
`,
});

export function grant(
  client: ScriptClient,
  keys: ProjectKeys,
  lease: { name: string; token: string; ttlMs: number; holderJson: string },
): Promise<GrantReply> {
  return runScript(
    client,
    ACQUIRE,
    {
      leaseKey: keys.lease(lease.name),
      fenceKey: keys.fence(lease.name),
      bootKey: keys.boot(),
      indexExpiryKey: keys.leaseIndexExpiry(),
      indexValuesKey: keys.leaseIndexValues(),
      abandonedKey: keys.abandoned(lease.token),
    },
    {
      token: lease.token,
      ttl: lease.ttlMs,
      holder: lease.holderJson,
      name: lease.name,
      keepMs: FENCE_KEEP_MS,
    },
  );
}

/**
 * Undoes an acquire that timed out, whatever the server did with it: releases the lease when that
 * acquire was granted, and marks the token so that a grant applied after this one refuses it (a
 * Cluster client may send a request again after a redirect, even one it reported as failed).
 */
const ABANDON = luaScript<'released' | 'not_held'>()({
  keys: ['leaseKey', 'fenceKey', 'indexExpiryKey', 'indexValuesKey', 'abandonedKey'],
  args: ['token', 'name', 'keepMs'],
  body: `
if redis.call('HGET', leaseKey, 'token') == token then
  redis.call('DEL', leaseKey)
  redis.call('HDEL', fenceKey, 'token')
  redis.call('ZREM', indexExpiryKey, name)
  redis.call('HDEL', indexValuesKey, name)
  redis.call('SET', abandonedKey, 'released', 'PX', keepMs)
  return 'released'
end
-- Asked again (the first answer was lost): what the first one did.
if redis.call('GET', abandonedKey) == 'released' then return 'released' end
redis.call('SET', abandonedKey, 'refused', 'PX', keepMs)
return 'not_held'
`,
});

export function abandon(
  client: ScriptClient,
  keys: ProjectKeys,
  lease: { name: string; token: string },
): Promise<'released' | 'not_held'> {
  return runScript(
    client,
    ABANDON,
    {
      leaseKey: keys.lease(lease.name),
      fenceKey: keys.fence(lease.name),
      indexExpiryKey: keys.leaseIndexExpiry(),
      indexValuesKey: keys.leaseIndexValues(),
      abandonedKey: keys.abandoned(lease.token),
    },
    { token: lease.token, name: lease.name, keepMs: ABANDONED_KEEP_MS },
  );
}

/** Extends the owner's lease; the fence hash and the index are kept as long as the lease lives. */
const RENEW = luaScript<[fence: string, expiresAt: string, holder: string] | null>()({
  keys: ['leaseKey', 'fenceKey', 'indexExpiryKey', 'indexValuesKey'],
  args: ['token', 'ttl', 'name', 'keepMs'],
  body: `
if redis.call('HGET', leaseKey, 'token') ~= token then return false end
${NOW}
local expires = string.format('%.0f', now + tonumber(ttl))
redis.call('HSET', leaseKey, 'expires_at', expires)
redis.call('PEXPIRE', leaseKey, ttl)
redis.call('ZADD', indexExpiryKey, expires, name)
redis.call('PEXPIRE', fenceKey, keepMs)
redis.call('PEXPIRE', indexExpiryKey, keepMs)
redis.call('PEXPIRE', indexValuesKey, keepMs)
return {redis.call('HGET', leaseKey, 'fence'), expires, redis.call('HGET', leaseKey, 'holder')}
`,
});

export function renew(
  client: ScriptClient,
  keys: ProjectKeys,
  lease: { name: string; token: string; ttlMs: number },
): Promise<[string, string, string] | null> {
  return runScript(
    client,
    RENEW,
    {
      leaseKey: keys.lease(lease.name),
      fenceKey: keys.fence(lease.name),
      indexExpiryKey: keys.leaseIndexExpiry(),
      indexValuesKey: keys.leaseIndexValues(),
    },
    { token: lease.token, ttl: lease.ttlMs, name: lease.name, keepMs: FENCE_KEEP_MS },
  );
}

/**
 * `released` (it was ours, and live), `not_owner` (another holds it now), `expired` (nobody holds
 * it any more: it ran out, or was released already). The same rule as the embedded backend's.
 */
const RELEASE = luaScript<ReleaseOutcome>()({
  keys: ['leaseKey', 'fenceKey', 'indexExpiryKey', 'indexValuesKey'],
  args: ['token', 'name'],
  body: `
local owner = redis.call('HGET', leaseKey, 'token')
if owner == token then
  redis.call('DEL', leaseKey)
  redis.call('HDEL', fenceKey, 'token')
  redis.call('ZREM', indexExpiryKey, name)
  redis.call('HDEL', indexValuesKey, name)
  return 'released'
end
if owner then return 'not_owner' end
if redis.call('HGET', fenceKey, 'token') == token then redis.call('HDEL', fenceKey, 'token') end
return 'expired'
`,
});

export function release(
  client: ScriptClient,
  keys: ProjectKeys,
  lease: { name: string; token: string },
): Promise<ReleaseOutcome> {
  return runScript(
    client,
    RELEASE,
    {
      leaseKey: keys.lease(lease.name),
      fenceKey: keys.fence(lease.name),
      indexExpiryKey: keys.leaseIndexExpiry(),
      indexValuesKey: keys.leaseIndexValues(),
    },
    { token: lease.token, name: lease.name },
  );
}

/**
 * Every live lease of the index, as `name, expires_at, "<fence> <holder JSON>"` triples.
 */
const LIST = luaScript<string[]>()({
  keys: ['indexExpiryKey', 'indexValuesKey'],
  args: [],
  body: `${NOW}
local names = redis.call('ZRANGEBYSCORE', indexExpiryKey, '(' .. string.format('%.0f', now), '+inf', 'WITHSCORES')
local out = {}
for i = 1, #names, 2 do
  local value = redis.call('HGET', indexValuesKey, names[i])
  if value then
    out[#out + 1] = names[i]
    out[#out + 1] = names[i + 1]
    out[#out + 1] = value
  end
end
return out
`,
});

export function listLeases(client: ScriptClient, keys: ProjectKeys): Promise<string[]> {
  return runScript(
    client,
    LIST,
    { indexExpiryKey: keys.leaseIndexExpiry(), indexValuesKey: keys.leaseIndexValues() },
    {},
  );
}

/**
 * 1 (accepted, and remembered) or 0. A resource never seen has the floor of the boot key, so a
 * fence granted before a restart of a Redis that kept nothing is refused. These keys do not
 * expire: one per resource a fenced store names (not per lock name), and forgetting one would let
 * a holder stopped for longer than any expiry write again with its stale fence.
 */
const ACCEPT_FENCE = luaScript<0 | 1>()({
  keys: ['fencedKey', 'bootKey'],
  args: ['fence'],
  body: `${NOW}
redis.call('SET', bootKey, string.format('%.0f', now), 'NX')
local seen = tonumber(redis.call('GET', fencedKey) or '0')
if seen == 0 then seen = tonumber(redis.call('GET', bootKey)) * 1024 end
if tonumber(fence) < seen then return 0 end
redis.call('SET', fencedKey, fence)
return 1
`,
});

export function acceptFence(
  client: ScriptClient,
  keys: ProjectKeys,
  resource: string,
  fence: number,
): Promise<0 | 1> {
  return runScript(
    client,
    ACCEPT_FENCE,
    { fencedKey: keys.fenced(resource), bootKey: keys.boot() },
    { fence },
  );
}
