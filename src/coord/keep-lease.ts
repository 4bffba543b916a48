import { performance } from 'node:perf_hooks';
import { WfsError } from '../core/errors.js';
import type { Lease, LeaseCoordinator } from './types.js';

export interface KeptLease {
  /** Aborted, with the reason, when the lease is lost: stop at the next step. */
  readonly signal: AbortSignal;
  /** The lease as last renewed. */
  current(): Lease;
  /** Stops renewing (the caller then releases). */
  stop(): void;
}

/**
 * Renews a lease every third of its TTL while the holder works. A renewal that fails (the backend
 * did not answer: a Redis restart, a network blip) is tried again, sooner and sooner, until the
 * lease's own expiry: a blip shorter than the TTL costs nothing. The signal aborts (E_LEASE_LOST)
 * only when the backend answers that the lease is no longer ours (it expired, e.g. the process was
 * stopped past its TTL, and someone else took it), or when its expiry passes with no renewal.
 *
 * The expiry is kept on this machine's monotonic clock, not from the server's `expiresAt`: a
 * renewal sent at `t` is applied no earlier, so the lease is surely ours until `t + ttl`.
 */
export function keepLease(
  coordinator: LeaseCoordinator,
  lease: Lease,
  options: { ttlMs: number; intervalMs?: number },
): KeptLease {
  const interval = options.intervalMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
  // After a failure: a twentieth of the TTL, doubling, at most the usual interval.
  const firstRetry = Math.max(1, Math.floor(options.ttlMs / 20));
  const controller = new AbortController();
  let current = lease;
  // Until the first renewal: what is left by the server's expiresAt when the two clocks agree
  // that some is left; a TTL from now when they disagree (this clock ahead of the server's).
  const serverLeft = lease.expiresAt - Date.now();
  let oursUntil = performance.now() + (serverLeft > 0 ? Math.min(options.ttlMs, serverLeft) : options.ttlMs);
  let stopped = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let lastFailure: unknown;

  const stop = () => {
    stopped = true;
    clearTimeout(renewTimer);
    clearTimeout(expiryTimer);
  };
  const lose = (reason: WfsError) => {
    stop();
    if (!controller.signal.aborted) controller.abort(reason);
  };
  // Not renewed in time, whatever a renewal still under way may answer later: stop working.
  const watchExpiry = () => {
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(
      () => {
        const why = lastFailure === undefined ? '' : `: ${(lastFailure as Error).message}`;
        lose(
          new WfsError(
            'E_LEASE_LOST',
            `The lease ${lease.name} (fence ${lease.fence}) was lost: it could not be renewed before it expired${why}`,
            lastFailure === undefined ? undefined : { cause: lastFailure },
          ),
        );
      },
      Math.max(0, oursUntil - performance.now()),
    );
    expiryTimer.unref();
  };
  const schedule = (delay: number) => {
    renewTimer = setTimeout(() => void renewOnce(), delay);
    renewTimer.unref();
  };
  let failures = 0;
  const renewOnce = async () => {
    if (stopped) return;
    const sentAt = performance.now();
    try {
      const renewed = await coordinator.renew(current, options.ttlMs);
      if (stopped) return;
      if (renewed === undefined) {
        lose(
          new WfsError(
            'E_LEASE_LOST',
            `The lease ${lease.name} (fence ${lease.fence}) was lost: it expired before it was renewed`,
          ),
        );
        return;
      }
      current = renewed;
      oursUntil = sentAt + options.ttlMs;
      failures = 0;
      lastFailure = undefined;
      watchExpiry();
      schedule(interval);
    } catch (error) {
      if (stopped) return;
      lastFailure = error;
      failures++;
      const left = oursUntil - performance.now();
      // The expiry timer aborts at the end; until then, retries, the last ones well before it.
      schedule(Math.max(1, Math.min(interval, firstRetry * 2 ** (failures - 1), Math.floor(left / 2))));
    }
  };

  watchExpiry();
  schedule(interval);
  return { signal: controller.signal, current: () => current, stop };
}
