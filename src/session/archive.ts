import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { validateLabel } from '../core/input.js';
import * as rules from '../core/lifecycle.js';
import { keywords } from '../core/relevance.js';
import type { SessionState } from '../core/session.js';
import { readTextIfExists, replaceTailAtomic, withPath, writeJsonAtomic } from '../store/atomic.js';
import type { CheckReporter } from '../store/checks.js';
import { firstMatches } from '../store/file-search.js';
import {
  ARCHIVING_MARKER,
  type Layout,
  type SessionLocation,
  sessionDir,
  sessionLayout,
} from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { entryFromState, fingerprintOf } from '../store/registry.js';
import { ensureDirectory } from '../store/safe-path.js';
import { type LoadedSession, listSessionFolders, readSessionAt } from '../store/session-files.js';
import { applyChange, type Change } from './change.js';
import { targetIn } from './target.js';
import type { SessionTransaction } from './transaction.js';

export interface ManifestEntry {
  session_id: string;
  description: string;
  archived_at: string;
  archive_path: string;
  metrics: { duration_hours: number; tasks_completed: number; summaries_generated: number };
  tags: string[];
  lessons: string[];
}

export interface CompleteOptions {
  archive?: boolean;
  tags?: string[];
  lessons?: string[];
}

export interface CompleteResult {
  session_id: string;
  status: SessionState['status'];
  archived: boolean;
  archive_path?: string;
  /** True when an interrupted archiving was found and finished. */
  resumed_archiving: boolean;
  manifest_entry?: ManifestEntry;
  warnings: string[];
}

interface ArchivingMarker {
  session_id: string;
  started_at: string;
  entry: ManifestEntry;
}

function countFiles(dir: string, accept: (name: string, text: () => string | undefined) => boolean): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  return names.filter((name) => accept(name, () => readTextIfExists(path.join(dir, name)))).length;
}

function completedTasks(dir: string, state: SessionState): number {
  const fromFiles = countFiles(path.join(dir, '.task'), (name, text) => {
    if (!name.endsWith('.json')) return false;
    try {
      return (JSON.parse(text() ?? '{}') as { status?: unknown }).status === 'completed';
    } catch {
      return false;
    }
  });
  return Math.max(fromFiles, state.checkpoints.implement.todos.completed);
}

export function manifestEntry(
  layout: Layout,
  session: LoadedSession,
  now: string,
  options: CompleteOptions,
): ManifestEntry {
  const { state, dir } = session;
  const hours = (Date.parse(now) - Date.parse(state.created_at)) / 3_600_000;
  const tags = new Set([state.type, ...(options.tags ?? [])]);
  return {
    session_id: state.session_id,
    description: state.description,
    archived_at: now,
    archive_path: path
      .relative(layout.root, sessionDir(layout, state.session_id, 'archives'))
      .split(path.sep)
      .join('/'),
    metrics: {
      duration_hours: Number.isFinite(hours) ? Math.max(0, Math.round(hours * 100) / 100) : 0,
      tasks_completed: completedTasks(dir, state),
      summaries_generated: countFiles(path.join(dir, '.summaries'), (name) => name.endsWith('.md')),
    },
    tags: [...tags, ...[...keywords(state.description)].slice(0, 5)].filter(
      (t, i, all) => all.indexOf(t) === i,
    ),
    lessons: options.lessons ?? [],
  };
}

export function readManifest(layout: Layout): ManifestEntry[] {
  const text = readTextIfExists(layout.manifestPath);
  if (text === undefined) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value as ManifestEntry[];
  } catch {
    // fall through
  }
  throw new WfsError(
    'E_CORRUPT',
    `${layout.manifestPath} is not a JSON array; run wfs doctor. Nothing was archived.`,
  );
}

const WHITESPACE = new Set([0x20, 0x0a, 0x0d, 0x09]);

function lastNonSpace(bytes: Buffer, before: number): number {
  let at = before - 1;
  while (at >= 0 && WHITESPACE.has(bytes[at]!)) at--;
  return at;
}

