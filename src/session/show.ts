import { compareText } from '../core/ids.js';
import { readActivePointer } from '../store/active-pointer.js';
import type { ProjectContext } from '../store/project.js';
import { type LoadedSession, readSessionAt } from '../store/session-files.js';
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
