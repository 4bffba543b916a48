import { isWfsError, WfsError } from '../core/errors.js';
import { compareText } from '../core/ids.js';
import { readActivePointer } from '../store/active-pointer.js';
import { type LoadedSession, loadSession, readSessionAt } from '../store/session-files.js';
import type { ProjectContext } from './context.js';
import { listSessions } from './list.js';

/**
 * The active session, read without the lock (atomic renames mean a reader never sees half a file).
 * The active-session pointer names it; the session file decides.
 */
export function findActiveSession(ctx: ProjectContext): LoadedSession | undefined {
  return activeSessions(ctx)[0];
}

/**
 * Sessions whose file says `active`, most recently updated first (more than one only after an
 * outside edit). With a pointer, only the session it names can be active (see active-pointer.ts);
 * without one (a project from before it existed, or a deleted file) the folders are scanned.
 */
export function activeSessions(ctx: ProjectContext): LoadedSession[] {
  const pointer = readActivePointer(ctx.layout);
  if (pointer.present) {
    if (pointer.id === null) return [];
    const read = readSessionAt(ctx.layout, pointer.id, 'active');
    return read.kind === 'ok' && read.state.status === 'active' ? [read] : [];
  }
  const found: LoadedSession[] = [];
  for (const summary of listSessions(ctx, { status: 'active' })) {
    const read = readSessionAt(ctx.layout, summary.id, 'active');
    if (read.kind === 'ok' && read.state.status === 'active') found.push(read);
  }
  return found.sort((a, b) => compareText(b.state.updated_at, a.state.updated_at));
}

/** `session show [ID]`: one session's state, the active one by default. */
export function showSession(ctx: ProjectContext, id?: string): LoadedSession {
  if (id !== undefined) return loadSession(ctx.layout, id);
  const active = findActiveSession(ctx);
  if (active === undefined) {
    throw new WfsError(
      'E_NO_ACTIVE_SESSION',
      'No active session (name one: wfs session show ID, or list them: wfs session list)',
    );
  }
  return active;
}

/**
 * `showSession`, repairing on the way: a damaged session (the one named, or the one the active
 * pointer names) is restored from its newest good backup under the project lock, with a warning.
 */
export async function readSessionRepairing(
  ctx: ProjectContext,
  id?: string,
): Promise<{ session: LoadedSession; warnings: string[] }> {
  try {
    const session = showSession(ctx, id);
    return { session, warnings: session.notice === undefined ? [] : [session.notice] };
  } catch (error) {
    let damaged: string | undefined;
    if (isWfsError(error) && error.code === 'E_CORRUPT') damaged = String(error.details?.session_id ?? id);
    if (isWfsError(error) && error.code === 'E_NO_ACTIVE_SESSION') {
      const pointer = readActivePointer(ctx.layout);
      if (
        pointer.present &&
        pointer.id !== null &&
        readSessionAt(ctx.layout, pointer.id, 'active').kind === 'corrupt'
      )
        damaged = pointer.id;
    }
    if (damaged === undefined) throw error;
    const { inTransaction } = await import('./transaction.js');
    return inTransaction(ctx, (tx) => ({ session: tx.load(damaged), warnings: tx.warnings }));
  }
}
