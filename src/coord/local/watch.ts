import fs from 'node:fs';
import path from 'node:path';
import type { CoordinationChange } from '../types.js';

/**
 * The embedded backend's folders whose entries another process changes without an announcement
 * (a lock taken, a heartbeat, a claim, a result put without its event), by the kind each holds.
 */
const WATCHED: Record<string, CoordinationChange> = {
  leases: 'leases',
  presence: 'presence',
  claims: 'claims',
  results: 'results',
};

/**
 * Calls `onChange` when a file in one of the watched folders of `dir` is written, renamed or
 * removed, by any process on this machine. Every write of a record is a rename into its folder,
 * which inotify reports at once: a reader learns of a lock taken in milliseconds instead of at
 * its next poll. It only hastens a reader: it may miss a change (a folder that cannot be watched,
 * one made later by another user) or report one twice, so readers still poll for correctness
 * (and expiries, which write nothing). A folder not made yet is watched once it appears in `dir`.
 * The watchers do not keep the process alive. Returns what stops them.
 */
export function watchCoordinationFolders(
  dir: string,
  onChange: (kind: CoordinationChange) => void,
): () => void {
  const watchers = new Map<string, fs.FSWatcher>();
  let stopped = false;

  const watch = (folder: string, listener: (name: string | null) => void): void => {
    if (stopped || watchers.has(folder)) return;
    try {
      const watcher = fs.watch(folder, { persistent: false }, (_event, name) => listener(name));
      // A folder removed or no longer readable: the poll goes on covering it.
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(folder);
      });
      watchers.set(folder, watcher);
    } catch {
      // Missing or not readable: the folder itself is watched for it (below); the poll covers it.
    }
  };

  /** Watches a kind's folder; true when it is watched now and was not before. */
  const watchKind = (name: string, kind: CoordinationChange): boolean => {
    const folder = path.join(dir, name);
    if (watchers.has(folder)) return false;
    watch(folder, () => onChange(kind));
    return watchers.has(folder);
  };

  watch(dir, (name) => {
    const kind = name === null ? undefined : WATCHED[name];
    // Made after the watch began: what was written into it before its watcher saw it is a change.
    if (name !== null && kind !== undefined && Object.hasOwn(WATCHED, name) && watchKind(name, kind))
      onChange(kind);
  });
  for (const [name, kind] of Object.entries(WATCHED)) watchKind(name, kind);

  return () => {
    stopped = true;
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
