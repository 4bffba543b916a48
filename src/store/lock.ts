import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { removeFileIfExists } from './atomic.js';
import type { Layout } from './layout.js';
import { uniqueSuffix } from './unique.js';

/**
 * The cross-process lock around every read-modify-write of `.workflow/` (registry, session files,
 * manifest). Critical sections last milliseconds; sessions are never held under it.
 *
 * Why our own and not proper-lockfile: importing it costs ~10 ms per CLI start on Node 20 (it loads
 * and patches graceful-fs), a third of the budget of the commands agents call before every action,
 * and it cannot tell that a holder's process is gone. This lock is a file created with O_EXCL that
 * names its holder (pid, host, nonce):
 * - a holder on this host whose process is gone is broken at once;
 * - any other holder is broken only when its mtime is older than STALE_MS (a live holder refreshes
 *   it every STALE_MS / 3 while it holds the lock, so only a dead or frozen one ages).
 * Breaking renames the lock file aside (atomic: one breaker wins) and checks that what it moved is
 * the holder it judged; if a fresh holder slipped in, its file is linked back.
 *
 * Lock order: the project lock is the only lock the session layer takes. Anything that later needs a
 * finer lock (one session) takes it inside the project lock, never the other way round.
 */

// 10 s: far longer than any critical section, long enough that a holder starved of CPU by many
// parallel sessions on two cores is not mistaken for a dead one (it refreshes every ~3 s).
const STALE_MS = 10_000;
// Waiters poll with jittered backoff from 2 ms up to 50 ms: short sections clear fast and 100
// contending processes do not stampede. The default wait bound is far beyond any healthy queue.
const MIN_DELAY_MS = 2;
const MAX_DELAY_MS = 50;
const DEFAULT_TIMEOUT_MS = 120_000;

export interface LockHolder {
  pid: number;
  host: string;
  nonce: string;
  acquired_at: string;
}

export interface LockOptions {
  /** How long to wait for a held lock before E_LOCK_TIMEOUT. */
  timeoutMs?: number;
}

const hostname = os.hostname();

function readHolder(lockPath: string): { holder?: LockHolder; mtimeMs: number } | undefined {
  try {
    const stat = fs.statSync(lockPath);
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockHolder;
    } catch {
      // Written but not yet filled in by its creator, or damaged: judged by age alone.
    }
    return holder === undefined ? { mtimeMs: stat.mtimeMs } : { holder, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return errnoCode(error) === 'ESRCH';
  }
}

/** Why the current holder may be broken, or undefined while it must be respected. */
export function staleReason(
  info: { holder?: LockHolder; mtimeMs: number },
  now = Date.now(),
): string | undefined {
  if (
    info.holder?.host === hostname &&
    typeof info.holder.pid === 'number' &&
    processIsGone(info.holder.pid)
  ) {
    return `holder process ${info.holder.pid} is gone`;
  }
  if (now - info.mtimeMs > STALE_MS) return `not refreshed for ${Math.round((now - info.mtimeMs) / 1000)} s`;
  return undefined;
}

function breakStaleLock(lockPath: string, judged: { holder?: LockHolder }): void {
  const aside = `${lockPath}.broken-${uniqueSuffix()}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return; // someone else broke or released it first
    throw error;
  }
  let moved: LockHolder | undefined;
  try {
    moved = JSON.parse(fs.readFileSync(aside, 'utf8')) as LockHolder;
  } catch {
    moved = undefined;
  }
  if (judged.holder !== undefined && moved !== undefined && moved.nonce !== judged.holder.nonce) {
    // A new holder took the lock between our look and our rename: give it back.
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      // Someone else holds it now; the displaced holder's release will find its file gone.
    }
  }
  removeFileIfExists(aside);
}

function tryCreate(lockPath: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    // No fsync: a lock does not need to survive a machine crash (every process it excluded is gone too).
    fs.writeFileSync(fd, JSON.stringify(holder));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function acquire(lockPath: string, name: string, timeoutMs: number): Promise<LockHolder> {
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname,
    nonce: uniqueSuffix(),
    acquired_at: new Date().toISOString(),
  };
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(lockPath, holder)) return holder;
    const info = readHolder(lockPath);
    if (info === undefined) continue; // released between our two looks: try again at once
    if (staleReason(info) !== undefined) {
      breakStaleLock(lockPath, info);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = info.holder
        ? `pid ${info.holder.pid} on ${info.holder.host} since ${info.holder.acquired_at}`
        : 'another process';
      throw new WfsError(
        'E_LOCK_TIMEOUT',
        `Timed out after ${timeoutMs} ms waiting for the ${name} lock, held by ${who} (${lockPath})`,
        {
          details: info.holder ? { holder: info.holder } : {},
        },
      );
    }
    const backoff = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 1.5 ** Math.min(attempt, 20));
    await sleep(backoff * (0.5 + Math.random()));
  }
}

function release(lockPath: string, holder: LockHolder): void {
  const current = readHolder(lockPath);
  // Only our own file: if ours was broken as stale, the file there now belongs to someone else.
  if (current?.holder?.nonce === holder.nonce) removeFileIfExists(lockPath);
}

export async function withLock<T>(
  lockDir: string,
  name: string,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  fs.mkdirSync(lockDir, { recursive: true });
  const lockPath = path.join(lockDir, `${name}.lock`);
  const holder = await acquire(lockPath, name, options?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const refresh = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(lockPath, now, now);
    } catch {
      // Gone: it was broken as stale; the release below will not touch the new holder's file.
    }
  }, STALE_MS / 3);
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    release(lockPath, holder);
  }
}

export function withProjectLock<T>(
  layout: Layout,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  return withLock(layout.locksDir, 'project', fn, options);
}
