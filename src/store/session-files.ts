import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { parseSessionText, type SessionState } from '../core/session.js';
import { writeFileAtomic } from './atomic.js';
import { type Layout, SESSION_FILE, type SessionLocation, sessionDir } from './layout.js';
import { type Fingerprint, fingerprintOf } from './registry.js';

export type SessionRead =
  | {
      kind: 'ok';
      id: string;
      location: SessionLocation;
      dir: string;
      state: SessionState;
      fingerprint: Fingerprint;
    }
  | {
      kind: 'corrupt';
      id: string;
      location: SessionLocation;
      dir: string;
      reason: string;
      futureVersion?: string;
    }
  | { kind: 'missing'; id: string };

/** Reads and validates one session folder's state file; never throws for damage, only reports it. */
export function readSessionAt(layout: Layout, id: string, location: SessionLocation): SessionRead {
  const dir = sessionDir(layout, id, location);
  const file = path.join(dir, SESSION_FILE);
  let text: string;
  let stat: fs.Stats;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      // fstat on the open descriptor: the fingerprint describes exactly the bytes we read.
      stat = fs.fstatSync(fd);
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (fs.existsSync(dir))
        return { kind: 'corrupt', id, location, dir, reason: `${SESSION_FILE} is missing` };
      return { kind: 'missing', id };
    }
    return {
      kind: 'corrupt',
      id,
      location,
      dir,
      reason: `cannot read ${SESSION_FILE}: ${(error as Error).message}`,
    };
  }
  const parsed = parseSessionText(text);
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
  return { kind: 'ok', id, location, dir, state: parsed.state, fingerprint: fingerprintOf(stat) };
}

/** Finds a session in `active/`, then in `archives/`. */
export function readSession(layout: Layout, id: string): SessionRead {
  const open = readSessionAt(layout, id, 'active');
  if (open.kind !== 'missing') return open;
  return readSessionAt(layout, id, 'archives');
}

export type LoadedSession = Extract<SessionRead, { kind: 'ok' }>;

/** Like readSession, but a missing or damaged session is an error the user sees. */
export function loadSession(layout: Layout, id: string): LoadedSession {
  const read = readSession(layout, id);
  if (read.kind === 'ok') return read;
  if (read.kind === 'missing') throw new WfsError('E_SESSION_NOT_FOUND', `Session ${id} not found`);
  if (read.futureVersion !== undefined) {
    throw new WfsError(
      'E_FUTURE_VERSION',
      `Session ${id} was written by a newer wfs (session_version ${read.futureVersion}); upgrade wfs to use it. Nothing was changed.`,
    );
  }
  throw new WfsError('E_CORRUPT', `Session ${id} is corrupt: ${read.reason} (${read.dir})`);
}

/** Saves a session: revision + 1, updated_at = now, atomic and durable. Returns what was written. */
export function saveSession(
  dir: string,
  state: SessionState,
  now: string,
): { state: SessionState; fingerprint: Fingerprint } {
  const next: SessionState = { ...state, revision: state.revision + 1, updated_at: now };
  const file = path.join(dir, SESSION_FILE);
  writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
  return { state: next, fingerprint: fingerprintOf(fs.statSync(file)) };
}

/**
 * Session folder names in `active/` or `archives/`; a missing folder is simply empty. Names only
 * (no file types): 10,000 Dirent objects cost ~15 ms, and a stray file named WFS-x is reported
 * when its workflow-session.json cannot be read.
 */
export function listSessionFolders(layout: Layout, location: SessionLocation): string[] {
  const dir = location === 'active' ? layout.activeDir : layout.archivesDir;
  try {
    return fs.readdirSync(dir).filter((name) => name.startsWith('WFS-'));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}
