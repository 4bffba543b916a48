import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';
import { type Layout, SESSION_SUBDIRS } from './layout.js';
import { ensureDirectory } from './safe-path.js';

/**
 * `.workflow/.gitignore`: what in `.workflow/` belongs to this checkout only.
 *
 * The decision (docs/reference.md, "Sharing .workflow/ through git"): the sessions (state,
 * planning notes, tasks, summaries, checkpoints), the archives and the project files are worth
 * committing, so a team or a second machine can pick up the work; everything that names this
 * folder, this machine or its processes is not. Each ignored entry is either rebuilt from what is
 * committed (the registry, the active-session pointer, the workspace ID) or means nothing on
 * another machine (locks, leases, PIDs, backups, logs, a command's output).
 *
 * Written once, when missing: a team that wants to commit less (or more) edits it and wfs never
 * touches it again.
 */
export const WORKFLOW_GITIGNORE = `# Written by wfs: what in .workflow/ belongs to this checkout only (edit freely; wfs never rewrites it).
# The sessions, archives and project files are meant to be committed when a team shares its work.

# This folder's identity and choice of active session, and the registry (rebuilt from the folders).
/workspace.json
/active-session.json
/session_status.jsonl

# Locks, coordination, interrupted creations, recovery copies, agent installs and bindings, logs.
/.locks/
/.coord/
/.creating/
/.backups/
/.install/
/.conversations/
/logs/

# Inside each session: recovery copies, command output, workflow runs (PIDs) and the exec audit.
/*/*/.process/backups/
/*/*/.process/outputs/
/*/*/.process/runs/
/*/*/.process/audit*.jsonl

# Temp files of interrupted writes and damaged files kept aside by a restore.
*.wfs-tmp
*.corrupt-*
`;

export const GITIGNORE_FILE = '.gitignore';

/**
 * An empty file that keeps a folder in git (git tracks files, not folders): a session's `.task/`
 * and `.summaries/` start empty, and a clone without them would resume with "lost" warnings.
 */
export const KEEP_FILE = '.gitkeep';

/** Writes `.workflow/.gitignore` unless one is there; says whether it wrote it. */
export function writeWorkflowGitignoreIfMissing(layout: Layout): string | undefined {
  const file = path.join(layout.workflowDir, GITIGNORE_FILE);
  try {
    fs.lstatSync(file);
    return undefined;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  writeFileAtomic(file, WORKFLOW_GITIGNORE);
  return file;
}

/** Makes `dir` with a keep file in it (the folder stays in git even while it holds nothing else). */
export function ensureKeptFolder(dir: string): void {
  ensureDirectory(dir);
  const keep = path.join(dir, KEEP_FILE);
  try {
    // 'wx': an existing keep file (or anything under that name) is left as it is.
    fs.closeSync(fs.openSync(keep, 'wx'));
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
}

/**
 * Makes a session's `.process/`, `.task/` and `.summaries/`, each with its keep file (a session
 * made before keep files gets them here); returns the ones that were missing.
 */
export function ensureSessionFolders(sessionDir: string): string[] {
  const missing: string[] = [];
  for (const sub of SESSION_SUBDIRS) {
    const dir = path.join(sessionDir, sub);
    if (!fs.existsSync(dir)) missing.push(sub);
    ensureKeptFolder(dir);
  }
  return missing;
}
