import fs from 'node:fs';
import path from 'node:path';
import { TEMP_SUFFIX } from './atomic.js';
import type { ProjectContext } from './project.js';
import { listSessionFolders } from './session-files.js';

/** What changed under `.workflow/`, as far as the watcher could tell (several changes come as one). */
export interface ProjectChange {
  /** Open sessions whose folder changed (a save of their state, a checkpoint, a marker). */
  sessions: Set<string>;
  /** Sessions appeared in or left `active/` or `archives/` (a start, an archiving, a migration). */
  membership: boolean;
  /** A project file changed: project-tech.json, project-guidelines.json, config.json, or `.workflow/` itself. */
  project: boolean;
}

export interface ProjectWatch {
  /** Folders that could not be watched (the system's limit of watches, permissions), with why. */
  readonly unwatched: ReadonlyMap<string, string>;
  close(): void;
}

// Changes come in bursts (a save writes a temp file, renames it, and prunes backups): one call per
// burst. Short enough that a person sees a change well within a second.
const SETTLE_MS = 20;

/** The files of `.workflow/` itself whose change is a change of the project (not of a session). */
const PROJECT_FILES = new Set(['project-tech.json', 'project-guidelines.json', 'config.json']);

/**
 * Watches a project's files for a viewer that must show every change made by any process (the
 * dashboard): `.workflow/`, `active/`, `archives/` and each open session's folder, each watched on
 * its own (a session's state is replaced by a rename, which its folder sees). Not one recursive
 * watch: on Linux, Node 20 builds that from a watch per folder of the whole tree, backups and
 * checkpoints included. Archived sessions are not watched: they are read-only. Before `.workflow/`
 * exists, the root is watched for it to appear. A folder that cannot be watched is said in
 * `unwatched` (and `onProblem`), never skipped silently.
 */
export function watchProject(
  ctx: ProjectContext,
  onChange: (change: ProjectChange) => void,
  onProblem: (folder: string, reason: string) => void = () => {},
): ProjectWatch {
  const { layout } = ctx;
  const watchers = new Map<string, fs.FSWatcher>();
  const unwatched = new Map<string, string>();
  let pending: ProjectChange | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const note = (fill: (change: ProjectChange) => void) => {
    pending ??= { sessions: new Set(), membership: false, project: false };
    fill(pending);
    timer ??= setTimeout(() => {
      timer = undefined;
      const change = pending!;
      pending = undefined;
      if (change.membership || change.project) sync();
      if (!closed) onChange(change);
    }, SETTLE_MS);
  };

  const watch = (dir: string, listener: (name: string | null) => void) => {
    if (watchers.has(dir)) return;
    try {
      const watcher = fs.watch(dir, { persistent: false }, (_event, name) => listener(name));
      // A watched folder that goes away (a session archived) ends its watcher; sync() forgets it.
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(dir);
      });
      watchers.set(dir, watcher);
      unwatched.delete(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // gone meanwhile: nothing to watch
      const reason =
        code === 'ENOSPC'
          ? 'the system limit of watched folders is reached (raise fs.inotify.max_user_watches)'
          : (error as Error).message;
      if (!unwatched.has(dir)) onProblem(dir, reason);
      unwatched.set(dir, reason);
    }
  };

  const unwatch = (dir: string) => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
    unwatched.delete(dir);
  };

  /** Watches what exists now: the folders, and the folder of every open session. */
  const sync = () => {
    if (closed) return;
    if (!fs.existsSync(layout.workflowDir)) {
      watch(layout.root, (name) => {
        if (name === null || name === '.workflow') note((c) => (c.project = c.membership = true));
      });
      return;
    }
    unwatch(layout.root);
    watch(layout.workflowDir, (name) => {
      if (name === null || name === 'active' || name === 'archives') note((c) => (c.membership = true));
      else if (PROJECT_FILES.has(name.endsWith(TEMP_SUFFIX) ? '' : name)) note((c) => (c.project = true));
    });
    for (const dir of [layout.activeDir, layout.archivesDir])
      watch(dir, () => note((c) => (c.membership = true)));
    const open = new Set(listSessionFolders(layout, 'active').map((id) => path.join(layout.activeDir, id)));
    for (const dir of [...watchers.keys(), ...unwatched.keys()])
      if (path.dirname(dir) === layout.activeDir && !open.has(dir)) unwatch(dir);
    for (const dir of open) {
      const id = path.basename(dir);
      watch(dir, () => note((c) => c.sessions.add(id)));
    }
  };

  sync();
  return {
    unwatched,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
