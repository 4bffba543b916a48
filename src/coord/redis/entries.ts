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

/**
 * Stores an entry and returns `{put_at, expires_at, seen}`. With `seeOthers` = 1, `seen` is every
 * live entry before this one was stored (atomically: of two claims at once, the second sees the
 * first).
 */
const PUT = luaScript<[putAt: string, expiresAt: string, seen: string[]]>()({
  keys: ['expiryKey', 'valuesKey'],
  args: ['member', 'value', 'ttl', 'seeOthers', 'keepMs'],
  body: `${NOW}${LIVE}
local seen = {}
if seeOthers == '1' then seen = live() end
local dead = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', string.format('%.0f', now), 'LIMIT', 0, 500)
if #dead > 0 then
  redis.call('ZREM', expiryKey, unpack(dead))
  redis.call('HDEL', valuesKey, unpack(dead))
end
local expires = string.format('%.0f', now + tonumber(ttl))
local put = string.format('%.0f', now)
redis.call('ZADD', expiryKey, expires, member)
redis.call('HSET', valuesKey, member, put .. ' ' .. value)
redis.call('PEXPIRE', expiryKey, keepMs)
redis.call('PEXPIRE', valuesKey, keepMs)
return {put, expires, seen}
`,
});

export function putEntry(
  client: ScriptClient,
  keys: ProjectKeys,
  kind: EntryKind,
  entry: { member: string; value: string; ttlMs: number; seeOthers?: boolean },
): Promise<[string, string, string[]]> {
  return runScript(
    client,
    PUT,
    { expiryKey: keys.entryExpiry(kind), valuesKey: keys.entryValues(kind) },
    {
      member: entry.member,
      value: entry.value,
      ttl: entry.ttlMs,
      seeOthers: entry.seeOthers ? 1 : 0,
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
