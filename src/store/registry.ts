import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import type { Phase, SessionState, SessionStatus, SessionType } from '../core/session.js';
import {
  appendLinesDurably,
  lastByte,
  type Overwrite,
  patchFileDurably,
  withPath,
  writeFileAtomic,
} from './atomic.js';
import { firstMatches, SEARCH_CHUNK } from './file-search.js';
import { registryDirectory, type SessionLocation } from './layout.js';

/**
 * `session_status.jsonl`: one line per session (SPEC 2), the SPEC's fields first. The session
 * folders are the truth; this file is an index kept in step with them under the project lock.
 *
 * Each line is written with spare room: spaces before its newline, up to a multiple of 32 bytes and
 * at least 16 (JSON.parse, and so every JSONL reader, ignores trailing whitespace). A change of a
 * session whose new line fits in its old line's bytes overwrites that line in place, one pwrite;
 * a new session appends its line. Neither rewrites the 3 MB of a project with 10,000 sessions.
 * Only a line that outgrew its room (a longer description) rewrites the whole file atomically, with
 * room again on every line. A registry written without room is read as it is; its first change
 * rewrites it.
 *
 * Beyond the SPEC's fields each line caches `phase` and `project`, and `fingerprint` (inode, mtime,
 * size of workflow-session.json when the line was written). `wfs session list` trusts a line only
 * while the file still has that fingerprint and reads the file otherwise, so listing 10,000
 * sessions costs one stat per session instead of one read and parse, and is never stale.
 */
export interface RegistryEntry {
  id: string;
  status: SessionStatus;
  type: SessionType;
  description: string;
  created: string;
  updated: string;
  directory: string;
  phase: Phase;
  project: string;
  fingerprint?: Fingerprint;
}

/** Inode, mtime (ms, with its fraction) and size of workflow-session.json: numbers, compared as such. */
export type Fingerprint = [number, number, number];

export function fingerprintOf(stat: fs.Stats): Fingerprint {
  return [stat.ino, stat.mtimeMs, stat.size];
}

/** An atomic rename gives a new inode, so a rewrite shows even within one mtime tick. */
export function sameFingerprint(stat: fs.Stats, fingerprint: unknown): boolean {
  return (
    Array.isArray(fingerprint) &&
    fingerprint[0] === stat.ino &&
    fingerprint[1] === stat.mtimeMs &&
    fingerprint[2] === stat.size
  );
}

export function entryFromState(
  state: SessionState,
  location: SessionLocation,
  fingerprint?: Fingerprint,
): RegistryEntry {
  const entry: RegistryEntry = {
    id: state.session_id,
    status: state.status,
    type: state.type,
    description: state.description,
    created: state.created_at,
    updated: state.updated_at,
    directory: registryDirectory(state.session_id, location),
    phase: state.current_phase,
    project: state.project,
  };
  if (fingerprint !== undefined) entry.fingerprint = fingerprint;
  return entry;
}

function isEntry(value: unknown): value is RegistryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.status === 'string' && typeof v.directory === 'string';
}

// Every line we write starts with its id; reading it needs no JSON parse of the whole line.
const LINE_PREFIX = '{"id":"';
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const CLOSING_BRACE = 0x7d;
const PREFIX_BYTES = Buffer.from(LINE_PREFIX);

// A line's bytes (newline included) are rounded up to a multiple of this, after at least MIN_SPARE
// spaces: room for what a change adds (a longer status or phase, `archives` for `active`, a longer
// mtime in the fingerprint), so that changes overwrite their line in place.
const LINE_QUANTUM = 32;
const MIN_SPARE = 16;

/** An entry as its line: compact JSON, then spaces up to its room, then the newline. */
export function registryLine(entry: RegistryEntry): string {
  const json = JSON.stringify(entry);
  const bytes = Buffer.byteLength(json) + 1;
  const room = Math.ceil((bytes + MIN_SPARE) / LINE_QUANTUM) * LINE_QUANTUM;
  return `${json}${' '.repeat(room - bytes)}\n`;
}

