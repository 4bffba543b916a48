import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { errnoCode, WfsError } from '../core/errors.js';
import type { Layout } from './layout.js';

/**
 * The cross-process lock around every read-modify-write of `.workflow/` (the registry, session
 * files, the manifest). proper-lockfile takes it with mkdir, which is atomic on every local
 * filesystem, and keeps the lock's mtime fresh while it is held, so a holder that was killed is
 * recognised as stale. Critical sections last milliseconds; sessions are never held under it.
 *
 * Lock order: the project lock is the only lock taken by the session layer. Anything that later
 * needs a finer lock (one session) takes it inside the project lock, never the other way round.
 */

// A holder refreshes the lock's mtime every STALE_MS / 2. 10 s covers a process starved of CPU by
// many parallel sessions on two cores; a killed holder blocks the others for at most that long.
const STALE_MS = 10_000;

// Waiters poll with randomised exponential backoff from 5 ms up to 100 ms: short sections clear
// fast, and 100 contending processes do not stampede. About 1,000 tries bound the wait to well over
// a minute, far beyond any healthy queue.
const RETRY = { retries: 1000, factor: 1.5, minTimeout: 5, maxTimeout: 100, randomize: true };

export interface LockOptions {
  /** Tries before giving up with E_LOCK_TIMEOUT; tests lower it. */
  retries?: number;
}

export async function withLock<T>(
  lockDir: string,
  name: string,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  fs.mkdirSync(lockDir, { recursive: true });
  const lockPath = path.join(lockDir, `${name}.lock`);
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(lockDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: STALE_MS,
      retries: { ...RETRY, retries: options?.retries ?? RETRY.retries },
      // The default throws from a timer and kills the process; we record it and fail the operation.
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if (errnoCode(error) === 'ELOCKED') {
      throw new WfsError(
        'E_LOCK_TIMEOUT',
        `Timed out waiting for the ${name} lock (${lockPath}); another wfs process holds it`,
        {
          cause: error,
        },
      );
    }
    throw new WfsError('E_IO', `Cannot take the ${name} lock at ${lockPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const result = await fn();
    if (compromised) {
      throw new WfsError('E_IO', `The ${name} lock was lost while it was held: ${compromised.message}`, {
        cause: compromised,
      });
    }
    return result;
  } finally {
    await release().catch(() => {
      // Already released or compromised: nothing more to undo here, the failure was reported above.
    });
  }
}

export function withProjectLock<T>(
  layout: Layout,
  fn: () => Promise<T> | T,
  options?: LockOptions,
): Promise<T> {
  return withLock(layout.locksDir, 'project', fn, options);
}
