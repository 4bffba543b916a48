import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import type { Phase, SessionState, SessionStatus, SessionType } from '../core/session.js';
import { appendLinesDurably, withPath, writeFileAtomic } from './atomic.js';
import { registryDirectory, type SessionLocation } from './layout.js';

/**
 * `session_status.jsonl`: an append-only log of the sessions' index entries, the SPEC's fields
 * first. Every change of a session appends its whole entry as one line; the last line of an ID is
 * its entry. So a change costs one append whatever the number of sessions (rewriting a line in the
 * middle meant rewriting 3 MB at 10,000 sessions). The log is compacted (one line per session,
 * written atomically) when the lines superseded by later ones outnumber the live ones, checked only
 * as the file grows past geometric steps, so the cost of compaction per change stays constant.
 * The session folders are the truth; this file is an index kept in step with them under the
 * project lock, and a file of the earlier form (one line per session) is a log already.
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
const QUOTE = 0x22;
const CLOSING_BRACE = 0x7d;
const PREFIX_BYTES = Buffer.from(LINE_PREFIX);

/** Byte by byte: a Buffer.compare per line is a native call, ~1 µs each over 10,000 lines. */
function startsWithPrefix(bytes: Buffer, at: number): boolean {
  for (let i = 0; i < PREFIX_BYTES.length; i++) if (bytes[at + i] !== PREFIX_BYTES[i]) return false;
  return true;
}

interface Row {
  /** Where the line is in the file's bytes (decoded only when it is read). */
  start?: number;
  end?: number;
  entry?: RegistryEntry;
  /** The line this one superseded: read when this one is damaged (a line torn by a crash). */
  earlier?: Row;
}

/**
 * The registry in memory, parsed only as far as asked. Listing needs every session (`rows`); a
 * lookup of one session searches the unsplit file from its end for that session's last line.
 */
export class Registry {
  // Kept as bytes: lines are found and decoded one by one, never as a 3 MB string.
  private bytes: Buffer | undefined;
  private rows: Map<string, Row> | undefined;
  private damaged = 0;
  private lines = 0;
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