/** Byte by byte: a Buffer.compare per line is a native call, ~1 µs each over 10,000 lines. */
function startsWithPrefix(bytes: Buffer, at: number): boolean {
  for (let i = 0; i < PREFIX_BYTES.length; i++) if (bytes[at + i] !== PREFIX_BYTES[i]) return false;
  return true;
}

/** Where a line's JSON ends: before its room (trailing spaces) and a carriage return. */
function contentEnd(bytes: Buffer, start: number, end: number): number {
  let at = end;
  while (at > start) {
    const byte = bytes[at - 1];
    if (byte !== SPACE && byte !== TAB && byte !== CARRIAGE_RETURN) break;
    at--;
  }
  return at;
}

interface Row {
  /** Where the line's JSON is in the file's bytes (decoded only when it is read). */
  start?: number;
  end?: number;
  entry?: RegistryEntry;
}

/** A session's line in the file: its first byte, and the position of its newline (or the file's end). */
export interface Line {
  start: number;
  end: number;
  /** The line ends in a newline (a last line without one may be torn). */
  terminated: boolean;
}

/**
 * The registry in memory, parsed only as far as asked. Listing needs every session (`rows`); a
 * change of one session finds its line in the unsplit file and parses nothing else.
 */
export class Registry {
  // Kept as bytes: lines are found and decoded one by one, never as a 3 MB string.
  private bytes: Buffer | undefined;
  private rows: Map<string, Row> | undefined;
  private damaged = 0;
  exists = false;

  static parse(content: string | Buffer | undefined): Registry {
    const registry = new Registry();
    registry.exists = content !== undefined;
    registry.bytes = typeof content === 'string' ? Buffer.from(content) : content;
    return registry;
  }

  static fromEntries(entries: Iterable<RegistryEntry>): Registry {
    const registry = new Registry();
    registry.exists = true;
    registry.rows = new Map();
    for (const entry of entries) registry.rows.set(entry.id, { entry });
    return registry;
  }

  /** The file as read (undefined: there was none, or this registry was built from entries). */
  get fileBytes(): Buffer | undefined {
    return this.bytes;
  }

  /** Splits every line (listing, rebuilding, damage checks). */
  private allRows(): Map<string, Row> {
    if (this.rows !== undefined) return this.rows;
    const rows = new Map<string, Row>();
    const bytes = this.bytes ?? Buffer.alloc(0);
    // Lines are found in the bytes and only their IDs decoded: no 3 MB string, no split array.
    for (let start = 0; start < bytes.length; ) {
      const newline = bytes.indexOf(NEWLINE, start);
      const next = newline < 0 ? bytes.length + 1 : newline + 1;
      const end = contentEnd(bytes, start, newline < 0 ? bytes.length : newline);
      if (end === start) {
        start = next;
        continue;
      }
      // Session IDs never contain quotes or backslashes (see core/ids.ts), so the first quote after
      // the prefix ends the id; a line of any other form is damage.
      const quote = bytes.indexOf(QUOTE, start + LINE_PREFIX.length);
      const id = quote < 0 || quote > end ? '' : bytes.toString('utf8', start + LINE_PREFIX.length, quote);
      // A second line of a session is damage too (the file holds one per session): the first is
      // the one a change overwrites, so it is the one read.
      if (
        !startsWithPrefix(bytes, start) ||
        id === '' ||
        id.includes('\\') ||
        bytes[end - 1] !== CLOSING_BRACE ||
        rows.has(id)
      ) {
        this.damaged++;
        start = next;
        continue;
      }
      rows.set(id, { start, end });
      start = next;
    }
    this.rows = rows;
    return rows;
  }

  /** Indexes every line now: for callers that will look up most sessions (listing). */
  indexAll(): this {
    this.allRows();
    return this;
  }

  /** Lines that are not registry lines (damage), a session's second line included. */
  get damagedLines(): number {
    this.allRows();
    return this.damaged;
  }

  get size(): number {
    return this.allRows().size;
  }

