import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { removeFileIfExists } from './atomic.js';
import type { CheckReporter } from './checks.js';
import type { Layout } from './layout.js';
import { type ProcessIdentity, processState, thisProcess } from './processes.js';
import { ensureDirectory } from './safe-path.js';
import { uniqueSuffix } from './unique.js';

/**
 * The cross-process lock around every read-modify-write of `.workflow/` (registry, session files,
 * manifest) and of the embedded coordination state. Critical sections last milliseconds; sessions
 * are never held under it.
 *
 * SPEC 1: a lock is taken from its holder only when the holder is provably gone (its process is
 * dead on this host, or the host has rebooted), never because of its age: a holder that is
 * stopped (Ctrl-Z, a debugger), swapped out or busy for a minute still holds it, and its write
 * never lands on top of one made meanwhile. So there is no refresh timer and no stale time: a
 * waiter asks whether the holder's process still runs (see processes.ts), and a holder on another
 * host (a shared network folder) is never broken.
 *
 * The lock is a folder, `<name>.lock/`, holding one empty file whose name is its holder:
 * `<nonce>+<pid>+<start time>+<boot id>+<host>`. Everything is done with operations the filesystem
 * makes atomic, and none of them can hit another holder than the one judged:
 * - acquire: make `<name>.lock.new-<nonce>/` with our holder file inside, then rename it to
 *   `<name>.lock`: rename succeeds only where no lock folder is, or where one is empty; a held
 *   lock's folder is never empty (ENOTEMPTY).
 * - release: unlink our holder file, then rmdir the folder (which fails harmlessly if a new holder
 *   has renamed its own folder over the empty one meanwhile).
 * - break a gone holder: unlink *that holder's* file by its name. If the lock changed hands in
 *   between, that name is no longer there (ENOENT) and nobody else's lock is touched; the emptied
 *   folder is then taken by the next rename. (Renaming a lock file aside, as before, could move a
 *   fresh holder's file when a third process slipped in, and give two holders.)
 * The holder's identity is in the file's name, so judging a holder needs one readdir and no read,
 * and a crash cannot leave a holder half written.
 *
 * Why our own and not proper-lockfile: importing it costs ~10 ms per CLI start on Node 20, and it
 * breaks locks by age, which SPEC 1 forbids.
 *
 * Lock order: the project lock, then the coordination lock (session announcements are published
 * after the session transaction commits, never inside it); nothing takes them the other way round.
 */

// Waiters poll with jittered backoff from 2 ms up to 50 ms: short sections clear fast and 100
// contending processes do not stampede. The default wait bound is far beyond any healthy queue.
const MIN_DELAY_MS = 2;
const MAX_DELAY_MS = 50;
const DEFAULT_TIMEOUT_MS = 120_000;
const SEPARATOR = '+';
// A name part longer than this would not fit in a file name with the rest (host names are short).
const MAX_HOST_CHARS = 120;

export interface LockHolder extends ProcessIdentity {
  nonce: string;
}

export interface LockOptions {
  /** How long to wait for a held lock before E_LOCK_TIMEOUT. */
  timeoutMs?: number;
}

export function holderName(holder: LockHolder): string {
  const host = encodeURIComponent(holder.host).slice(0, MAX_HOST_CHARS);
  return [holder.nonce, holder.pid, holder.start, holder.boot, host].join(SEPARATOR);
}

/** The holder a lock folder's file names, or undefined for a name wfs did not make. */
export function parseHolderName(name: string): LockHolder | undefined {
  const parts = name.split(SEPARATOR);
  if (parts.length !== 5) return undefined;
  const [nonce, pid, start, boot, host] = parts as [string, string, string, string, string];
  if (!/^[0-9a-z]+$/.test(nonce) || !/^[0-9]{1,10}$/.test(pid) || !/^[0-9]{1,20}$/.test(start))
    return undefined;
  if (!/^[0-9a-f-]{0,64}$/.test(boot)) return undefined;
  let decodedHost: string;
  try {
    decodedHost = decodeURIComponent(host);
  } catch {
    return undefined;
  }
  return { nonce, pid: Number(pid), start: Number(start), boot, host: decodedHost };
}

/** The holders named in a lock folder (one, unless damaged), and names that are not holders. */
function readLockFolder(
  lockPath: string,
): { holders: { name: string; holder: LockHolder }[]; foreign: string[] } | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(lockPath);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    throw error;
  }
  const holders: { name: string; holder: LockHolder }[] = [];
  const foreign: string[] = [];
  for (const name of names) {
    const holder = parseHolderName(name);
    if (holder === undefined) foreign.push(name);
    else holders.push({ name, holder });
  }
  return { holders, foreign };
}

