import { ENTRY_MAX_TTL_MS } from '../rules.js';
import type { EntryKind, ProjectKeys } from './keys.js';
import { luaScript, NOW, runScript, type ScriptClient } from './script.js';

/**
 * Entries with a TTL (results, presence, claims): per kind, a sorted set of expiry times and a
 * hash of values, `<put time> <JSON>`, swept of expired entries on every write. The two containers
 * expire a day after the longest entry written last could live, so a kind nobody writes any more
 * leaves nothing behind.
 */
const CONTAINER_KEEP_MS = ENTRY_MAX_TTL_MS + 24 * 60 * 60 * 1000;

/** Every live entry as `member, expires_at, value` triples (Lua, inside a script that has `now`). */
const LIVE = `
local function live()
  local members = redis.call('ZRANGEBYSCORE', expiryKey, '(' .. string.format('%.0f', now), '+inf', 'WITHSCORES')
  local out = {}
  for i = 1, #members, 2 do
    local value = redis.call('HGET', valuesKey, members[i])
    if value then
      out[#out + 1] = members[i]
      out[#out + 1] = members[i + 1]
      out[#out + 1] = value
    end
  end
  return out
end
`;

/** Lua: drops up to 500 expired entries of the kind (inside a script that has `now`). */
const SWEEP = `
local function sweep()
  local dead = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', string.format('%.0f', now), 'LIMIT', 0, 500)
  if #dead > 0 then
    redis.call('ZREM', expiryKey, unpack(dead))
    redis.call('HDEL', valuesKey, unpack(dead))
  end
end
`;

/** Stores an entry and returns `{put_at, expires_at}`. */
const PUT = luaScript<[putAt: string, expiresAt: string]>()({
  keys: ['expiryKey', 'valuesKey'],
  args: ['member', 'value', 'ttl', 'keepMs'],
  body: `${NOW}${SWEEP}
sweep()
local expires = string.format('%.0f', now + tonumber(ttl))
local put = string.format('%.0f', now)
redis.call('ZADD', expiryKey, expires, member)
redis.call('HSET', valuesKey, member, put .. ' ' .. value)
redis.call('PEXPIRE', expiryKey, keepMs)
redis.call('PEXPIRE', valuesKey, keepMs)
return {put, expires}
`,
});

export function putEntry(
  client: ScriptClient,
  keys: ProjectKeys,
  kind: EntryKind,
  entry: { member: string; value: string; ttlMs: number },
): Promise<[string, string]> {
  return runScript(
    client,
    PUT,
    { expiryKey: keys.entryExpiry(kind), valuesKey: keys.entryValues(kind) },
    {
      member: entry.member,
      value: entry.value,
      ttl: entry.ttlMs,
      keepMs: CONTAINER_KEEP_MS,
    },
  );
}

/** `{expires_at, value}` of a live entry, or nothing. */
const GET = luaScript<[expiresAt: string, value: string] | null>()({
  keys: ['expiryKey', 'valuesKey'],
  args: ['member'],
  body: `${NOW}
local score = redis.call('ZSCORE', expiryKey, member)
if not score or tonumber(score) <= now then return false end
return {score, redis.call('HGET', valuesKey, member)}
`,
});

export function getEntry(
  client: ScriptClient,
  keys: ProjectKeys,
  kind: EntryKind,
  member: string,
): Promise<[string, string] | null> {
  return runScript(
    client,
    GET,
    { expiryKey: keys.entryExpiry(kind), valuesKey: keys.entryValues(kind) },
    { member },
  );
}

const LIST = luaScript<string[]>()({
  keys: ['expiryKey', 'valuesKey'],
  args: [],
  body: `${NOW}${LIVE}
return live()
`,
});

/** Every live entry as `member, expires_at, value` triples. */
export function listEntries(client: ScriptClient, keys: ProjectKeys, kind: EntryKind): Promise<string[]> {
  return runScript(
    client,
    LIST,
    { expiryKey: keys.entryExpiry(kind), valuesKey: keys.entryValues(kind) },
    {},
  );
}

const DELETE = luaScript<number>()({
  keys: ['expiryKey', 'valuesKey'],
  args: ['member'],
  body: `
redis.call('ZREM', expiryKey, member)
redis.call('HDEL', valuesKey, member)
return 1
`,
});

export function deleteEntry(
  client: ScriptClient,
  keys: ProjectKeys,
  kind: EntryKind,
  member: string,
): Promise<number> {
  return runScript(
    client,
    DELETE,
    { expiryKey: keys.entryExpiry(kind), valuesKey: keys.entryValues(kind) },
    { member },
  );
}

/**
 * Claims change by compare-and-set: a read of every live claim with the claims' version (and
 * whether each claiming session is live), a decision in TypeScript (the one rule, coord/claims.ts),
 * and a write applied only when the version is still the one read. Every write of a claim bumps
 * the version; expiries need not (an expired claim reads as absent either way).
 */