  /** The session's line in the unsplit file: its first occurrence at a line start, or undefined. */
  findLine(id: string): Line | undefined {
    const bytes = this.bytes;
    if (bytes === undefined) return undefined;
    const needle = `${LINE_PREFIX}${id}",`;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      if (at !== 0 && bytes[at - 1] !== NEWLINE) continue;
      const newline = bytes.indexOf(NEWLINE, at);
      return newline < 0
        ? { start: at, end: bytes.length, terminated: false }
        : { start: at, end: newline, terminated: true };
    }
    return undefined;
  }

  /** The entry on the line at `start..end`, if it is a whole line of `id`. */
  private parseAt(id: string, start: number, end: number): RegistryEntry | undefined {
    try {
      const value: unknown = JSON.parse(this.bytes!.toString('utf8', start, end));
      return isEntry(value) && value.id === id ? value : undefined;
    } catch {
      // A damaged line (torn by a crash) reads as absent: the session's file is read instead.
      return undefined;
    }
  }

  private parseRow(id: string, row: Row, keep: boolean): RegistryEntry | undefined {
    if (row.entry !== undefined) return row.entry;
    const entry = this.parseAt(id, row.start!, row.end!);
    if (keep && entry !== undefined) row.entry = entry;
    return entry;
  }

  get(id: string): RegistryEntry | undefined {
    if (this.rows === undefined) {
      const line = this.findLine(id);
      return line === undefined ? undefined : this.parseAt(id, line.start, line.end);
    }
    const row = this.rows.get(id);
    return row === undefined ? undefined : this.parseRow(id, row, true);
  }

  /**
   * Like get, but keeps nothing: listing 10,000 sessions reads each line once, and retaining every
   * line's object would make each garbage collection copy them all.
   */
  peek(id: string): RegistryEntry | undefined {
    if (this.rows === undefined) return this.get(id);
    const row = this.rows.get(id);
    return row === undefined ? undefined : this.parseRow(id, row, false);
  }

  /**
   * Every session's entry, for a caller that looks up most of them: see entryChunks. A session's
   * first line counts, as everywhere else.
   */
  entriesById(): Map<string, RegistryEntry> {
    const byId = new Map<string, RegistryEntry>();
    for (const chunk of this.entryChunks())
      for (const entry of chunk) if (!byId.has(entry.id)) byId.set(entry.id, entry);
    return byId;
  }

  /**
   * The entries in file order, for listing: the file cut into runs of whole lines of about
   * `chunkBytes`, each parsed as one JSON array (its lines joined by commas): one native parse per
   * run instead of one per line. A run with a line that is not one JSON object (a damaged or an
   * empty line, two objects on a line) is parsed line by line instead, as `entries` does. Runs
   * rather than the whole file: a caller that is done with one run's entries before asking for the
   * next keeps a few hundred alive instead of 10,000, and the garbage collector no longer copies
   * them all from one generation to the next (measured: ~10 ms of a 10,000-session listing). A
   * session whose line is doubled appears again in a later run: the first one counts.
   */
  *entryChunks(chunkBytes = 256 * 1024): IterableIterator<RegistryEntry[]> {
    if (this.rows !== undefined || this.bytes === undefined) {
      yield [...this.entries()];
      return;
    }
    const bytes = this.bytes;
    for (let start = 0; start < bytes.length; ) {
      const cut = start + chunkBytes >= bytes.length ? -1 : bytes.indexOf(NEWLINE, start + chunkBytes);
      const end = cut < 0 ? bytes.length : cut;
      yield chunkEntries(bytes, start, end);
      start = end + 1;
    }
  }
  /** Adds or replaces a session's entry in memory (a registry written whole). */
  set(entry: RegistryEntry): void {
    this.allRows().set(entry.id, { entry });
  }

  *entries(): IterableIterator<RegistryEntry> {
    for (const [id, row] of this.allRows()) {
      const entry = this.parseRow(id, row, true);
      if (entry !== undefined) yield entry;
    }
  }

  /** The whole file: one line per session, with room, damaged lines left out. */
  serialize(): string {
    let out = '';
    for (const entry of this.entries()) out += registryLine(entry);
    return out;
  }
}

