import { isSessionFolderName } from '../core/ids.js';
import { readTextIfExists, writeFileAtomic } from './atomic.js';
import type { Layout } from './layout.js';

/**
 * `.workflow/active-session.json` names the session activated last, so the commands agents call
 * before every action find the active session with one small read instead of scanning 10,000
 * folders.
 *
 * It is written *before* a session's file becomes active and never on deactivation. So at every
 * instant, a session that is active on disk is the one it names; if the session it names is not
 * active (paused, completed, or a crash came between the two writes), none is. The session file
 * decides: the pointer never makes a session active, it only says where to look.
 */
export type ActivePointer = { present: false } | { present: true; id: string | null };

export function readActivePointer(layout: Layout): ActivePointer {
  const text = readTextIfExists(layout.activePointerPath);
  if (text === undefined) return { present: false };
  try {
    const id = (JSON.parse(text) as { session_id?: unknown }).session_id;
    if (id === null) return { present: true, id: null };
    if (typeof id === 'string' && isSessionFolderName(id)) return { present: true, id };
  } catch {
    // Damaged: as if absent, so the folders are scanned.
  }
  return { present: false };
}

export function writeActivePointer(layout: Layout, id: string | null, now: string): void {
  writeFileAtomic(layout.activePointerPath, `${JSON.stringify({ session_id: id, updated_at: now })}\n`);
}
