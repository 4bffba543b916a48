import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import { isSessionFolderName, nextFreeSessionId, slugify } from '../core/ids.js';
import { migrateSession } from '../core/migrate.js';
import type { SessionState } from '../core/session.js';
import { validateSession } from '../core/session-file.js';
import { readTextIfExists } from '../store/atomic.js';
import { SESSION_FILE, SESSION_SUBDIRS, type SessionLocation, sessionDir } from '../store/layout.js';
import { nowIso, type ProjectContext } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import { listSessionFolders, readSessionAt } from '../store/session-files.js';
import { inTransaction, rebuildRegistryEntries } from './transaction.js';

/**
 * `wfs migrate`: brings the layouts of the CCW tools our users come from to this contract, after a
 * copy of `.workflow/` is kept in `.workflow/.backups/migrate-<time>/`:
 * - sessions directly in `.workflow/WFS-*`, the active one marked by a `.workflow/.active-WFS-*` file;
 * - sessions in `.workflow/sessions/WFS-*`;
 * - v1 metadata anywhere (status planning/initialized/implementing/reviewing, a `type` that was the
 *   complexity), saved as session_version 2.0.
 * The registry is rebuilt from the folders at the end. Running it again finds nothing to do.
 */
export interface MigrateReport {
  backup: string | null;
  moved: { from: string; to: string; session_id: string; status: string }[];
  upgraded: string[];
  markers: string[];
  warnings: string[];
}

interface Legacy {
  dir: string;
  name: string;
}

function legacySessions(workflowDir: string): Legacy[] {
  const found: Legacy[] = [];
  for (const base of [workflowDir, path.join(workflowDir, 'sessions')]) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(base, { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name.startsWith('WFS-'))
        found.push({ dir: path.join(base, entry.name), name: entry.name });
    }
  }
  return found;
}

function activeMarkers(workflowDir: string): { file: string; id: string; mtimeMs: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(workflowDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('.active-'))
    .map((n) => {
      const file = path.join(workflowDir, n);
      return { file, id: n.slice('.active-'.length), mtimeMs: fs.statSync(file).mtimeMs };
    });
}

/** The state of a legacy folder: its file migrated to 2.0, or, without a readable one, made from the folder. */
function legacyState(legacy: Legacy, id: string, now: string, warnings: string[]): SessionState {
  const text = readTextIfExists(path.join(legacy.dir, SESSION_FILE));
  let value: Record<string, unknown> | undefined;
  if (text !== undefined) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        value = parsed as Record<string, unknown>;
    } catch {
      warnings.push(
        `${legacy.name}: ${SESSION_FILE} is not valid JSON; its state was rebuilt from the folder (the old file is in the backup)`,
      );
    }
  } else {
    warnings.push(`${legacy.name}: no ${SESSION_FILE}; its state was made from the folder name`);
  }
  const base = value ?? { project: legacy.name.slice(4).replaceAll('-', ' '), created_at: now };
  const checked = validateSession({ ...migrateSession(base, id), session_id: id });
  if (!checked.ok) throw new Error(`${legacy.name}: cannot be migrated (${checked.reason})`);
  return checked.state;
}

export async function migrateProject(ctx: ProjectContext): Promise<MigrateReport> {
  const { layout } = ctx;
  const report: MigrateReport = { backup: null, moved: [], upgraded: [], markers: [], warnings: [] };
  if (!fs.existsSync(layout.workflowDir)) return report;
  return inTransaction(ctx, (tx) => {
    const legacy = legacySessions(layout.workflowDir);
    const markers = activeMarkers(layout.workflowDir);
    const inPlace: { id: string; location: SessionLocation }[] = [];
    for (const location of ['active', 'archives'] as SessionLocation[]) {
      for (const id of listSessionFolders(layout, location)) {
        const read = readSessionAt(layout, id, location);
        if (read.kind === 'ok' && read.migrated) inPlace.push({ id, location });
      }
    }
    if (legacy.length === 0 && markers.length === 0 && inPlace.length === 0) return report;

    // The whole of .workflow/ as it was, apart from older backups and locks.
    const backup = path.join(layout.backupsDir, `migrate-${nowIso(ctx).replace(/[:.]/g, '-')}`);
    // Entry by entry: a folder cannot be copied into its own subfolder in one call.
    ensureDirectory(backup);
    for (const entry of fs.readdirSync(layout.workflowDir)) {
      if (entry === '.backups' || entry === '.locks') continue;
      fs.cpSync(path.join(layout.workflowDir, entry), path.join(backup, entry), { recursive: true });
    }
    report.backup = path.relative(layout.root, backup);

    // The registry is rebuilt from the folders at the end; until then nothing needs the old one.
    tx.replaceRegistry([]);
    // One active session at most: the most recently marked one.
    const marked = [...markers].sort((a, b) => b.mtimeMs - a.mtimeMs);
    const activeName = marked[0]?.id;
    if (marked.length > 1)
      report.warnings.push(
        `${marked.length} sessions were marked active (${marked.map((m) => m.id).join(', ')}); ${activeName} is active, the others paused`,
      );
    if (activeName !== undefined && legacy.some((l) => l.name === activeName)) tx.pauseActive();

    const taken = new Set([
      ...listSessionFolders(layout, 'active'),
      ...listSessionFolders(layout, 'archives'),
    ]);
    for (const item of legacy) {
      let id = isSessionFolderName(item.name)
        ? item.name
        : nextFreeSessionId(slugify(item.name.slice(4)), taken);
      if (taken.has(id)) {
        const renamed = nextFreeSessionId(slugify(id.slice(4)), taken);
        report.warnings.push(`${item.name}: a session of that ID already exists; imported as ${renamed}`);
        id = renamed;
      }
      taken.add(id);
      let state = legacyState(item, id, tx.now, report.warnings);
      if (item.name === activeName) state = { ...state, status: 'active' };
      else if (state.status === 'active') state = { ...state, status: 'paused' };
      const location: SessionLocation = state.status === 'archived' ? 'archives' : 'active';
      const target = sessionDir(layout, id, location);
      ensureDirectory(path.dirname(target));
      fs.renameSync(item.dir, target);
      for (const sub of SESSION_SUBDIRS) ensureDirectory(path.join(target, sub));
      tx.save(target, location, state);
      report.moved.push({
        from: path.relative(layout.root, item.dir),
        to: path.relative(layout.root, target),
        session_id: id,
        status: state.status,
      });
    }
    for (const { id, location } of inPlace) {
      const read = readSessionAt(layout, id, location);
      if (read.kind === 'ok') {
        tx.save(read.dir, location, read.state);
        report.upgraded.push(id);
      }
    }
    // The markers and an emptied sessions/ folder are in the backup; the contract has no place for them.
    for (const marker of markers) {
      fs.rmSync(marker.file);
      report.markers.push(path.relative(layout.root, marker.file));
    }
    const sessionsDir = path.join(layout.workflowDir, 'sessions');
    if (fs.existsSync(sessionsDir) && fs.readdirSync(sessionsDir).length === 0) fs.rmdirSync(sessionsDir);
    tx.replaceRegistry(rebuildRegistryEntries(ctx));
    report.warnings.push(...tx.warnings.filter((w) => !report.warnings.includes(w)));
    return report;
  });
}
