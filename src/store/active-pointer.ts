import { isSessionFolderName } from '../core/ids.js';
import { readTextIfExists, writeFileAtomic } from './atomic.js';
import type { Layout } from './layout.js';

/**
 * `.workflow/active-session.json` names the active session, so the commands agents call before
 * every action find it with one small read instead of scanning 10,000 folders.
 *
 * Write order makes it authoritative: it names a session *before* that session's file becomes
 * active, and is cleared only *after* the file stops being active. So at every instant, a session
 * that is active on disk is the one it names; `null` means none is. A crash between the two writes
 * leaves it naming a session that is not active, which readers treat as "none active" (true).
 * The session file still decides: a pointer to a paused session does not make it active.
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
