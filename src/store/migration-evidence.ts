import fs from 'node:fs';
import path from 'node:path';
import type { MigrationEvidence } from '../core/migrate.js';
import { TODOS_MAX } from '../core/todos.js';
import { readActivePointer } from './active-pointer.js';
import type { Layout, SessionLocation } from './layout.js';

/**
 * What is known about a session besides its state file, for reading an older (CCW) file as 2.0 (see
 * core/migrate.ts). Gathered only for such files, never on the path of a current one.
 */

// CCW's task files are a few KB; anything far larger is not one, and is not read into memory.
const TASK_FILE_MAX_BYTES = 1024 * 1024;
// More task files than a session can hold todos are not read: the rest are counted as not imported.
const TASK_FILES_READ = 4 * TODOS_MAX;

/** The folder's time: its birth where the file system records one, else its last change. */
export function folderTime(dir: string): string | undefined {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return undefined;
  return (stat.birthtimeMs > 0 ? stat.birthtime : stat.mtime).toISOString();
}

/** The session's `.task/*.json` files that parse (links and oversized files are not read). */
export function readTasks(dir: string): { name: string; value: unknown }[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(dir, '.task')).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const tasks: { name: string; value: unknown }[] = [];
  for (const name of names.sort().slice(0, TASK_FILES_READ)) {
    const file = path.join(dir, '.task', name);
    try {
      const stat = fs.lstatSync(file);
      if (!stat.isFile() || stat.size > TASK_FILE_MAX_BYTES) continue;
      tasks.push({ name, value: JSON.parse(fs.readFileSync(file, 'utf8')) });
    } catch {
      // Not JSON (or gone): not a task wfs can read; the file stays as it is.
    }
  }
  return tasks;
}

export function evidenceAt(
  layout: Layout,
  id: string,
  location: SessionLocation,
  dir: string,
): MigrationEvidence {
  const pointer = readActivePointer(layout);
  const evidence: MigrationEvidence = {
    location,
    active: location === 'active' && pointer.present && pointer.id === id,
    tasks: readTasks(dir),
  };
  const time = folderTime(dir);
  if (time !== undefined) evidence.folderTime = time;
  return evidence;
}
