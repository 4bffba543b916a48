import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { isSessionFolderName } from '../core/ids.js';

/** Where everything lives under `<root>/.workflow/` (SPEC 1). */
export interface Layout {
  root: string;
  workflowDir: string;
  activeDir: string;
  archivesDir: string;
  registryPath: string;
  /** The ID of the active session: an index (like the registry) so hot commands find it in one read. */
  activePointerPath: string;
  manifestPath: string;
  techPath: string;
  guidelinesPath: string;
  configPath: string;
  locksDir: string;
  backupsDir: string;
}

export function layoutFor(root: string): Layout {
  const workflowDir = path.join(root, '.workflow');
  return {
    root,
    workflowDir,
    activeDir: path.join(workflowDir, 'active'),
    archivesDir: path.join(workflowDir, 'archives'),
    registryPath: path.join(workflowDir, 'session_status.jsonl'),
    activePointerPath: path.join(workflowDir, 'active-session.json'),
    manifestPath: path.join(workflowDir, 'archives', 'manifest.json'),
    techPath: path.join(workflowDir, 'project-tech.json'),
    guidelinesPath: path.join(workflowDir, 'project-guidelines.json'),
    configPath: path.join(workflowDir, 'config.json'),
    locksDir: path.join(workflowDir, '.locks'),
    backupsDir: path.join(workflowDir, '.backups'),
  };
}

export type SessionLocation = 'active' | 'archives';

export const SESSION_FILE = 'workflow-session.json';
export const PLANNING_NOTES_FILE = 'planning-notes.md';
export const ARCHIVING_MARKER = '.archiving';
export const SESSION_SUBDIRS = ['.process', '.task', '.summaries'] as const;
/** Under `.workflow/`: where a new session is made before it is renamed into `active/` whole. */
export const CREATING_DIR = '.creating';

/**
 * A session's folder. The store boundary: an ID that could leave `active/` or `archives/` (`..`,
 * a separator, an absolute path) is refused here with E_INVALID_ID, whoever passes it, before any
 * path is made from it.
 */
export function sessionDir(layout: Layout, id: string, location: SessionLocation): string {
  if (!isSessionFolderName(id))
    throw new WfsError(
      'E_INVALID_ID',
      `Invalid session ID ${JSON.stringify(id.slice(0, 80))}: expected WFS-<slug> (letters, digits and -)`,
    );
  return path.join(location === 'active' ? layout.activeDir : layout.archivesDir, id);
}

/** The `directory` field of a registry line: relative to the root, with forward slashes. */
export function registryDirectory(id: string, location: SessionLocation): string {
  return `.workflow/${location}/${id}`;
}
