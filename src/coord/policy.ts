import type { UnreachablePolicy } from '../core/config.js';
import { isWfsError } from '../core/errors.js';

/**
 * What to do when the coordination backend cannot be reached (SPEC 5), chosen per project:
 * - `fail`: stop with the error (exit 1). The default: nothing runs unprotected unless asked.
 * - `run-unlocked`: do the work without the lock, and say so in the result.
 * - `skip`: do not do the work, and say so (exit 4, like work held by another session).
 * Only an E_UNREACHABLE is subject to it; every other error stays an error, above all a refused
 * password or permission (E_AUTH) and a TLS failure (E_CONFIG): a misconfiguration must never
 * make work run unprotected or be skipped as if the server were down.
 */
export type UnreachableDecision = {
  status: 'unlocked' | 'skipped';
  policy: UnreachablePolicy;
  reason: string;
};

export function decideUnreachable(policy: UnreachablePolicy, error: unknown): UnreachableDecision {
  if (!isWfsError(error) || error.code !== 'E_UNREACHABLE' || policy === 'fail') throw error;
  return {
    status: policy === 'run-unlocked' ? 'unlocked' : 'skipped',
    policy,
    reason: `${error.message} (policy ${policy}: ${policy === 'run-unlocked' ? 'going on without the lock' : 'skipped'})`,
  };
}
