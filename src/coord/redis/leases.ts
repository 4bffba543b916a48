import { LEASE_MAX_TTL_MS } from '../rules.js';
import type { ReleaseOutcome } from '../types.js';
import type { ProjectKeys } from './keys.js';
import { luaScript, NOW, runScript, runScriptWith, type ScriptClient } from './script.js';

/**
 * The lease scripts of the Redis backend and the requests that run them.
 *
 * A live lease is one string key, `lease:<name>` = `<token> <fence> <expires_at> <holder JSON>`,
 * set with `SET ... NX PX <ttl>`: it exists exactly while the lease lives, so a release is the
 * least a lock can cost (read the key, compare the token, delete it) and needs no clock. The last
 * fence of a name is kept beside it, in the hash `fence:<name>`, which outlives the lease.
 *
 * Fences: `max(last + 1, floor)`, where the floor is the server's time in 1,024ths of a
 * millisecond (`server_time_ms * 1024` plus the microseconds scaled to 1,024 a millisecond). After
 * a restart of a Redis that kept nothing, or a fence hash deleted by hand, the last fence is gone
 * but the clock has moved on, so new fences are above the old ones: the floor rises with every
 * microsecond, and no two scripts run in the same one (a grant takes several). The numbers stay
 * below 2^53 until the year 2248. The boot key, set by the first grant after a restart (the first
 * to find no fence hash), lets a fenced store refuse every fence granted before it.
 *
 * The fence hash also holds `abandoned:<token>` fields: acquires that timed out and were undone
 * (see ABANDON). The version before this one (one key per live lease too) reads and writes only
 * `fence` there, so the other fields are invisible to it; it kept an abandoned token as a key of its
 * own, `abandoned:<token>`. Only the process that made a token abandons it and could see a late
 * grant of it, so each version reads the markers it writes, and leases granted by either are seen,
 * renewed and released by the other.
 *
 * The version before that kept a live lease in the same key as a hash of the same fields (token,
 * fence, holder, expires_at), with the lease's TTL, and the last fence in the same `fence:<name>`
 * field. Such a lease is read here as the lease it is (a key that exists: held), released and
 * renewed by its token; and while one of these leases is live, the previous version finds the key
 * and grants nothing (it fails on the key's type instead), so two versions running on one project
 * never grant one name twice.
 */

/**
 * How long a name's fence hash and the lease index outlive their last refresh: at least a day past
 * the end of the longest lease (24 h), refreshed at a name's first grant of each hour (and at every
 * renewal), not at every grant. Fences stay monotonic without the hash: it expires only after 47 h
 * without a grant, by when the floor has risen by 1.7e11, far above any last fence (which runs
 * ahead of the floor only by grants more than one a microsecond).
 */
export const FENCE_KEEP_MS = 2 * LEASE_MAX_TTL_MS;
const REFRESH_EVERY_MS = 60 * 60 * 1000;
/**
 * How long a token whose acquire timed out stays refused: as long as the longest lease, so however
 * late the server applies that acquire it finds this and grants nothing. Its marker is swept at
 * the name's first grant of the hour after that.
 */
const ABANDONED_KEEP_MS = LEASE_MAX_TTL_MS;
/**
 * `current(key)`: the live lease in `key` as token, fence, expires_at and holder JSON, or nothing.
 * A value of another shape (written by hand) is a lease whose holder is unknown.
 */
const CURRENT = `
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
`;

/**
 * `nameOf(leaseKey, indexKey)`: the lease's name, the rest of its key after the project's prefix
 * and `lease:` (keys.ts: `<prefix>lease:<name>` beside `<prefix>leases:exp`), so that a grant
 * sends no name of its own (every argument costs the client and the server).
 */
const NAME_OF = `
local function nameOf(leaseKey, indexKey)
  return string.sub(leaseKey, #indexKey - #'leases:exp' + #'lease:' + 1)
end
`;

/**
 * `keep(fenceKey, indexKey, now)`: pushes out the expiry of the fence hash and the index, and
 * sweeps the hash's abandoned tokens that no late acquire can carry any more (once an hour per
 * name: a few fields).
 */
const KEEP = `
local function keep(fenceKey, indexKey, now)
  redis.call('PEXPIRE', fenceKey, ${FENCE_KEEP_MS})
  redis.call('PEXPIRE', indexKey, ${FENCE_KEEP_MS})
  local fields = redis.call('HGETALL', fenceKey)
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 10) == 'abandoned:' then
      local at = tonumber(string.match(fields[i + 1], ' (%d+)$'))
      if not at or at < now - ${ABANDONED_KEEP_MS} then redis.call('HDEL', fenceKey, fields[i]) end
    end
  end
end
`;

