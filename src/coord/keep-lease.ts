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
 * Renews a lease every third of its TTL while the holder works. When a renewal finds the lease gone
 * (it expired, e.g. the process was stopped past its TTL, and someone else took it) the signal
 * aborts: the holder is told, never left working without its lease.
 */
export function keepLease(
  coordinator: LeaseCoordinator,
  lease: Lease,
  options: { ttlMs: number; intervalMs?: number },
): KeptLease {
  const controller = new AbortController();
  let current = lease;
  let renewing = false;
  const lose = (reason: unknown) => {
    clearInterval(timer);
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const timer = setInterval(
    () => {
      if (renewing || controller.signal.aborted) return;
      renewing = true;
      coordinator
        .renew(current, options.ttlMs)
        .then((renewed) => {
          if (renewed === undefined)
            lose(
              new WfsError(
                'E_LEASE_LOST',
                `The lease ${lease.name} (fence ${lease.fence}) was lost: it expired before it was renewed`,
              ),
            );
          else current = renewed;
        })
        .catch((error: unknown) => lose(error))
        .finally(() => {
          renewing = false;
        });
    },
    options.intervalMs ?? Math.max(1, Math.floor(options.ttlMs / 3)),
  );
  timer.unref();
  return { signal: controller.signal, current: () => current, stop: () => clearInterval(timer) };
}
