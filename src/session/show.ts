import { WfsError } from '../core/errors.js';
import { compareText, isSessionFolderName } from '../core/ids.js';
import { readTextIfExists } from '../store/atomic.js';
import { readRegistry } from '../store/registry.js';
import { type LoadedSession, loadSession, readSessionAt } from '../store/session-files.js';
import type { ProjectContext } from './context.js';
import { listSessions } from './list.js';

/**
 * The active session, read without the lock (atomic renames mean a reader never sees half a file).
 * The registry points at candidates; the session file decides. Without a registry the folders are
 * scanned.
 */
export function findActiveSession(ctx: ProjectContext): LoadedSession | undefined {
  // Fast path: the pointer names it, and the session file confirms it.
  const pointed = readActivePointer(ctx);
  if (pointed !== undefined) {
    const read = readSessionAt(ctx.layout, pointed, 'active');
    if (read.kind === 'ok' && read.state.status === 'active') return read;
  }
  const registry = readRegistry(ctx.layout.registryPath);
  const candidates: LoadedSession[] = [];
  if (registry.exists && registry.damagedLines === 0) {
    for (const id of registry.idsWithStatus('active')) {
      const read = readSessionAt(ctx.layout, id, 'active');
      if (read.kind === 'ok' && read.state.status === 'active') candidates.push(read);
    }
  }
  if (candidates.length === 0) {
    for (const summary of listSessions(ctx, { status: 'active' })) {
      const read = readSessionAt(ctx.layout, summary.id, 'active');
      if (read.kind === 'ok' && read.state.status === 'active') candidates.push(read);
    }
  }
  return candidates.sort((a, b) => compareText(b.state.updated_at, a.state.updated_at))[0];
}

function readActivePointer(ctx: ProjectContext): string | undefined {
  const text = readTextIfExists(ctx.layout.activePointerPath);
  if (text === undefined) return undefined;
  try {
    const id = (JSON.parse(text) as { session_id?: unknown }).session_id;
    return typeof id === 'string' && isSessionFolderName(id) ? id : undefined;
  } catch {
    return undefined;
  }
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
