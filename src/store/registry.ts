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

export interface Registry {
  entries: Map<string, RegistryEntry>;
  /** Lines that could not be read (damage); `wfs doctor` reports them. */
  damagedLines: number;
  exists: boolean;
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

export function parseRegistry(text: string | undefined): Registry {
  const entries = new Map<string, RegistryEntry>();
  let damagedLines = 0;
  if (text === undefined) return { entries, damagedLines, exists: false };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isEntry(value)) entries.set(value.id, value);
      else damagedLines++;
    } catch {
      damagedLines++;
    }
  }
  return { entries, damagedLines, exists: true };
}

export function readRegistry(registryPath: string): Registry {
  return parseRegistry(readTextIfExists(registryPath));
}

export function serializeRegistry(entries: Iterable<RegistryEntry>): string {
  let out = '';
  for (const entry of entries) out += `${JSON.stringify(entry)}\n`;
  return out;
}

export function writeRegistry(registryPath: string, entries: Iterable<RegistryEntry>): void {
  writeFileAtomic(registryPath, serializeRegistry(entries));
}
