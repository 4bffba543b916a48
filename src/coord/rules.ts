import { WfsError } from '../core/errors.js';

/** Input rules shared by every coordination backend, so the embedded one and Redis agree. */

export const LEASE_MAX_TTL_MS = 24 * 60 * 60 * 1000;
const LEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9:._/@+-]{0,199}$/;

export function validateLeaseName(name: string): string {
  if (!LEASE_NAME.test(name) || name.includes('..')) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid lock name ${JSON.stringify(name.slice(0, 80))}: letters, digits and : . _ / @ + - (at most 200)`,
    );
  }
  return name;
}

export function validateTtl(ttlMs: number, max = LEASE_MAX_TTL_MS): number {
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > max) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid TTL ${ttlMs}: a whole number of milliseconds from 1 to ${max}`,
    );
  }
  return ttlMs;
}

/**
 * How long an `acquire` with `waitMs` sleeps before asking again: backoff from 5 ms, never past
 * its deadline, and not much past the moment the holder's lease runs out.
 */
export function waitBeforeRetry(attempt: number, remainingMs: number, untilExpiryMs: number): Promise<void> {
  const delay = Math.max(1, Math.min(remainingMs, 5 * 1.5 ** Math.min(attempt, 8), untilExpiryMs + 1));
  return new Promise((resolve) => setTimeout(resolve, delay));
}
