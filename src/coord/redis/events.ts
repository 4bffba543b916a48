import type { WfsEvent } from '../types.js';
import type { RedisClient } from './connection.js';
import type { ProjectKeys } from './keys.js';
import { luaScript, NOW, runScript, type ScriptClient } from './script.js';

/** The stream of announcements keeps about this many of the newest (as the embedded log does). */
const EVENTS_CAP = 10_000;

/**
 * Stream IDs are `<id>-0` with our own `id = max(last + 1, server_time_ms * 1024)`: one number,
 * safe in JSON, that keeps growing after a restart of a Redis that kept nothing (like fences).
 * The stream is capped near `cap` entries (MAXLEN ~: trimmed in whole nodes, cheaply), so it needs
 * no expiry to stay bounded.
 */
const PUBLISH = luaScript<string>()({
  keys: ['streamKey'],
  args: ['event', 'cap'],
  body: `${NOW}
local last = 0
local top = redis.call('XREVRANGE', streamKey, '+', '-', 'COUNT', 1)
if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
local id = string.format('%.0f', math.max(last + 1, now * 1024))
redis.call('XADD', streamKey, 'MAXLEN', '~', cap, id .. '-0', 'e', event)
return id
`,
});

/** Adds an event (its JSON without the ID); returns the ID. */
export async function publishEvent(
  client: ScriptClient,
  keys: ProjectKeys,
  eventJson: string,
): Promise<number> {
  return Number(
    await runScript(client, PUBLISH, { streamKey: keys.events() }, { event: eventJson, cap: EVENTS_CAP }),
  );
}

function decode(entries: [string, string[]][]): WfsEvent[] {
  return entries.map(([id, fields]) => ({
    id: Number(id.slice(0, id.indexOf('-'))),
    ...(JSON.parse(fields[1]!) as Omit<WfsEvent, 'id'>),
  }));
}

/** After `since`: the oldest `limit` of them; without it, the newest `limit`. Oldest first. */
export async function readEvents(
  client: RedisClient,
  keys: ProjectKeys,
  since: number,
  limit: number,
): Promise<WfsEvent[]> {
  if (since > 0) return decode(await client.xrange(keys.events(), `(${since}-0`, '+', 'COUNT', limit));
  return decode((await client.xrevrange(keys.events(), '+', '-', 'COUNT', limit)).reverse());
}

/** Waits up to `blockMs` for events after `since` (XREAD BLOCK, on a connection of its own). */
export async function waitForEvents(
  reader: RedisClient,
  keys: ProjectKeys,
  since: number,
  blockMs: number,
): Promise<WfsEvent[]> {
  const reply = await reader.xread('COUNT', 1_000, 'BLOCK', blockMs, 'STREAMS', keys.events(), `${since}-0`);
  return decode((reply?.[0]?.[1] ?? []) as [string, string[]][]);
}