/**
 * Granted: `<fence> <expires_at>` (one string: the cheapest reply to read). Held by another:
 * `{0, fence, expires_at, holder JSON}`. Refused because its caller had given up: `{2}`.
 */
type GrantReply = string | [status: 0, fence: string, expiresAt: string, holder: string] | [status: 2];

/**
 * One HMGET reads the last fence and this token's abandoned marker; the grant is the SET NX PX,
 * one HSET and the index entry. Numbers are passed to redis.call as numbers (Redis writes them
 * with 17 significant digits: exact below 2^53) or joined into text (Lua writes 14 digits: exact
 * for times in milliseconds, not for fences, which are formatted with `%d`).
 *
 * The index (expiry times by name, a sorted set) lets `list` find the project's leases without a
 * SCAN of the whole server. A release leaves its name there (the lease key is gone, so `list`
 * passes over it): the next grant of the name only updates its time, and a grant that adds a name
 * sweeps up to 10 names whose time has passed, so the index holds the names live, or used within a
 * TTL.
 */
const ACQUIRE = luaScript<GrantReply>()({
  keys: ['leaseKey', 'fenceKey', 'indexKey', 'bootKey'],
  args: ['token', 'ttl', 'holder'],
  body: `${NOW}${CURRENT}${NAME_OF}${KEEP}
local state = redis.call('HMGET', fenceKey, 'fence', 'abandoned:' .. token)
if state[2] then return {2} end
local last = tonumber(state[1])
local fence = string.format('%d', math.max((last or 0) + 1, now * 1024 + math.floor((tonumber(time[2]) % 1000) * 1024 / 1000)))
local expires = now + tonumber(ttl)
if not redis.call('SET', leaseKey, token .. ' ' .. fence .. ' ' .. expires .. ' ' .. holder, 'PX', ttl, 'NX') then
  local _, heldFence, heldExpires, heldBy = current(leaseKey)
  return {0, heldFence or '0', heldExpires or '0', heldBy or '{}'}
end
redis.call('HSET', fenceKey, 'fence', fence)
if redis.call('ZADD', indexKey, expires, nameOf(leaseKey, indexKey)) == 1 then
  local dead = redis.call('ZRANGEBYSCORE', indexKey, '-inf', now, 'LIMIT', 0, 10)
  if #dead > 0 then redis.call('ZREM', indexKey, unpack(dead)) end
end
-- A name's first grant of the hour (or its first since the fence hash was lost).
if last == nil or math.floor(last / 1024 / ${REFRESH_EVERY_MS}) ~= math.floor(now / ${REFRESH_EVERY_MS}) then
  if last == nil then redis.call('SET', bootKey, now, 'NX') end
  keep(fenceKey, indexKey, now)
end
return fence .. ' ' .. expires
`,
});

export function grant(
  client: ScriptClient,
  keys: ProjectKeys,
  name: string,
  token: string,
  ttlMs: number,
  holderJson: string,
): Promise<GrantReply> {
  // Positional, in ACQUIRE's order: this runs thousands of times a second.
  return runScriptWith(client, ACQUIRE, 4, [
    keys.lease(name),
    keys.fence(name),
    keys.leaseIndexExpiry(),
    keys.boot(),
    token,
    ttlMs,
    holderJson,
  ]);
}

/**
 * Undoes an acquire that timed out, whatever the server did with it: releases the lease when that
 * acquire was granted, and marks the token (`abandoned:<token>` in the fence hash, with the time)
 * so that a grant applied after this one refuses it (a Cluster client may send a request again
 * after a redirect, even one it reported as failed).
 */
