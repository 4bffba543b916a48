import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import { compareText } from '../core/ids.js';
import type { Phase, SessionStatus, SessionType } from '../core/session.js';
import { registryDirectory, SESSION_FILE, type SessionLocation } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { type RegistryEntry, readRegistry, sameFingerprint } from '../store/registry.js';
import { listSessionFolders, readSessionAt } from '../store/session-files.js';

/** A row of `session list`: what the SPEC's list shows, and nothing that would have to be kept in memory 10,000 times. */
export interface SessionSummary {
  id: string;
  status: SessionStatus | 'unknown';
  type: SessionType | 'unknown';
  phase: Phase | 'unknown';
  project: string;
  updated: string;
  location: SessionLocation;
  corrupt?: true;
  reason?: string;
}

// Below this many sessions to look up, searching the unsplit registry per session is cheaper
// than splitting and indexing all of it (measured at 10,000 lines: ~0.3 ms per search).
const FEW_LOOKUPS = 64;

export interface ListOptions {
  /** Include archived sessions (`--all`). */
  includeArchived?: boolean;
  status?: SessionStatus;
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    if (errnoCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

function summarise(
  ctx: ProjectContext,
  id: string,
  location: SessionLocation,
  entry: RegistryEntry | undefined,
): SessionSummary | undefined {
  // The index line is trusted only while the file is byte-for-byte the one it was written from.
  if (entry?.fingerprint !== undefined && entry.directory === registryDirectory(id, location)) {
    // Plain concatenation: path.join costs ~1 µs, and this runs once per session.
    const stat = statOf(
      `${location === 'active' ? ctx.layout.activeDir : ctx.layout.archivesDir}/${id}/${SESSION_FILE}`,
    );
    if (stat !== undefined && sameFingerprint(stat, entry.fingerprint)) {
      const { status, type, phase, project, updated } = entry;
      return { id, status, type, phase, project, updated, location };
    }
  }
  const read = readSessionAt(ctx.layout, id, location);
  if (read.kind === 'ok') {
    const s = read.state;
    return {
      id,
      status: s.status,
      type: s.type,
      phase: s.current_phase,
      project: s.project,
      updated: s.updated_at,
      location,
    };
  }
  // Gone while listing, or the remains of a creation that never finished: no session (SPEC 4).
  if (read.kind === 'missing') return undefined;
  // Damaged sessions are listed, never hidden: what the index last knew, marked corrupt.
  return {
    id,
    status: entry?.status ?? 'unknown',
    type: entry?.type ?? 'unknown',
    phase: entry?.phase ?? 'unknown',
    project: entry?.project ?? '',
    updated: entry?.updated ?? '',
    location,
    corrupt: true,
    reason: read.reason,
  };
}

/** Most recently updated first; then by ID, then open before archived: the same order whatever the input's. */
function newestFirst(a: SessionSummary, b: SessionSummary): number {
  if (a.updated !== b.updated) return a.updated < b.updated ? 1 : -1;
  if (a.id !== b.id) return compareText(a.id, b.id);
  return a.location === b.location ? 0 : a.location === 'active' ? -1 : 1;
}

/**
 * Open sessions (and archived ones with `includeArchived`), most recently updated first. The folders
 * decide which sessions exist; the registry only saves re-reading files that have not changed.
 */
export function listSessions(ctx: ProjectContext, options: ListOptions = {}): SessionSummary[] {
  const locations: SessionLocation[] =
    options.includeArchived || options.status === 'archived' ? ['active', 'archives'] : ['active'];
  const folders = locations.map((location) => ({ location, ids: listSessionFolders(ctx.layout, location) }));
  const registry = readRegistry(ctx.layout.registryPath);
  const sessions: SessionSummary[] = [];
  const add = (id: string, location: SessionLocation, entry: RegistryEntry | undefined) => {
    const summary = summarise(ctx, id, location, entry);
    if (summary === undefined) return;
    if (options.status === undefined || summary.status === options.status || summary.corrupt)
      sessions.push(summary);
  };
  if (folders.reduce((sum, f) => sum + f.ids.length, 0) <= FEW_LOOKUPS) {
    // A few (10 open sessions among 10,000 archived): each found in the unsplit file instead of
    // parsing 3 MB.
    for (const { location, ids } of folders) for (const id of ids) add(id, location, registry.peek(id));
  } else {
    // Many: the registry is read run by run (see Registry.entryChunks) and each line's session
    // summarised there, so that only the summaries outlive their run. A folder is taken off its set
    // at its first line (a doubled line is damage: the first counts); the folders left have no line.
    const unlisted = folders.map(({ location, ids }) => ({ location, ids: new Set(ids) }));
    for (const chunk of registry.entryChunks())
      for (const entry of chunk)
        for (const { location, ids } of unlisted) if (ids.delete(entry.id)) add(entry.id, location, entry);
    for (const { location, ids } of unlisted) for (const id of ids) add(id, location, undefined);
    // In registry order, oldest first as sessions were created: reversed, nearly in the order the
    // sort wants, which then costs a few comparisons per session instead of ~13.
    sessions.reverse();
  }
  return sessions.sort(newestFirst);
}