/**
 * Adds the session's entry to the manifest once (it is keyed by session ID). The manifest as wfs
 * writes it (a JSON array, two-space indented) gets the entry spliced in before its closing bracket
 * without parsing or re-encoding the entries before it: 4 MB at 10,000 archived sessions, whose
 * parse and re-encoding cost ~50 ms per archiving. Nor are they read into memory: the ID is looked
 * for chunk by chunk, the brackets in the file's first and last bytes, and the new file is a copy
 * the kernel makes with the entry written at its end (replaceTailAtomic: temp file, fsync, rename,
 * as before). The result is byte for byte what writing the whole array would give. A manifest of
 * any other form, or one that may hold the entry already, is read whole.
 */
function addManifestEntry(layout: Layout, entry: ManifestEntry): void {
  const file = layout.manifestPath;
  const id = entry.session_id;
  const splice = manifestSplice(file, [
    Buffer.from(`"session_id": ${JSON.stringify(id)}`),
    Buffer.from(`"session_id":${JSON.stringify(id)}`),
  ]);
  if (splice === undefined) {
    const manifest = readManifest(layout);
    if (!manifest.some((e) => e.session_id === id)) writeJsonAtomic(file, [...manifest, entry]);
    return;
  }
  // The entry as JSON.stringify([...], null, 2) indents an element.
  const element = JSON.stringify([entry], null, 2).slice(2, -2);
  const tail = splice.empty ? `[\n${element}\n]\n` : `,\n${element}\n]\n`;
  replaceTailAtomic(file, splice.keep, Buffer.from(tail));
}

/** The manifest's bytes read at its start and its end, to find its brackets. */
const EDGE_BYTES = 4096;

/**
 * Where the manifest's entry for a new session goes: after its last element (`keep` bytes are
 * kept), or, for an empty array, in place of it. Undefined when the file is missing, is not a JSON
 * array of wfs's form at its edges, or may hold the entry already (it mentions one of `needles`).
 */
function manifestSplice(file: string, needles: Buffer[]): { keep: number; empty: boolean } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw withPath(error, file);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, EDGE_BYTES));
    fs.readSync(fd, head, 0, head.length, 0);
    const tailStart = Math.max(0, size - EDGE_BYTES);
    const tail = Buffer.alloc(size - tailStart);
    fs.readSync(fd, tail, 0, tail.length, tailStart);
    const first = head.findIndex((byte) => !WHITESPACE.has(byte));
    const close = lastNonSpace(tail, tail.length);
    if (first < 0 || close < 0 || head[first] !== 0x5b || tail[close] !== 0x5d) return undefined;
    const last = lastNonSpace(tail, close);
    // The element before the bracket (or the opening bracket) must be within the last bytes read.
    if (last < 0 && tailStart > 0) return undefined;
    const lastAt = last < 0 ? -1 : tailStart + last;
    if (firstMatches(fd, size, needles).some((at) => at !== undefined)) return undefined;
    return lastAt === first ? { keep: first, empty: true } : { keep: lastAt + 1, empty: false };
  } catch (error) {
    throw withPath(error, file);
  } finally {
    fs.closeSync(fd);
  }
}

function readMarker(dir: string): ArchivingMarker | undefined {
  const text = readTextIfExists(sessionLayout(dir).archivingMarker);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ArchivingMarker;
  } catch {
    return undefined;
  }
}

/**
 * Moves a completed session to `archives/` so that a crash at any step can be finished by running
 * the command again: (1) the `.archiving` marker, holding the manifest entry, is written in the
 * session folder; (2) the folder is renamed into `archives/` (one atomic rename); (3) the state
 * becomes `archived`; (4) the manifest gets its entry (once: it is keyed by session ID); (5) the
 * registry; (6) the marker is removed. Whoever finds a marker resumes at the first step not done.
 */