const READ_CLAIMS = luaScript<[now: string, version: string, rows: string[], live: string[]]>()({
  keys: ['expiryKey', 'valuesKey', 'versionKey', 'presenceKey'],
  args: [],
  body: `${NOW}${LIVE}
local rows = live()
local alive = {}
for i = 1, #rows, 3 do
  local score = redis.call('ZSCORE', presenceKey, rows[i])
  alive[#alive + 1] = (score and tonumber(score) > now) and '1' or '0'
end
return {string.format('%.0f', now), redis.call('GET', versionKey) or '0', rows, alive}
`,
});

export function readClaims(
  client: ScriptClient,
  keys: ProjectKeys,
): Promise<[now: string, version: string, rows: string[], live: string[]]> {
  return runScript(
    client,
    READ_CLAIMS,
    {
      expiryKey: keys.entryExpiry('claims'),
      valuesKey: keys.entryValues('claims'),
      versionKey: keys.claimsVersion(),
      presenceKey: keys.entryExpiry('presence'),
    },
    {},
  );
}

/**
 * Writes (`put`) or removes (`delete`) a session's claim when the version is `expected` (any
 * version when it is empty); false when it has changed. `{put_at, expires_at}` otherwise.
 */
const WRITE_CLAIM = luaScript<[putAt: string, expiresAt: string] | null>()({
  keys: ['expiryKey', 'valuesKey', 'versionKey'],
  args: ['expected', 'member', 'op', 'value', 'ttl', 'keepMs'],
  body: `${NOW}${SWEEP}
if expected ~= '' and (redis.call('GET', versionKey) or '0') ~= expected then return false end
sweep()
local put = string.format('%.0f', now)
local expires = put
if op == 'delete' then
  redis.call('ZREM', expiryKey, member)
  redis.call('HDEL', valuesKey, member)
else
  expires = string.format('%.0f', now + tonumber(ttl))
  redis.call('ZADD', expiryKey, expires, member)
  redis.call('HSET', valuesKey, member, put .. ' ' .. value)
  redis.call('PEXPIRE', expiryKey, keepMs)
  redis.call('PEXPIRE', valuesKey, keepMs)
end
redis.call('INCR', versionKey)
redis.call('PEXPIRE', versionKey, keepMs)
return {put, expires}
`,
});

export function writeClaim(
  client: ScriptClient,
  keys: ProjectKeys,
  write: { expected: string; member: string } & (
    | { op: 'delete' }
    | { op: 'put'; value: string; ttlMs: number }
  ),
): Promise<[string, string] | null> {
  return runScript(
    client,
    WRITE_CLAIM,
    {
      expiryKey: keys.entryExpiry('claims'),
      valuesKey: keys.entryValues('claims'),
      versionKey: keys.claimsVersion(),
    },
    {
      expected: write.expected,
      member: write.member,
      op: write.op,
      value: write.op === 'put' ? write.value : '',
      ttl: write.op === 'put' ? write.ttlMs : 0,
      keepMs: CONTAINER_KEEP_MS,
    },
  );
}

/**
 * What a view of the live sessions shows: their count, the `limit` that expire last and the
 * members named (`\n`-separated: a key has no newline), each as `member, expires_at, value`
 * triples. A cost of `limit` and the members, not of the number of live sessions.
 */
const PRESENCE_VIEW = luaScript<[count: number, newest: string[], asked: string[]]>()({
  keys: ['expiryKey', 'valuesKey'],
  args: ['limit', 'members'],
  body: `${NOW}
local after = '(' .. string.format('%.0f', now)
local count = redis.call('ZCOUNT', expiryKey, after, '+inf')
local newest = {}
if tonumber(limit) > 0 then
  local top = redis.call('ZREVRANGEBYSCORE', expiryKey, '+inf', after, 'WITHSCORES', 'LIMIT', 0, tonumber(limit))
  for i = 1, #top, 2 do
    local value = redis.call('HGET', valuesKey, top[i])
    if value then
      newest[#newest + 1] = top[i]
      newest[#newest + 1] = top[i + 1]
      newest[#newest + 1] = value
    end
  end
end
local asked = {}
for member in string.gmatch(members, '[^\\n]+') do
  local score = redis.call('ZSCORE', expiryKey, member)
  if score and tonumber(score) > now then
    local value = redis.call('HGET', valuesKey, member)
    if value then
      asked[#asked + 1] = member
      asked[#asked + 1] = score
      asked[#asked + 1] = value
    end
  end
end
return {count, newest, asked}
`,
});

export function presenceView(
  client: ScriptClient,
  keys: ProjectKeys,
  limit: number,
  members: readonly string[],
): Promise<[number, string[], string[]]> {
  return runScript(
    client,
    PRESENCE_VIEW,
    { expiryKey: keys.entryExpiry('presence'), valuesKey: keys.entryValues('presence') },
    { limit, members: members.join('\n') },
  );
}
