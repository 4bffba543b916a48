/**
 * The Lua scripts of the Redis backend. Each operation is one script, so it is atomic: no
 * SETNX-then-EXPIRE window, no GET-compare-DEL race, no read-then-write between two clients.
 * Every script declares its keys (all in one hash tag, so on one Cluster slot) and takes the time
 * from the server, never from a client whose clock may be off.
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: lease hash, fence hash, boot key, lease index zset, lease index hash.
 * ARGV: token, ttl, holder JSON, name. Returns {granted, fence, expires_at, holder JSON}.
 * The index (expiry times, and `<fence> <holder JSON>` by name) lets `list` find the project's
 * leases without a SCAN of the whole server; each grant sweeps a few expired names from it.
 *
 * The fence is `max(last + 1, server_time_ms * 1024)`: after a restart of a Redis that kept
 * nothing, the last fence is gone but the clock has moved on, so new fences are above the old
 * ones (1,024 grants of one name in one millisecond would be needed to catch up; the numbers stay
 * below 2^53 until the year 2248). The boot key, set by the first operation after a restart,
 * lets a fenced store refuse every fence granted before it.
 */
export const ACQUIRE = `${NOW}
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
local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('%.0f', now), 'LIMIT', 0, 10)
if #dead > 0 then
  redis.call('ZREM', KEYS[4], unpack(dead))
  redis.call('HDEL', KEYS[5], unpack(dead))
end
redis.call('ZADD', KEYS[4], expires, ARGV[4])
redis.call('HSET', KEYS[5], ARGV[4], fence .. ' ' .. ARGV[3])
return {1, fence, expires, ARGV[3]}
`;

/** KEYS: lease hash, lease index zset. ARGV: token, ttl, name. */
export const RENEW = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return false end
${NOW}
local expires = string.format('%.0f', now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'expires_at', expires)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], expires, ARGV[3])
return {redis.call('HGET', KEYS[1], 'fence'), expires, redis.call('HGET', KEYS[1], 'holder')}
`;

/**
 * KEYS: lease hash, fence hash, lease index zset, lease index hash. ARGV: token, name.
 * The fence hash remembers the token of the last grant, so a release after expiry can say
 * 'expired' rather than 'not_owner'.
 */
export const RELEASE = `
local owner = redis.call('HGET', KEYS[1], 'token')
if owner == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[2], 'token')
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[4], ARGV[2])
  return 'released'
end
if owner then return 'not_owner' end
if redis.call('HGET', KEYS[2], 'token') == ARGV[1] then
  redis.call('HDEL', KEYS[2], 'token')
  return 'expired'
end
return 'not_owner'
`;

/** KEYS: fenced resource, boot key. ARGV: fence. Returns 1 (accepted) or 0. */
export const ACCEPT_FENCE = `${NOW}
redis.call('SET', KEYS[2], string.format('%.0f', now), 'NX')
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if seen == 0 then seen = tonumber(redis.call('GET', KEYS[2])) * 1024 end
local fence = tonumber(ARGV[1])
if fence < seen then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

/**
 * Entries with a TTL (results, presence, claims, the lease index): a sorted set of expiry times
 * and a hash of values, `<put time> <JSON>`, swept of expired entries on every write.
 * KEYS: expiry zset, value hash. ARGV: op, member, value, ttl.
 * - put: stores, returns {put_at, expires_at}
 * - claim: returns every live entry, then stores (atomically: of two claims at once, the second
 *   sees the first)
 * - get: {expires_at, value} of a live entry, or false
 * - list: every live entry as {member, expires_at, value, ...}
 * - del: removes
 * The containers expire a month after their last write, by when every entry in them has.
 */
export const ENTRIES = `${NOW}
local op = ARGV[1]
local function live()
  local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%.0f', now), '+inf', 'WITHSCORES')
  local out = {}
  for i = 1, #members, 2 do
    local value = redis.call('HGET', KEYS[2], members[i])
    if value then
      out[#out + 1] = members[i]
      out[#out + 1] = members[i + 1]
      out[#out + 1] = value
    end
  end
  return out
end
if op == 'get' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if not score or tonumber(score) <= now then return false end
  return {score, redis.call('HGET', KEYS[2], ARGV[2])}
end
if op == 'list' then return live() end
if op == 'del' then
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
  return 1
end
local seen = {}
if op == 'claim' then seen = live() end
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now), 'LIMIT', 0, 500)
if #dead > 0 then
  redis.call('ZREM', KEYS[1], unpack(dead))
  redis.call('HDEL', KEYS[2], unpack(dead))
end
local expires = string.format('%.0f', now + tonumber(ARGV[4]))
local put = string.format('%.0f', now)
redis.call('ZADD', KEYS[1], expires, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], put .. ' ' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2678400000)
redis.call('PEXPIRE', KEYS[2], 2678400000)
return {put, expires, seen}
`;

/**
 * KEYS: event stream. ARGV: event JSON (without id), cap. Returns the new ID.
 * Stream IDs are `<id>-0` with our own `id = max(last + 1, server_time_ms * 1024)`: one number,
 * safe in JSON, that keeps growing after a restart of a Redis that kept nothing (like fences).
 * The stream is capped near ARGV[2] entries (MAXLEN ~: trimmed in whole nodes, cheaply).
 */
export const PUBLISH = `${NOW}
local last = 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
local id = string.format('%.0f', math.max(last + 1, now * 1024))
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], id .. '-0', 'e', ARGV[1])
return id
`;