export function archiveSession(
  tx: SessionTransaction,
  session: LoadedSession,
  options: CompleteOptions,
): CompleteResult {
  const { layout } = tx;
  const id = session.id;
  const activeDir = sessionDir(layout, id, 'active');
  const archiveDir = sessionDir(layout, id, 'archives');
  let marker = readMarker(session.dir);
  const resumed = marker !== undefined;
  if (marker === undefined) {
    marker = { session_id: id, started_at: tx.now, entry: manifestEntry(layout, session, tx.now, options) };
    writeJsonAtomic(sessionLayout(session.dir).archivingMarker, marker);
  }
  if (session.location === 'active') {
    ensureDirectory(layout.archivesDir);
    if (fs.existsSync(archiveDir)) {
      throw new WfsError(
        'E_INVALID_STATE',
        `Cannot archive ${id}: ${archiveDir} already exists. Run wfs doctor.`,
      );
    }
    fs.renameSync(activeDir, archiveDir);
  }
  const moved = readSessionAt(layout, id, 'archives');
  if (moved.kind !== 'ok')
    throw new WfsError('E_CORRUPT', `Session ${id} cannot be read after the move to archives`);
  let state = moved.state;
  if (state.status !== 'archived') {
    state = tx.save(archiveDir, 'archives', rules.markArchived(state, marker.entry.archived_at));
  } else {
    tx.record(entryFromState(state, 'archives', fingerprintOf(fs.statSync(sessionLayout(archiveDir).state))));
  }
  addManifestEntry(layout, marker.entry);
  fs.rmSync(sessionLayout(archiveDir).archivingMarker, { force: true });
  return {
    session_id: id,
    status: state.status,
    archived: true,
    archive_path: marker.entry.archive_path,
    resumed_archiving: resumed,
    manifest_entry: marker.entry,
    warnings: tx.warnings,
  };
}

// Tags are words for search; lessons are sentences. Both end up in the manifest of every archive.
const TAG_MAX_LENGTH = 60;
const LESSON_MAX_LENGTH = 2_000;

function checkedOptions(options: CompleteOptions): CompleteOptions {
  return {
    ...options,
    ...(options.tags ? { tags: options.tags.map((t) => validateLabel(t, 'A tag', TAG_MAX_LENGTH)) } : {}),
    ...(options.lessons
      ? { lessons: options.lessons.map((l) => validateLabel(l, 'A lesson', LESSON_MAX_LENGTH)) }
      : {}),
  };
}

