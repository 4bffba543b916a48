import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { isSessionFolderName } from '../core/ids.js';
import type { SessionState } from '../core/session.js';
import { parseSessionText } from '../core/session-file.js';
import { copyFileAtomic, removeFileIfExists, writeFileAtomic } from './atomic.js';
import { type Layout, SESSION_FILE, type SessionLocation, sessionDir, sessionLayout } from './layout.js';
import { evidenceAt } from './migration-evidence.js';
import { type Fingerprint, fingerprintOf } from './registry.js';
import { ensureDirectory, proveDirectory } from './safe-path.js';

export type SessionRead =
  | {
      kind: 'ok';
      id: string;
      location: SessionLocation;
      dir: string;
      state: SessionState;
      fingerprint: Fingerprint;
      /** Read from an older schema and brought to 2.0 in memory (the file is still old). */
      migrated?: true;
      /** How an older or foreign file was read: a WARNING for whoever reads it. */
      notice?: string;
    }
  | {
      kind: 'corrupt';
      id: string;
      location: SessionLocation;
      dir: string;
      reason: string;
      futureVersion?: string;
    }
  /** No such session. `unfinished`: a folder is there, the remains of a creation that never finished. */
  | { kind: 'missing'; id: string; unfinished?: string };

/**
 * A folder in `active/` without a state file, backups or checkpoints: the remains of a creation
 * that never finished (made by a wfs from before creations were staged, or by hand). SPEC 4: it is
 * no session; `wfs doctor --fix` moves it aside.
 */
function isUnfinishedCreation(dir: string): boolean {
  const has = (sub: string) => {
    try {
      return fs.readdirSync(path.join(sessionLayout(dir).process, sub)).length > 0;
    } catch {
      return false;
    }
  };
  return !has('backups') && !has('checkpoints');
}

/** Reads and validates one session folder's state file; never throws for damage, only reports it. */
export function readSessionAt(layout: Layout, id: string, location: SessionLocation): SessionRead {
  const dir = sessionDir(layout, id, location);
  const file = sessionLayout(dir).state;
  const corrupt = (reason: string): SessionRead => ({ kind: 'corrupt', id, location, dir, reason });
  let text: string;
  let stat: fs.Stats;
  try {
    // O_NOFOLLOW: a link planted where the state belongs is damage, never read through (and the
    // restore that follows renames the link aside instead of writing through it).
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      // fstat on the open descriptor: the fingerprint describes exactly the bytes we read.
      stat = fs.fstatSync(fd);
      if (stat.isDirectory()) return corrupt(`${SESSION_FILE} is a folder`);
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const folder = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (folder === undefined) return { kind: 'missing', id };
      if (folder.isSymbolicLink()) return corrupt('the session folder is a symbolic link');
      if (!folder.isDirectory()) return corrupt('the session folder is not a folder');
      if (location === 'active' && isUnfinishedCreation(dir)) return { kind: 'missing', id, unfinished: dir };
      return corrupt(`${SESSION_FILE} is missing`);
    }
    if (code === 'ELOOP') return corrupt(`${SESSION_FILE} is a symbolic link`);
    return corrupt(`cannot read ${SESSION_FILE}: ${(error as Error).message}`);
  }
  if (fs.lstatSync(dir).isSymbolicLink()) return corrupt('the session folder is a symbolic link');
  const parsed = parseSessionText(text, id, () => evidenceAt(layout, id, location, dir));
  if (!parsed.ok) {
    const result: SessionRead = { kind: 'corrupt', id, location, dir, reason: parsed.reason };
    if (parsed.futureVersion !== undefined) result.futureVersion = parsed.futureVersion;
    return result;
  }
  if (parsed.state.session_id !== id) {
    return {
      kind: 'corrupt',
      id,
      location,
      dir,
      reason: `session_id ${parsed.state.session_id} does not match its folder`,
    };
  }
  const read: SessionRead = {
    kind: 'ok',
    id,
    location,
    dir,
    state: parsed.state,
    fingerprint: fingerprintOf(stat),
  };
  if (parsed.migrated) read.migrated = true;
  if (parsed.notice !== undefined) read.notice = parsed.notice;
  return read;
}

/** Finds a session in `active/`, then in `archives/`. */
export function readSession(layout: Layout, id: string): SessionRead {
  const open = readSessionAt(layout, id, 'active');
  if (open.kind !== 'missing') return open;
  const archived = readSessionAt(layout, id, 'archives');
  return archived.kind === 'missing' ? open : archived;
}

export type LoadedSession = Extract<SessionRead, { kind: 'ok' }>;

/** Like readSession, but a missing or damaged session is an error the user sees. */
export function loadSession(layout: Layout, id: string): LoadedSession {
  const read = readSession(layout, id);
  if (read.kind === 'ok') return read;
  if (read.kind === 'missing')
    throw new WfsError(
      'E_SESSION_NOT_FOUND',
      read.unfinished === undefined
        ? `Session ${id} not found`
        : `Session ${id} not found: its folder holds only the remains of a creation that never finished (wfs doctor --fix moves them aside)`,
    );
  if (read.futureVersion !== undefined) {
    throw new WfsError(
      'E_FUTURE_VERSION',
      `Session ${id} was written by a newer wfs (session_version ${read.futureVersion}); upgrade wfs to use it. Nothing was changed.`,
    );
  }
  throw new WfsError('E_CORRUPT', `Session ${id} is corrupt: ${read.reason} (${read.dir})`, {
    details: { session_id: id },
  });
}

