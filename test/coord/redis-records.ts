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
