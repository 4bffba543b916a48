import type { ProjectContext } from '../store/project.js';
import { type Announcement, announceAll } from './announcements.js';
import { inTransaction, type SessionTransaction } from './transaction.js';

/**
 * One way to change sessions (start, lifecycle, phases, checkpoints, todos): the change runs in a
 * transaction under the project lock and returns its result and what it must announce, as data;
 * the announcements are published once it has committed (so the lock order is the project lock,
 * then the coordination lock, never both at once), and a failure to announce becomes a warning in
 * the result: the change stands.
 */
export interface Change<R> {
  result: R;
  announce?: readonly Announcement[];
}

export async function applyChange<R extends { warnings: string[] }>(
  ctx: ProjectContext,
  change: (tx: SessionTransaction) => Change<R> | Promise<Change<R>>,
): Promise<R> {
  const { result, announce } = await inTransaction(ctx, change);
  if (announce !== undefined && announce.length > 0) await announceAll(ctx, result.warnings, announce);
  return result;
}
