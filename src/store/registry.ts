import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import type { Phase, SessionState, SessionStatus, SessionType } from '../core/session.js';
import { withPath, writeFileAtomic } from './atomic.js';
import { registryDirectory, type SessionLocation } from './layout.js';

/**
 * `session_status.jsonl`: one line per session, the SPEC's fields first. The session folders are
 * the truth; this file is an index kept in step with them under the project lock.
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
  /** The line's text, or where it is in the file's bytes (decoded only when it is read). */
  raw?: string;
  start?: number;
  end?: number;
  entry?: RegistryEntry;
}

/**
 * The registry in memory, parsed only as far as asked. Listing needs every line (`rows`); a
 * transaction changes two or three lines of a file that holds 3 MB at 10,000 sessions, so it keeps
 * the text as read and splices the changed lines in when it writes (`patches`), never splitting or
 * parsing the other 9,998.
 */
export class Registry {
  // Kept as bytes: a transaction splices two or three lines into 3 MB without decoding and
  // re-encoding the rest (~8 ms at 10,000 sessions).
  private bytes: Buffer | undefined;
  private rows: Map<string, Row> | undefined;
  private readonly patches = new Map<string, RegistryEntry>();
  /** Patched IDs known to have no line yet (a session just created): appended without a search. */
  private readonly fresh = new Set<string>();
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

  /** Splits every line (listing, rebuilding, damage checks). */
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
      rows.set(id, { start, end });
      start = next;
    }
    for (const entry of this.patches.values()) rows.set(entry.id, { entry });
    this.patches.clear();
    this.fresh.clear();
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

  get size(): number {
    return this.allRows().size;
  }

  /** Where (in bytes) the line of `id` is in the unsplit file, or undefined. */
  private findLine(id: string): { start: number; end: number } | undefined {
    const bytes = this.bytes;
    if (bytes === undefined) return undefined;
    const needle = `${LINE_PREFIX}${id}",`;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      if (at === 0 || bytes[at - 1] === NEWLINE) {
        const newline = bytes.indexOf(NEWLINE, at);
        return { start: at, end: newline < 0 ? bytes.length : newline };
      }
    }
    return undefined;
  }

  private rawOf(row: Row): string | undefined {
    if (row.raw === undefined && row.start !== undefined)
      row.raw = this.bytes!.toString('utf8', row.start, row.end);
    return row.raw;
  }

  private parseRow(id: string, row: Row): RegistryEntry | undefined {
    const raw = row.entry === undefined ? this.rawOf(row) : undefined;
    if (raw !== undefined) {
      try {
        const value: unknown = JSON.parse(raw);
        if (isEntry(value) && value.id === id) row.entry = value;
      } catch {
        // A damaged line reads as absent; the session file is read instead.
      }
    }
    return row.entry;
  }

  get(id: string): RegistryEntry | undefined {
    if (this.rows !== undefined) {
      const row = this.rows.get(id);
      return row === undefined ? undefined : this.parseRow(id, row);
    }
    const patched = this.patches.get(id);
    if (patched !== undefined) return patched;
    const line = this.findLine(id);
    return line === undefined
      ? undefined
      : this.parseRow(id, { raw: this.bytes!.toString('utf8', line.start, line.end) });
  }

  /** Adds or replaces a session's line; `fresh` says it has none yet, which saves a search of the file. */
  /**
   * Like get, but keeps nothing: listing 10,000 sessions reads each line once, and retaining every
   * line's text and object would make each garbage collection copy them all.
   */
  peek(id: string): RegistryEntry | undefined {
    const row = this.rows?.get(id);
    if (row === undefined || row.entry !== undefined || row.start === undefined) return this.get(id);
    try {
      const value: unknown = JSON.parse(this.bytes!.toString('utf8', row.start, row.end));
      return isEntry(value) && value.id === id ? value : undefined;
    } catch {
      return undefined;
    }
  }

  set(entry: RegistryEntry, options?: { fresh?: boolean }): void {
    if (this.rows !== undefined) {
      this.rows.set(entry.id, { entry });
      return;
    }
    this.patches.set(entry.id, entry);
    if (options?.fresh) this.fresh.add(entry.id);
  }

  /**
   * IDs whose line says `status`. Lines are compact JSON.stringify output, so `"status":"active"`
   * occurs only as that key (quotes inside values are escaped); a parse confirms.
   */
  idsWithStatus(status: string): string[] {
    const needle = `"status":${JSON.stringify(status)}`;
    const ids: string[] = [];
    for (const [id, row] of this.allRows()) {
      if (row.entry === undefined && !this.rawOf(row)?.includes(needle)) continue;
      if (this.parseRow(id, row)?.status === status) ids.push(id);
    }
    return ids;
  }

  *entries(): IterableIterator<RegistryEntry> {
    for (const [id, row] of this.allRows()) {
      const entry = this.parseRow(id, row);
      if (entry !== undefined) yield entry;
    }
  }

  serialize(): string {
    return Buffer.concat(this.toParts()).toString('utf8');
  }

  /** The file's content in parts, to be written one after the other: no 3 MB copy to join them. */
  toParts(): Buffer[] {
    if (this.rows !== undefined) {
      let out = '';
      for (const row of this.rows.values()) {
        out += `${row.entry === undefined ? this.rawOf(row) : JSON.stringify(row.entry)}\n`;
      }
      return [Buffer.from(out)];
    }
    // Splice the changed lines into the file as read; new sessions go at the end.
    const bytes = this.bytes ?? Buffer.alloc(0);
    const replaced: { start: number; end: number; line: string }[] = [];
    let appended = '';
    for (const entry of this.patches.values()) {
      const where = this.fresh.has(entry.id) ? undefined : this.findLine(entry.id);
      if (where === undefined) appended += `${JSON.stringify(entry)}\n`;
      else replaced.push({ ...where, line: JSON.stringify(entry) });
    }
    replaced.sort((a, b) => a.start - b.start);
    const parts: Buffer[] = [];
    let at = 0;
    for (const r of replaced) {
      parts.push(bytes.subarray(at, r.start), Buffer.from(r.line));
      at = r.end;
    }
    parts.push(bytes.subarray(at));
    const last = parts.findLast((part) => part.length > 0);
    const separator = last !== undefined && last[last.length - 1] !== NEWLINE ? '\n' : '';
    if (separator !== '' || appended !== '') parts.push(Buffer.from(separator + appended));
    return parts;
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

export function writeRegistry(registryPath: string, registry: Registry): void {
  writeFileAtomic(registryPath, registry.toParts());
}