/** Backups of workflow-session.json kept per session (SPEC 4 asks for at least 10). */
export const BACKUPS_KEPT = 20;
// Pruning needs a directory listing: done once every PRUNE_EVERY saves past BACKUPS_KEPT.
const PRUNE_EVERY = 5;
const BACKUP_NAME = /^workflow-session\.r(\d+)(?:-\d+)?\.json$/;

export function backupsDir(dir: string): string {
  return sessionLayout(dir).backups;
}

/**
 * Keeps the version on disk before it is replaced. A hard link, not a copy: every new version
 * arrives by rename onto a new inode, so the old inode is never written again and linking it costs
 * one system call whatever the size of the state. Where links are refused, it is copied.
 */
function keepBackup(dir: string, file: string, revision: number): void {
  const backups = backupsDir(dir);
  ensureDirectory(backups);
  for (let attempt = 1; ; attempt++) {
    const target = path.join(
      backups,
      `workflow-session.r${revision}${attempt === 1 ? '' : `-${attempt}`}.json`,
    );
    try {
      fs.linkSync(file, target);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return; // nothing on disk yet: the first save of a session
      if (code === 'EEXIST') continue; // this revision was kept before (a restore reuses numbers)
      if (code !== 'EPERM' && code !== 'EXDEV' && code !== 'ENOTSUP') throw error;
      if (fs.existsSync(target)) continue;
      copyFileAtomic(file, target, { durable: false });
    }
    // No fsync of the backups folder: after a power loss the new state is on disk regardless (it
    // is fsynced), so a lost backup entry loses no acknowledged write; it saves ~0.2 ms a save.
    return;
  }
}

export interface BackupFile {
  file: string;
  revision: number;
}

/** The session's backups, newest first. */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(backupsDir(dir));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const backups: BackupFile[] = [];
  for (const name of names) {
    const match = BACKUP_NAME.exec(name);
    if (match) backups.push({ file: `${backupsDir(dir)}/${name}`, revision: Number(match[1]) });
  }
  return backups.sort((a, b) => b.revision - a.revision || (a.file < b.file ? 1 : -1));
}

function pruneBackups(dir: string): void {
  for (const old of listBackups(dir).slice(BACKUPS_KEPT)) removeFileIfExists(old.file);
}

/**
 * Saves a session: the version on disk is kept as a backup, then the new one (revision + 1,
 * updated_at = now) replaces it atomically and durably. Returns what was written.
 */
export function saveSession(
  dir: string,
  state: SessionState,
  now: string,
): { state: SessionState; fingerprint: Fingerprint } {
  const next: SessionState = { ...state, revision: state.revision + 1, updated_at: now };
  const file = sessionLayout(dir).state;
  keepBackup(dir, file, state.revision);
  writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
  if (next.revision > BACKUPS_KEPT && next.revision % PRUNE_EVERY === 0) pruneBackups(dir);
  return { state: next, fingerprint: fingerprintOf(fs.statSync(file)) };
}

/** The newest backup that is a valid session of this ID, or undefined. */
export function newestGoodBackup(
  dir: string,
  id: string,
): { backup: BackupFile; text: string; state: SessionState } | undefined {
  for (const backup of listBackups(dir)) {
    let text: string;
    try {
      text = fs.readFileSync(backup.file, 'utf8');
    } catch {
      continue;
    }
    const parsed = parseSessionText(text, id);
    if (parsed.ok && parsed.state.session_id === id) return { backup, text, state: parsed.state };
  }
  return undefined;
}

export interface Restored {
  id: string;
  revision: number;
  /** Where the damaged file was kept (never deleted). */
  keptAside: string | undefined;
  reason: string;
}

/**
 * Replaces a damaged workflow-session.json with its newest good backup; the damaged file is renamed
 * aside, never deleted. Call under the project lock. Undefined when no backup can restore it.
 */
export function restoreFromBackup(
  dir: string,
  id: string,
  reason: string,
  now: string,
): Restored | undefined {
  // Never through a linked session folder (SPEC 1): the restore renames and writes inside it.
  proveDirectory(dir);
  const good = newestGoodBackup(dir, id);
  if (good === undefined) return undefined;
  const file = sessionLayout(dir).state;
  let keptAside: string | undefined = `${file}.corrupt-${now.replace(/[:.]/g, '-')}`;
  try {
    fs.renameSync(file, keptAside);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    keptAside = undefined; // the file was missing: nothing to keep
  }
  writeFileAtomic(file, good.text);
  return { id, revision: good.backup.revision, keptAside, reason };
}

/**
 * Session folder names in `active/` or `archives/`; a missing folder is simply empty. Names only
 * (no file types): 10,000 Dirent objects cost ~15 ms, and a stray file named WFS-x is reported
 * when its workflow-session.json cannot be read.
 */
export function listSessionFolders(layout: Layout, location: SessionLocation): string[] {
  const dir = location === 'active' ? layout.activeDir : layout.archivesDir;
  try {
    // Only names that are session IDs: anything else in the folder (a stray file, a name that could
    // not be an ID) is no session, and is never turned into a path (see sessionDir).
    return fs.readdirSync(dir).filter((name) => name.startsWith('WFS-') && isSessionFolderName(name));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}