const ABANDON = luaScript<'released' | 'not_held'>()({
  keys: ['leaseKey', 'fenceKey', 'indexKey'],
  args: ['token'],
  body: `${NOW}${CURRENT}${KEEP}
local marker = 'abandoned:' .. token
if current(leaseKey) == token then
  redis.call('DEL', leaseKey)
  redis.call('HSET', fenceKey, marker, 'released ' .. now)
  keep(fenceKey, indexKey, now)
  return 'released'
end
-- Asked again (the first answer was lost): what the first one did.
local before = redis.call('HGET', fenceKey, marker)
if before and string.sub(before, 1, 9) == 'released ' then return 'released' end
redis.call('HSET', fenceKey, marker, 'refused ' .. now)
keep(fenceKey, indexKey, now)
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
      indexKey: keys.leaseIndexExpiry(),
    },
    { token: lease.token },
  );
}

/**
 * Extends the owner's live lease (rewritten in the current form, also when the previous version
 * granted it); the fence hash and the index are kept as long as the lease lives.
 */
const RENEW = luaScript<[fence: string, expiresAt: string, holder: string] | null>()({
  keys: ['leaseKey', 'fenceKey', 'indexKey'],
  args: ['token', 'ttl'],
  body: `${NOW}${CURRENT}${NAME_OF}${KEEP}
local owner, fence, _, holder = current(leaseKey)
if owner ~= token then return false end
local expires = string.format('%d', now + tonumber(ttl))
redis.call('SET', leaseKey, token .. ' ' .. fence .. ' ' .. expires .. ' ' .. holder, 'PX', ttl)
local name = nameOf(leaseKey, indexKey)
local indexed = tonumber(redis.call('ZSCORE', indexKey, name))
if indexed == nil or indexed < tonumber(expires) then redis.call('ZADD', indexKey, expires, name) end
keep(fenceKey, indexKey, now)
return {fence, expires, holder}
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
    { leaseKey: keys.lease(lease.name), fenceKey: keys.fence(lease.name), indexKey: keys.leaseIndexExpiry() },
    { token: lease.token, ttl: lease.ttlMs },
  );
}

/**
 * 1: released (it was ours, and live); -1: not_owner (another holds it now); 0: expired (nobody
 * holds it any more: it ran out, or was released already). The same rule as the embedded
 * backend's. An integer: the cheapest reply. The key exists only while the lease lives, so no
 * clock is read: a compare-and-delete.
 */
const RELEASE = luaScript<1 | 0 | -1>()({
  keys: ['leaseKey'],
  args: ['token'],
  body: `
local value = redis.pcall('GET', leaseKey)
if type(value) == 'table' then
  -- A lease the version before the previous one granted: a hash.
  value = redis.call('HGET', leaseKey, 'token')
  if not value then return 0 end
  value = value .. ' '
end
if not value then return 0 end
if string.sub(value, 1, #token + 1) ~= token .. ' ' then return -1 end
redis.call('DEL', leaseKey)
return 1
`,
});

export async function release(
  client: ScriptClient,
  keys: ProjectKeys,
  lease: { name: string; token: string },
): Promise<ReleaseOutcome> {
  const outcome = await runScriptWith(client, RELEASE, 1, [keys.lease(lease.name), lease.token]);
  return outcome === 1 ? 'released' : outcome === 0 ? 'expired' : 'not_owner';
}

/** The live lease of a name, as `fence, expires_at, holder JSON`, or nothing. */
const INSPECT = luaScript<[fence: string, expiresAt: string, holder: string] | null>()({
  keys: ['leaseKey'],
  args: [],
  body: `${CURRENT}
local token, fence, expires, holder = current(leaseKey)
if not token then return false end
return {fence, expires, holder}
`,
});

export function inspectLease(
  client: ScriptClient,
  keys: ProjectKeys,
  name: string,
): Promise<[string, string, string] | null> {
  return runScript(client, INSPECT, { leaseKey: keys.lease(name) }, {});
}

/** The names in the index whose time has not passed (some may have been released since). */
const INDEXED = luaScript<string[]>()({
  keys: ['indexKey'],
  args: [],
  body: `${NOW}
return redis.call('ZRANGEBYSCORE', indexKey, '(' .. string.format('%d', now), '+inf')
`,
});

/**
 * The live leases among `names` (the keys, then the names as arguments), as `name, fence,
 * expires_at, holder JSON` quadruples. Each lease key is a key of the script, so a Cluster node
 * can tell whether it holds them all.
 */
const LIVE = luaScript<string[]>()({
  keys: [],
  args: [],
  body: `${CURRENT}
local out = {}
for i = 1, #KEYS do
  local token, fence, expires, holder = current(KEYS[i])
  if token then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = fence
    out[#out + 1] = expires
    out[#out + 1] = holder
  end
end
return out
`,
});

/** How many lease keys one script reads: a listing of thousands of names is several short scripts. */
const LIST_BATCH = 500;

/**
 * Every live lease of the index, as `name, fence, expires_at, holder JSON` quadruples: the names
 * from the index, then their keys (two steps: a script names every key it reads).
 */
export async function listLeases(client: ScriptClient, keys: ProjectKeys): Promise<string[]> {
  const names = await runScript(client, INDEXED, { indexKey: keys.leaseIndexExpiry() }, {});
  const found: string[] = [];
  for (let i = 0; i < names.length; i += LIST_BATCH) {
    const batch = names.slice(i, i + LIST_BATCH);
    const values = [...batch.map((name) => keys.lease(name)), ...batch];
    found.push(...(await runScriptWith(client, LIVE, batch.length, values)));
  }
  return found;
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
