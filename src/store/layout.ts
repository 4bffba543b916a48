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
/**
 * A session folder's inner layout, in one place: every module that reads or writes inside a session
 * asks here where its files are.
 */
export interface SessionFolder {
  dir: string;
  state: string;
  planningNotes: string;
  archivingMarker: string;
  process: string;
  /** Previous versions of the state (hard links). */
  backups: string;
  checkpoints: string;
  /** `wfs exec`'s audit trail. */
  audit: string;
  /** Phase history moved out of the state file (see core/phase.ts), one JSON line per entry. */
  phaseHistory: string;
  /** Where commands run for the session put their output (WFS_OUTPUT_DIR). */
  outputs: string;
  /** Workflow run records, one folder per workflow. */
  runs: string;
  tasks: string;
  summaries: string;
}

export function sessionLayout(dir: string): SessionFolder {
  const inDir = childPaths(dir);
  const inProcess = childPaths(inDir('.process'));
  return {
    dir,
    state: inDir(SESSION_FILE),
    planningNotes: inDir(PLANNING_NOTES_FILE),
    archivingMarker: inDir(ARCHIVING_MARKER),
    process: inDir('.process'),
    backups: inProcess('backups'),
    checkpoints: inProcess('checkpoints'),
    audit: inProcess('audit.jsonl'),
    phaseHistory: inProcess('phase-history.jsonl'),
    outputs: inProcess('outputs'),
    runs: inProcess('runs'),
    tasks: inDir('.task'),
    summaries: inDir('.summaries'),
  };
}

/**
 * `path.join(dir, name)` for plain names (no separator, not `.` or `..`), with `dir` normalised
 * once rather than at every join: a session's layout is a dozen paths, made several times by
 * every command, and path.join normalises the whole path character by character each time
 * (~1-2 ms of `wfs checkpoint` and `wfs exec`, measured with --cpu-prof).
 */
function childPaths(dir: string): (name: string) => string {
  const base = path.normalize(dir);
  // '.' is dropped by a join ('./x' is 'x'); any other base keeps its form.
  if (base === '.') return (name) => name;
  const prefix = base.endsWith(path.sep) ? base : base + path.sep;
  return (name) => prefix + name;
}

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
