import type fs from 'node:fs';
import type { Phase, SessionState, SessionStatus, SessionType } from '../core/session.js';
import { readTextIfExists, writeFileAtomic } from './atomic.js';
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
  fingerprint?: string;
}

export function fingerprintOf(stat: fs.Stats): string {
  return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}

export function entryFromState(
  state: SessionState,
  location: SessionLocation,
  fingerprint?: string,
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

interface Row {
  raw?: string;
  entry?: RegistryEntry;
}

/**
 * The registry in memory. Lines are parsed only when asked for: `wfs session show` and `start`
 * with 10,000 sessions look at a handful of lines, not at 3 MB of JSON.
 */
export class Registry {
  private readonly rows = new Map<string, Row>();
  /** Lines that are not registry lines at all (damage); they trigger a rebuild on the next write. */
  damagedLines = 0;
  exists = false;

  static parse(text: string | undefined): Registry {
    const registry = new Registry();
    if (text === undefined) return registry;
    registry.exists = true;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      // Session IDs never contain quotes or backslashes (see core/ids.ts), so the first quote after
      // the prefix ends the id; a line of any other form is damage.
      const end = line.indexOf('"', LINE_PREFIX.length);
      if (!line.startsWith(LINE_PREFIX) || end < 0 || !line.endsWith('}')) {
        registry.damagedLines++;
        continue;
      }
      const id = line.slice(LINE_PREFIX.length, end);
      if (id.includes('\\')) {
        registry.damagedLines++;
        continue;
      }
      registry.rows.set(id, { raw: line });
    }
    return registry;
  }

  static fromEntries(entries: Iterable<RegistryEntry>): Registry {
    const registry = new Registry();
    registry.exists = true;
    for (const entry of entries) registry.set(entry);
    return registry;
  }

  get size(): number {
    return this.rows.size;
  }

  get(id: string): RegistryEntry | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    if (row.entry === undefined && row.raw !== undefined) {
      try {
        const value: unknown = JSON.parse(row.raw);
        if (isEntry(value) && value.id === id) row.entry = value;
      } catch {
        // A damaged line reads as absent; the session file is read instead.
      }
    }
    return row.entry;
  }

  set(entry: RegistryEntry): void {
    this.rows.set(entry.id, { entry });
  }

  /**
   * IDs whose line says `status`. Lines are compact JSON.stringify output, so `"status":"active"`
   * occurs only as that key (quotes inside values are escaped); a parse confirms.
   */
  idsWithStatus(status: string): string[] {
    const needle = `"status":${JSON.stringify(status)}`;
    const ids: string[] = [];
    for (const [id, row] of this.rows) {
      if (row.entry === undefined && row.raw !== undefined && !row.raw.includes(needle)) continue;
      if (this.get(id)?.status === status) ids.push(id);
    }
    return ids;
  }

  *entries(): IterableIterator<RegistryEntry> {
    for (const id of this.rows.keys()) {
      const entry = this.get(id);
      if (entry !== undefined) yield entry;
    }
  }

  serialize(): string {
    let out = '';
    for (const row of this.rows.values())
      out += `${row.entry === undefined ? row.raw : JSON.stringify(row.entry)}\n`;
    return out;
  }
}

export function parseRegistry(text: string | undefined): Registry {
  return Registry.parse(text);
}

export function readRegistry(registryPath: string): Registry {
  return Registry.parse(readTextIfExists(registryPath));
}

export function serializeRegistry(entries: Iterable<RegistryEntry>): string {
  return Registry.fromEntries(entries).serialize();
}

export function writeRegistry(registryPath: string, registry: Registry): void {
  writeFileAtomic(registryPath, registry.serialize());
}
