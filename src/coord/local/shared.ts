import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, WfsError } from '../../core/errors.js';
import { readTextIfExists, writeFileAtomic } from '../../store/atomic.js';
import { validateTtl } from '../rules.js';
import type { LocalCoordinator } from './leases.js';

/**
 * Shared results, presence and path claims of the embedded backend: small JSON files with an
 * expiry, one per key, session or claim, in the coordination folder. Written atomically (temp
 * file and rename) under the coordination lock; read without it. Expired entries read as absent
 * and are removed by the next write of their kind.
 */

const MAX_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_VALUE_BYTES = 8 * 1024 * 1024;
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._/@+=-]{0,299}$/;

function ttl(ms: number): number {
  return validateTtl(ms, MAX_TTL_MS);
}

function key(value: string, what: string): string {
  if (!KEY_PATTERN.test(value) || value.includes('..')) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid ${what} ${JSON.stringify(value.slice(0, 80))}: letters, digits and : . _ / @ + = - (at most 300)`,
    );
  }
  return value;
}

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
        fs.rmSync(file, { force: true });
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

// ---------------------------------------------------------------- shared results

export interface SharedResult {
  key: string;
  value: string;
  session: string | null;
  host: string;
  put_at: string;
  expires_at: number;
}

export async function putResult(
  c: LocalCoordinator,
  input: { key: string; value: string; ttlMs: number; session?: string | null; now?: () => number },
): Promise<SharedResult> {
  key(input.key, 'result key');
  const lifetime = ttl(input.ttlMs);
  if (Buffer.byteLength(input.value) > MAX_VALUE_BYTES)
    throw new WfsError('E_INVALID_INPUT', `A result is at most ${MAX_VALUE_BYTES} bytes`);
  const dir = path.join(c.dir, 'results');
  return c.withEpoch(() => {
    const now = (input.now ?? Date.now)();
    const result: SharedResult = {
      key: input.key,
      value: input.value,
      session: input.session ?? null,
      host: os.hostname(),
      put_at: new Date(now).toISOString(),
      expires_at: now + lifetime,
    };
    sweep(dir, now);
    write(dir, input.key, result);
    return result;
  });
}

export function getResult(
  c: LocalCoordinator,
  resultKey: string,
  now = Date.now(),
): SharedResult | undefined {
  return readLive<SharedResult>(fileOf(path.join(c.dir, 'results'), key(resultKey, 'result key')), now);
}

export function listResults(c: LocalCoordinator, now = Date.now()): SharedResult[] {
  return readAllLive<SharedResult>(path.join(c.dir, 'results'), now).sort((a, b) => (a.key < b.key ? -1 : 1));
}

// ---------------------------------------------------------------- presence

export interface Presence {
  session: string;
  host: string;
  pid: number;
  heartbeat_at: string;
  expires_at: number;
}

/** A live session says so; it drops out when it stops saying so for `ttlMs`. */
export async function heartbeat(
  c: LocalCoordinator,
  input: { session: string; ttlMs: number; pid?: number; now?: () => number },
): Promise<Presence> {
  key(input.session, 'session');
  const lifetime = ttl(input.ttlMs);
  const dir = path.join(c.dir, 'presence');
  return c.withEpoch(() => {
    const now = (input.now ?? Date.now)();
    const presence: Presence = {
      session: input.session,
      host: os.hostname(),
      pid: input.pid ?? process.pid,
      heartbeat_at: new Date(now).toISOString(),
      expires_at: now + lifetime,
    };
    sweep(dir, now);
    write(dir, input.session, presence);
    return presence;
  });
}

export function liveSessions(c: LocalCoordinator, now = Date.now()): Presence[] {
  return readAllLive<Presence>(path.join(c.dir, 'presence'), now).sort((a, b) =>
    a.session < b.session ? -1 : 1,
  );
}

// ---------------------------------------------------------------- path claims

export interface Claim {
  session: string;
  paths: string[];
  expires_at: number;
}

export interface ClaimConflict {
  session: string;
  theirs: string;
  ours: string;
}

/** The literal start of a glob: what every path it matches begins with. */
function literalPrefix(glob: string): string {
  const normalised = glob.replace(/^\.\//, '').replace(/\\/g, '/');
  const wildcard = normalised.search(/[*?[\]{}!]/);
  return wildcard < 0 ? normalised : normalised.slice(0, wildcard);
}

/**
 * Whether two globs can match a common path. Decided on their literal prefixes (the part before
 * the first wildcard): when neither prefix starts the other they cannot overlap; otherwise they
 * are reported as overlapping. It may report an overlap that a precise check would not (`src/*.ts`
 * and `src/*.md`), never miss one: a false alarm asks a person, a miss lets two sessions collide.
 */
export function globsMayOverlap(a: string, b: string): boolean {
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  const exactA = pa === a.replace(/^\.\//, '');
  const exactB = pb === b.replace(/^\.\//, '');
  if (exactA && exactB) return pa === pb || pa.startsWith(`${pb}/`) || pb.startsWith(`${pa}/`);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

/** Declares the paths a session will change, and returns the live claims of others they overlap. */
export async function claimPaths(
  c: LocalCoordinator,
  input: { session: string; paths: string[]; ttlMs: number; now?: () => number },
): Promise<ClaimConflict[]> {
  key(input.session, 'session');
  const lifetime = ttl(input.ttlMs);
  if (input.paths.length === 0 || input.paths.some((p) => p.trim() === '' || p.includes('\0'))) {
    throw new WfsError('E_INVALID_INPUT', 'A claim needs at least one path or glob, none empty');
  }
  const dir = path.join(c.dir, 'claims');
  return c.withEpoch(() => {
    const now = (input.now ?? Date.now)();
    const conflicts: ClaimConflict[] = [];
    for (const other of readAllLive<Claim>(dir, now)) {
      if (other.session === input.session) continue;
      for (const theirs of other.paths) {
        for (const ours of input.paths)
          if (globsMayOverlap(theirs, ours)) conflicts.push({ session: other.session, theirs, ours });
      }
    }
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
  key(session, 'session');
  return c.withEpoch(() => {
    fs.rmSync(fileOf(path.join(c.dir, 'claims'), session), { force: true });
  });
}
