import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { readTextIfExists, removeFileIfExists, writeFileAtomic } from '../../store/atomic.js';
import { conflictsWith } from '../claims.js';
import {
  ENTRY_MAX_TTL_MS,
  thisHost,
  validateClaimPaths,
  validateEntryKey,
  validateResultValue,
  validateTtl,
} from '../rules.js';
import type { Claim, ClaimConflict, Presence, SharedResult } from '../types.js';
import type { LocalCoordinator } from './leases.js';

/**
 * Shared results, presence and path claims of the embedded backend: small JSON files with an
 * expiry, one per key, session or claim, in the coordination folder. Written atomically (temp
 * file and rename) under the coordination lock; read without it. Expired entries read as absent
 * and are removed by the next write of their kind.
 */

function fileOf(dir: string, name: string): string {
  return path.join(dir, `${encodeURIComponent(name)}.json`);
}

function readLive<T extends { expires_at: number }>(file: string, now: number): T | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as T;
    return value.expires_at > now ? value : undefined;
  } catch {
    return undefined;
  }
}

function readAllLive<T extends { expires_at: number }>(dir: string, now: number): T[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => n.endsWith('.json')).flatMap((n) => readLive<T>(path.join(dir, n), now) ?? []);
}

function sweep(dir: string, now: number): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const text = readTextIfExists(file);
    try {
      if (text !== undefined && (JSON.parse(text) as { expires_at: number }).expires_at <= now)
        removeFileIfExists(file);
    } catch {
      // not ours to judge
    }
  }
}

function write(dir: string, name: string, value: unknown): void {
  fs.mkdirSync(dir, { recursive: true });
  // Not fsynced: results, presence and claims are worth nothing after a machine restart.
  writeFileAtomic(fileOf(dir, name), JSON.stringify(value), { durable: false });
}

const byKey = (a: SharedResult, b: SharedResult) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const bySession = (a: { session: string }, b: { session: string }) =>
  a.session < b.session ? -1 : a.session > b.session ? 1 : 0;

// ---------------------------------------------------------------- shared results

export async function putResult(
  c: LocalCoordinator,
  input: { key: string; value: string; ttlMs: number; session?: string | null },
): Promise<SharedResult> {
  validateEntryKey(input.key, 'result key');
  const lifetime = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
  validateResultValue(input.value);
  const dir = path.join(c.dir, 'results');
  return c.withEpoch(() => {
    const now = c.now();
    const result: SharedResult = {
      key: input.key,
      value: input.value,
      session: input.session ?? null,
      host: thisHost(),
      put_at: new Date(now).toISOString(),
      expires_at: now + lifetime,
    };
    sweep(dir, now);
    write(dir, input.key, result);
    return result;
  });
}

export function getResult(c: LocalCoordinator, resultKey: string): SharedResult | undefined {
  validateEntryKey(resultKey, 'result key');
  return readLive<SharedResult>(fileOf(path.join(c.dir, 'results'), resultKey), c.now());
}

export function listResults(c: LocalCoordinator): SharedResult[] {
  return readAllLive<SharedResult>(path.join(c.dir, 'results'), c.now()).sort(byKey);
}

// ---------------------------------------------------------------- presence

export async function heartbeat(
  c: LocalCoordinator,
  input: { session: string; ttlMs: number; pid?: number },
): Promise<Presence> {
  validateEntryKey(input.session, 'session');
  const lifetime = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
  const dir = path.join(c.dir, 'presence');
  return c.withEpoch(() => {
    const now = c.now();
    const presence: Presence = {
      session: input.session,
      host: thisHost(),
      pid: input.pid ?? process.pid,
      heartbeat_at: new Date(now).toISOString(),
      expires_at: now + lifetime,
    };
    sweep(dir, now);
    write(dir, input.session, presence);
    return presence;
  });
}

/** The session's presence and its claims end at once. */
export async function leave(c: LocalCoordinator, session: string): Promise<void> {
  validateEntryKey(session, 'session');
  const files = [fileOf(path.join(c.dir, 'presence'), session), fileOf(path.join(c.dir, 'claims'), session)];
  // Nothing to remove (the common case: pausing a session that was already gone) takes no lock.
  // A heartbeat racing this for the same ending session would only live out its TTL.
  if (!files.some((file) => fs.existsSync(file))) return;
  return c.withEpoch(() => {
    for (const file of files) removeFileIfExists(file);
  });
}

export function liveSessions(c: LocalCoordinator): Presence[] {
  return readAllLive<Presence>(path.join(c.dir, 'presence'), c.now()).sort(bySession);
}

// ---------------------------------------------------------------- path claims

export async function claimPaths(
  c: LocalCoordinator,
  input: { session: string; paths: string[]; ttlMs: number },
): Promise<ClaimConflict[]> {
  validateEntryKey(input.session, 'session');
  const lifetime = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
  validateClaimPaths(input.paths);
  const dir = path.join(c.dir, 'claims');
  // Read the others and write ours under one lock: of two sessions claiming at once, the second
  // always sees the first.
  return c.withEpoch(() => {
    const now = c.now();
    const conflicts = conflictsWith(readAllLive<Claim>(dir, now), input.session, input.paths);
    sweep(dir, now);
    write(dir, input.session, {
      session: input.session,
      paths: input.paths,
      expires_at: now + lifetime,
    } satisfies Claim);
    return conflicts;
  });
}

export async function releaseClaims(c: LocalCoordinator, session: string): Promise<void> {
  validateEntryKey(session, 'session');
  return c.withEpoch(() => {
    removeFileIfExists(fileOf(path.join(c.dir, 'claims'), session));
  });
}

export function listClaims(c: LocalCoordinator): Claim[] {
  return readAllLive<Claim>(path.join(c.dir, 'claims'), c.now()).sort(bySession);
}