/** The entries on the whole lines at `start..end` of a registry's bytes (see entryChunks). */
function chunkEntries(bytes: Buffer, start: number, end: number): RegistryEntry[] {
  const text = bytes.toString('utf8', start, end).trimEnd();
  if (text === '') return [];
  let lines = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  let values: unknown;
  try {
    values = JSON.parse(`[${text.replaceAll('\n', ',')}]`);
  } catch {
    values = undefined;
  }
  // As many objects as lines: no line held two, and no object spanned two lines.
  if (Array.isArray(values) && values.length === lines && values.every(isEntry))
    return values as RegistryEntry[];
  return [...Registry.parse(bytes.subarray(start, end)).entries()];
}

/**
 * What a change of some sessions needs of the registry file, read under the project lock: whether
 * there is one, its size, whether it ends with a newline, and where each session's line is (its
 * first occurrence at a line start, as Registry.findLine finds it).
 */
export interface RegistryLines {
  readonly exists: boolean;
  readonly size: number;
  readonly endsWithNewline: boolean;
  findLine(id: string): Line | undefined;
}

function linesOfRegistry(read: Registry): RegistryLines {
  const bytes = read.fileBytes;
  return {
    exists: bytes !== undefined,
    size: bytes?.length ?? 0,
    endsWithNewline: bytes === undefined || bytes.length === 0 || bytes[bytes.length - 1] === NEWLINE,
    findLine: (id) => read.findLine(id),
  };
}

/**
 * The lines of `ids` in the registry file, found chunk by chunk (store/file-search.ts) rather than
 * by reading the file into one 4 MB buffer (10,000 sessions) and searching all of it once per ID:
 * a change of two sessions (the one `session start --new` pauses and the one it makes) read the
 * file and searched it twice, ~6 ms; chunk by chunk about half (measured here). The lines found are
 * the ones Registry.findLine finds (test/store/registry.test.ts compares the two).
 */