  /** Splits every line (listing, rebuilding, compacting, damage checks); a session's last line wins. */
  private allRows(): Map<string, Row> {
    if (this.rows !== undefined) return this.rows;
    const rows = new Map<string, Row>();
    const bytes = this.bytes ?? Buffer.alloc(0);
    // Lines are found in the bytes and only their IDs decoded: no 3 MB string, no split array.
    for (let start = 0; start < bytes.length; ) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline < 0 ? bytes.length : newline;
      const next = end + 1;
      if (end === start || (end === start + 1 && bytes[start] === CARRIAGE_RETURN)) {
        start = next;
        continue;
      }
      this.lines++;
      // Session IDs never contain quotes or backslashes (see core/ids.ts), so the first quote after
      // the prefix ends the id; a line of any other form is damage.
      const quote = bytes.indexOf(QUOTE, start + LINE_PREFIX.length);
      const id = quote < 0 || quote > end ? '' : bytes.toString('utf8', start + LINE_PREFIX.length, quote);
      if (
        !startsWithPrefix(bytes, start) ||
        id === '' ||
        id.includes('\\') ||
        bytes[end - 1] !== CLOSING_BRACE
      ) {
        if (bytes.toString('utf8', start, end).trim() !== '') this.damaged++;
        start = next;
        continue;
      }
      // Map.set keeps the session's first place: a compacted file keeps the order of creation.
      const earlier = rows.get(id);
      rows.set(id, earlier === undefined ? { start, end } : { start, end, earlier });
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

  /** Lines that are not registry lines at all (damage). */
  get damagedLines(): number {
    this.allRows();
    return this.damaged;
  }

  /** Non-empty lines in the file: live, superseded and damaged. */
  get lineCount(): number {
    this.allRows();
    return this.lines;
  }

  get size(): number {
    return this.allRows().size;
  }

  /** The entry on the line at `start..end`, if it is a whole line of `id`. */
  private parseAt(id: string, start: number, end: number): RegistryEntry | undefined {
    try {
      const value: unknown = JSON.parse(this.bytes!.toString('utf8', start, end));
      return isEntry(value) && value.id === id ? value : undefined;
    } catch {
      // A damaged line reads as absent; an earlier line of the session, or its file, is read instead.
      return undefined;
    }
  }

  /** The session's last good line in the unsplit file: searched from the end. */
  private findEntry(id: string): RegistryEntry | undefined {
    const bytes = this.bytes;
    if (bytes === undefined) return undefined;
    const needle = `${LINE_PREFIX}${id}",`;
    for (
      let at = bytes.lastIndexOf(needle);
      at >= 0;
      at = at === 0 ? -1 : bytes.lastIndexOf(needle, at - 1)
    ) {
      if (at !== 0 && bytes[at - 1] !== NEWLINE) continue;
      const newline = bytes.indexOf(NEWLINE, at);
      const entry = this.parseAt(id, at, newline < 0 ? bytes.length : newline);
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  private parseRow(id: string, row: Row, keep: boolean): RegistryEntry | undefined {
    for (let at: Row | undefined = row; at !== undefined; at = at.earlier) {
      if (at.entry !== undefined) return at.entry;
      const entry = this.parseAt(id, at.start!, at.end!);
      if (entry === undefined) continue;
      if (keep) at.entry = entry;
      return entry;
    }
    return undefined;
  }

  get(id: string): RegistryEntry | undefined {
    if (this.rows === undefined) return this.findEntry(id);
    const row = this.rows.get(id);
    return row === undefined ? undefined : this.parseRow(id, row, true);
  }

  /**
   * Like get, but keeps nothing: listing 10,000 sessions reads each line once, and retaining every
   * line's object would make each garbage collection copy them all.
   */
  peek(id: string): RegistryEntry | undefined {
    if (this.rows === undefined) return this.findEntry(id);
    const row = this.rows.get(id);
    return row === undefined ? undefined : this.parseRow(id, row, false);
  }

  /** Adds or replaces a session's entry in memory (a registry written whole: a rebuild). */
  set(entry: RegistryEntry): void {
    this.allRows().set(entry.id, { entry });
  }

  *entries(): IterableIterator<RegistryEntry> {
    for (const [id, row] of this.allRows()) {
      const entry = this.parseRow(id, row, true);
      if (entry !== undefined) yield entry;
    }
  }

  /** The registry compacted: one line per session (its entry), damaged lines left out. */
  serialize(): string {
    let out = '';
    for (const entry of this.entries()) out += `${JSON.stringify(entry)}\n`;
    return out;
  }
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

/** Writes the registry whole (compacted), atomically: a rebuild, or a compaction of the log. */
export function writeRegistry(registryPath: string, registry: Registry): void {
  writeFileAtomic(registryPath, registry.serialize());
}

// Compaction is considered only once the log is this large, and then each time it has grown by a
// further fourth root of two (~19%): a read of the whole file every so many appends, in proportion
// to its size, so constant per append.
const COMPACT_FROM_BYTES = 64 * 1024;

function sizeStep(bytes: number): number {
  return bytes < COMPACT_FROM_BYTES ? -1 : Math.floor(4 * Math.log2(bytes / COMPACT_FROM_BYTES));
}

/**
 * Appends the entries of changed sessions to the log (under the project lock). When the append
 * takes the file past a size step and superseded lines outnumber live ones, it is compacted.
 * Returns whether it was.
 */
export function appendToRegistry(registryPath: string, entries: Iterable<RegistryEntry>): boolean {
  let text = '';
  for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
  if (text === '') return false;
  const { before, after } = appendLinesDurably(registryPath, text);
  if (sizeStep(after) <= sizeStep(before)) return false;
  const registry = readRegistry(registryPath);
  if (registry.lineCount - registry.size <= registry.size) return false;
  writeRegistry(registryPath, registry);
  return true;
}