export type HolderJudgement =
  | { gone: true; why: string }
  | { gone: false; stopped: boolean; remote: boolean };

/** Whether a lock's holder may be broken: only when its process is provably gone. */
export function judgeHolder(holder: ProcessIdentity): HolderJudgement {
  const state = processState(holder);
  if (state.state === 'gone') return { gone: true, why: state.why };
  return {
    gone: false,
    stopped: state.state === 'alive' && state.stopped,
    remote: state.state === 'unknown',
  };
}

export function describeHolder(holder: ProcessIdentity): string {
  return `pid ${holder.pid} on ${holder.host}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A lock of the format before this one: a file naming `{pid, host}` in JSON. */
function breakLegacyLockIfGone(lockPath: string): 'broken' | 'held' {
  let holder: { pid?: unknown; host?: unknown } | undefined;
  try {
    holder = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as typeof holder;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'broken';
    holder = undefined;
  }
  if (typeof holder?.pid !== 'number' || typeof holder.host !== 'string')
    throw new WfsError(
      'E_CORRUPT',
      `${lockPath} is not a lock wfs can read (a file where a lock folder belongs); if no wfs command is running, remove it (or run wfs doctor --fix)`,
      { details: { path: lockPath } },
    );
  const judged = judgeHolder({ pid: holder.pid, host: holder.host, start: 0, boot: '' });
  if (!judged.gone) return 'held';
  // unlink never removes a folder, so it can only remove this legacy file, never a current lock.
  removeFileIfExists(lockPath);
  return 'broken';
}

function timeoutError(
  lockPath: string,
  name: string,
  timeoutMs: number,
  holder: LockHolder | undefined,
): WfsError {
  let who = 'another process';
  let hint = '';
  if (holder !== undefined) {
    const judged = judgeHolder(holder);
    who = describeHolder(holder);
    if (!judged.gone && judged.stopped)
      hint = `; that process is stopped (Ctrl-Z or a debugger): resume it (fg, or kill -CONT ${holder.pid})`;
    else if (!judged.gone && judged.remote)
      hint = `; wfs cannot see processes on ${holder.host}: if that machine is gone for good, remove ${lockPath}`;
  }
  return new WfsError(
    'E_LOCK_TIMEOUT',
    `Timed out after ${timeoutMs} ms waiting for the ${name} lock, held by ${who}${hint} (${lockPath})`,
    { details: holder ? { holder: { pid: holder.pid, host: holder.host } } : {} },
  );
}

async function acquire(
  lockDir: string,
  name: string,
  timeoutMs: number,
): Promise<{ lockPath: string; file: string }> {
  ensureDirectory(lockDir);
  const me: LockHolder = { ...thisProcess(), nonce: uniqueSuffix() };
  const lockPath = path.join(lockDir, `${name}.lock`);
  const mine = holderName(me);
  const staging = `${lockPath}.new-${me.nonce}`;
  fs.mkdirSync(staging);
  // Empty: the name says who holds it. No fsync: a lock does not outlive a machine crash (its
  // holders are gone too, and the new boot id says so).
  fs.closeSync(fs.openSync(path.join(staging, mine), 'wx', 0o644));
  const deadline = Date.now() + timeoutMs;
  let last: LockHolder | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.renameSync(staging, lockPath);
        return { lockPath, file: path.join(lockPath, mine) };
      } catch (error) {
        const code = errnoCode(error);
        if (code !== 'ENOTDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
      const stat = fs.lstatSync(lockPath, { throwIfNoEntry: false });
      if (stat === undefined) continue; // released between our two looks: try again at once
      if (stat.isSymbolicLink())
        throw new WfsError(
          'E_SYMLINK',
          `${lockPath} is a symbolic link where wfs keeps its lock: remove it`,
          {
            details: { path: lockPath },
          },
        );
      if (!stat.isDirectory()) {
        if (breakLegacyLockIfGone(lockPath) === 'broken') continue;
      } else {
        const folder = readLockFolder(lockPath);
        if (folder === undefined || (folder.holders.length === 0 && folder.foreign.length === 0)) continue;
        if (folder.foreign.length > 0)
          throw new WfsError(
            'E_CORRUPT',
            `${lockPath} holds ${folder.foreign.map((n) => JSON.stringify(n)).join(', ')}, which wfs did not make; if no wfs command is running, remove the folder (or run wfs doctor --fix)`,
            { details: { path: lockPath } },
          );
        let broke = false;
        for (const { name: file, holder } of folder.holders) {
          if (judgeHolder(holder).gone) {
            // By its own name: if the lock changed hands meanwhile, this touches nobody else's.
            removeFileIfExists(path.join(lockPath, file));
            broke = true;
          } else last = holder;
        }
        if (broke) continue;
      }
      if (Date.now() >= deadline) throw timeoutError(lockPath, name, timeoutMs, last);
      const backoff = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 1.5 ** Math.min(attempt, 20));
      await sleep(backoff * (0.5 + Math.random()));
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function release(lock: { lockPath: string; file: string }): void {
  removeFileIfExists(lock.file);
  try {
    fs.rmdirSync(lock.lockPath);
  } catch (error) {
    // ENOTEMPTY/EEXIST: the next holder already renamed its folder over our empty one; ENOENT: gone.
    const code = errnoCode(error);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
  }
}

export async function withLock<T>(
  lockDir: string,
  name: string,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  const lock = await acquire(lockDir, name, options?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await fn();
  } finally {
    release(lock);
  }
}

export function withProjectLock<T>(
  layout: Layout,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  return withLock(layout.locksDir, 'project', fn, options);
}

/** What a lock folder says about its holder, for `wfs doctor`. */
export interface LockInspection {
  path: string;
  kind: 'lock' | 'staging' | 'legacy' | 'other';
  holder?: LockHolder;
  judgement?: HolderJudgement;
  /** Entries in the folder that wfs did not make. */
  foreign?: string[];
}

/** Every entry of a locks folder, judged (read-only). */
export function inspectLocks(lockDir: string): LockInspection[] {
  let names: string[];
  try {
    names = fs.readdirSync(lockDir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found: LockInspection[] = [];
  for (const name of names) {
    const file = path.join(lockDir, name);
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    const kind = name.endsWith('.lock')
      ? stat.isDirectory()
        ? 'lock'
        : 'legacy'
      : /\.lock\.new-/.test(name) && stat.isDirectory()
        ? 'staging'
        : 'other';
    if (kind !== 'lock' && kind !== 'staging') {
      found.push({ path: file, kind });
      continue;
    }
    const folder = readLockFolder(file);
    const holder = folder?.holders[0]?.holder;
    found.push({
      path: file,
      kind,
      ...(holder ? { holder, judgement: judgeHolder(holder) } : {}),
      ...(folder && folder.foreign.length > 0 ? { foreign: folder.foreign } : {}),
    });
  }
  return found;
}

/** The locks of a folder: a holder provably gone is moved aside, a live one is said (SPEC 1: never broken for age). */
export function checkLocks(report: CheckReporter, lockDir: string, held?: string): void {
  for (const lock of inspectLocks(lockDir)) {
    const name = path.basename(lock.path);
    // Ours, held by this very run (a read-only run holds none).
    if (lock.kind === 'lock' && held !== undefined && lock.path === held) continue;
    if (lock.kind === 'other' || lock.kind === 'legacy') {
      report.problem(
        'locks',
        `${name}: not a lock of this version of wfs (left by an older version, or by a person)`,
        () => `moved aside to ${report.moveAside(lock.path)}`,
      );
      continue;
    }
    if (lock.foreign !== undefined) {
      report.problem(
        'locks',
        `${name}: holds ${lock.foreign.join(', ')}, which wfs did not make`,
        () => `moved aside to ${report.moveAside(lock.path)}`,
      );
      continue;
    }
    const holder = lock.holder;
    const judged = lock.judgement;
    if (holder === undefined || judged === undefined) {
      // An empty lock folder: a release interrupted between its two steps; the next lock takes it.
      if (lock.kind === 'staging')
        report.problem(
          'locks',
          `${name}: left by an interrupted lock`,
          () => `moved aside to ${report.moveAside(lock.path)}`,
        );
      continue;
    }
    if (judged.gone) {
      report.problem(
        'locks',
        `${name}: ${lock.kind === 'staging' ? 'left by an interrupted lock' : 'held by a process that is gone'} (${describeHolder(holder)}: ${judged.why})`,
        () => `moved aside to ${report.moveAside(lock.path)}`,
      );
      continue;
    }
    if (lock.kind === 'staging') continue; // a lock being taken right now
    report.info(
      'locks',
      `${name} is held by ${describeHolder(holder)}${judged.stopped ? ', which is stopped (Ctrl-Z or a debugger): resume it' : ''}${judged.remote ? ' (another machine: wfs cannot see whether it runs)' : ''}`,
    );
  }
}