export function locateRegistryLines(
  registryPath: string,
  ids: readonly string[],
  chunkBytes = SEARCH_CHUNK,
): RegistryLines {
  let fd: number;
  try {
    fd = fs.openSync(registryPath, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT')
      return { exists: false, size: 0, endsWithNewline: true, findLine: () => undefined };
    throw withPath(error, registryPath);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const needles = [...new Set(ids)].map((id) => ({ id, bytes: Buffer.from(`${LINE_PREFIX}${id}",`) }));
    // A line's first occurrence at a line start, as Registry.findLine takes it.
    const atLineStart = (view: Buffer, at: number, position: number) =>
      position === 0 || view[at - 1] === NEWLINE;
    const positions = firstMatches(
      fd,
      size,
      needles.map((n) => n.bytes),
      atLineStart,
      chunkBytes,
    );
    const starts = new Map<string, number>();
    needles.forEach((n, i) => {
      if (positions[i] !== undefined) starts.set(n.id, positions[i]!);
    });
    const lines = new Map<string, Line>();
    for (const [id, start] of starts) lines.set(id, lineAt(fd, start, size));
    const last = lastByte(fd, size);
    return {
      exists: true,
      size,
      endsWithNewline: last === undefined || last === NEWLINE,
      findLine: (id) => {
        if (!needles.some((n) => n.id === id)) throw new Error(`registry line of ${id} was not located`);
        return lines.get(id);
      },
    };
  } catch (error) {
    throw withPath(error, registryPath);
  } finally {
    fs.closeSync(fd);
  }
}

/** The line that starts at `start`: up to its newline, or to the file's end (a torn last line). */
function lineAt(fd: number, start: number, size: number): Line {
  const step = Buffer.allocUnsafe(4096);
  for (let position = start; position < size; ) {
    const read = fs.readSync(fd, step, 0, Math.min(step.length, size - position), position);
    if (read === 0) break;
    const newline = step.subarray(0, read).indexOf(NEWLINE);
    if (newline >= 0) return { start, end: position + newline, terminated: true };
    position += read;
  }
  return { start, end: size, terminated: false };
}

export function parseRegistry(text: string | undefined): Registry {
  return Registry.parse(text);
}

export function readRegistry(registryPath: string): Registry {
  try {
    return Registry.parse(fs.readFileSync(registryPath));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return Registry.parse(undefined);
    throw withPath(error, registryPath);
  }
}

export function serializeRegistry(entries: Iterable<RegistryEntry>): string {
  return Registry.fromEntries(entries).serialize();
}

/** Writes the registry whole, atomically (temp file, fsync, rename, fsync of the folder). */
export function writeRegistry(registryPath: string, registry: Registry): void {
  writeFileAtomic(registryPath, registry.serialize());
}

/** How a change reached the file: lines overwritten in place and appended, or the file rewritten. */
export type RegistryUpdate = 'in-place' | 'rewritten' | 'unchanged';

/**
 * Writes the entries of changed sessions into the registry, under the project lock. `read` is the
 * registry as read under that lock (a transaction's lookups read it already: no second read).
 *
 * A session with a line gets its new line over the old one's bytes (one pwrite, padded with spaces
 * to the old length, so the newline stays where it was) when it fits; a session without one is
 * appended. Then one fdatasync: the change is durable when the command returns, as a rename would
 * be, and the session files written before it are never newer on disk than an index that says so.
 *
 * Crash safety. A killed process cannot tear a pwrite: a write of a few hundred bytes reaches the
 * page cache whole or not at all. A machine crash (power loss) before the fdatasync can: a line
 * that crosses a page or sector boundary may come back half old, half new. Such a line either
 * fails to parse (it reads as damaged: `session list` reads the session file, the next change of
 * the session rewrites the file) or parses as a mix of the two versions; `session list` then
 * trusts it only if its fingerprint matches the session file, and `wfs doctor` compares every line
 * with its session and rebuilds the file from the folders (SPEC 2). An append torn the same way is
 * read as a damaged line, and the next change rewrites the file without it. The registry is an
 * index; the session folder stays the truth either way.
 *
 * Any line that does not fit (a longer description, a registry written without room, a last line
 * without its newline) rewrites the whole file atomically instead, with room on every line.
 */
export function updateRegistry(
  registryPath: string,
  registry: Registry | RegistryLines,
  changed: Iterable<RegistryEntry>,
): RegistryUpdate {
  const entries = [...changed];
  if (entries.length === 0) return 'unchanged';
  const read = registry instanceof Registry ? linesOfRegistry(registry) : registry;
  if (!read.exists) {
    // No registry yet (the project's first session): every line is new.
    appendLinesDurably(registryPath, entries.map(registryLine).join(''));
    return 'in-place';
  }
  const overwrites: Overwrite[] = [];
  let appended = '';
  // A last line without its newline was torn by a crash during an append: rewriting drops it, so
  // the file is whole lines again after the first change that follows.
  let fits = read.endsWithNewline;
  for (const entry of entries) {
    if (!fits) break;
    const line = read.findLine(entry.id);
    if (line === undefined) {
      appended += registryLine(entry);
      continue;
    }
    const json = Buffer.from(JSON.stringify(entry));
    const room = line.end - line.start;
    if (!line.terminated || json.length > room) {
      fits = false;
      break;
    }
    const data = Buffer.alloc(room, SPACE);
    json.copy(data);
    overwrites.push({ position: line.start, data });
  }
  if (fits && patchFileDurably(registryPath, read.size, overwrites, appended)) return 'in-place';
  // The rewrite starts from the file as it is now (it may have changed since `read`, see
  // patchFileDurably), the changed entries set over it.
  const current = readRegistry(registryPath);
  for (const entry of entries) current.set(entry);
  writeRegistry(registryPath, current);
  return 'rewritten';
}