/** Archivings interrupted by a crash: sessions whose folder still has an `.archiving` marker. */
export function interruptedArchivings(layout: Layout): string[] {
  const found: string[] = [];
  for (const base of [layout.activeDir, layout.archivesDir]) {
    let names: string[];
    try {
      names = fs.readdirSync(base);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    for (const name of names) if (fs.existsSync(path.join(base, name, ARCHIVING_MARKER))) found.push(name);
  }
  return found;
}

/** What an archiving announces (and a completion before it). */
function announcedArchive(result: CompleteResult, completedNow: boolean): Change<CompleteResult> {
  return {
    result,
    announce: [
      ...(completedNow ? [{ type: 'session.completed', session: result.session_id }] : []),
      ...(result.archived
        ? [
            {
              type: 'session.archived',
              session: result.session_id,
              data: { archive_path: result.archive_path },
            },
          ]
        : []),
    ],
  };
}

/**
 * `session complete [ID] [--no-archive]`: completes the session (SPEC 2's resolution: the active
 * one by default), then archives it; announced.
 */
export function completeSession(
  ctx: ProjectContext,
  id: string | undefined,
  options: CompleteOptions = {},
): Promise<CompleteResult> {
  const checked = checkedOptions(options);
  return applyChange(ctx, (tx) => {
    let session = targetIn(tx, ctx, id, { action: 'complete' });
    if (session.state.status === 'archived' && readMarker(session.dir) === undefined) {
      throw new WfsError('E_INVALID_STATE', `Session ${session.id} is already archived`);
    }
    const completedNow = session.state.status === 'active' || session.state.status === 'paused';
    if (completedNow) {
      const state = tx.save(session.dir, session.location, rules.complete(session.state, tx.now));
      session = {
        ...session,
        state,
        fingerprint: fingerprintOf(fs.statSync(sessionLayout(session.dir).state)),
      };
    }
    if (checked.archive === false) {
      return announcedArchive(
        {
          session_id: session.id,
          status: session.state.status,
          archived: false,
          resumed_archiving: false,
          warnings: tx.warnings,
        },
        completedNow,
      );
    }
    return announcedArchive(archiveSession(tx, session, checked), completedNow);
  });
}

/** `session archive ID`: archives a completed session, or finishes an interrupted archiving; announced. */
export function archiveCompletedSession(
  ctx: ProjectContext,
  id: string,
  options: CompleteOptions = {},
): Promise<CompleteResult> {
  const checked = checkedOptions(options);
  return applyChange(ctx, (tx) => {
    const session = targetIn(tx, ctx, id, { action: 'archive' });
    const interrupted = readMarker(session.dir) !== undefined;
    if (session.state.status === 'archived' && !interrupted) {
      throw new WfsError('E_INVALID_STATE', `Session ${session.id} is already archived`);
    }
    if (session.state.status !== 'completed' && !interrupted) {
      throw new WfsError(
        'E_INVALID_STATE',
        `Cannot archive ${session.id}: it is ${session.state.status}. Complete it first: wfs session complete ${session.id}`,
      );
    }
    return announcedArchive(archiveSession(tx, session, checked), false);
  });
}

export function checkArchiving(report: CheckReporter, tx: () => SessionTransaction): void {
  for (const location of ['active', 'archives'] as SessionLocation[]) {
    for (const id of listSessionFolders(report.layout, location)) {
      const dir = sessionDir(report.layout, id, location);
      if (!fs.existsSync(sessionLayout(dir).archivingMarker)) continue;
      const read = readSessionAt(report.layout, id, location);
      const finishable =
        read.kind === 'ok' && (read.state.status === 'completed' || read.state.status === 'archived');
      if (!finishable) {
        report.problem(
          'archiving',
          `${id}: an ${ARCHIVING_MARKER} marker on a session that is not completed`,
          undefined,
          `complete it (wfs session complete ${id}) or move ${ARCHIVING_MARKER} out of its folder`,
        );
        continue;
      }
      report.problem('archiving', `${id}: an archiving was interrupted`, () => {
        archiveSession(tx(), read, {});
        return 'finished the archiving';
      });
    }
  }
}

export function checkManifest(report: CheckReporter, sessions: readonly LoadedSession[]): void {
  const text = readTextIfExists(report.layout.manifestPath);
  const archived = sessions.filter((s) => s.location === 'archives' && s.state.status === 'archived');
  let entries: ManifestEntry[] | undefined;
  if (text !== undefined) {
    try {
      const value: unknown = JSON.parse(text);
      if (Array.isArray(value)) entries = value as ManifestEntry[];
    } catch {
      entries = undefined;
    }
  }
  const rebuild = (keep: ManifestEntry[]) => () => {
    if (text !== undefined && entries === undefined) report.moveAside(report.layout.manifestPath);
    const known = new Set(keep.map((e) => e.session_id));
    const added = archived
      .filter((s) => !known.has(s.id))
      .map((s) => manifestEntry(report.layout, s, s.state.archived_at ?? s.state.updated_at, {}));
    writeJsonAtomic(report.layout.manifestPath, [...keep, ...added]);
    return `wrote ${added.length} missing entr${added.length === 1 ? 'y' : 'ies'}${text !== undefined && entries === undefined ? '; the damaged manifest is kept aside' : ''}`;
  };
  if (text !== undefined && entries === undefined) {
    report.problem('manifest', 'archives/manifest.json is not a JSON array', rebuild([]));
    return;
  }
  const listed = new Set((entries ?? []).map((e) => e.session_id));
  const unlisted = archived.filter((s) => !listed.has(s.id));
  if (unlisted.length > 0)
    report.problem(
      'manifest',
      `${unlisted.length} archived session(s) missing from archives/manifest.json (${unlisted
        .slice(0, 5)
        .map((s) => s.id)
        .join(', ')})`,
      rebuild(entries ?? []),
    );
}
