import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { compareText, isSessionFolderName, nextFreeSessionId, slugify } from '../core/ids.js';
import * as rules from '../core/lifecycle.js';
import { type MigrationEvidence, migrateSession } from '../core/migrate.js';
import type { SessionState } from '../core/session.js';
import { validateSession } from '../core/session-file.js';
import { readActivePointer } from '../store/active-pointer.js';
import { readTextIfExists, removeFileIfExists, writeJsonAtomic } from '../store/atomic.js';
import type { CheckReporter } from '../store/checks.js';
import { ensureSessionFolders } from '../store/gitignore.js';
import {
  ARCHIVING_MARKER,
  type Layout,
  SESSION_FILE,
  type SessionLocation,
  sessionDir,
  sessionLayout,
} from '../store/layout.js';
import { folderTime, readTasks } from '../store/migration-evidence.js';
import { nowIso, type ProjectContext } from '../store/project.js';
import { entryFromState } from '../store/registry.js';
import { ensureDirectory } from '../store/safe-path.js';
import {
  type LoadedSession,
  listSessionFolders,
  readSessionAt,
  saveSession,
} from '../store/session-files.js';
import { manifestEntry } from './archive.js';
import { inTransaction, rebuildRegistryEntries, type SessionTransaction } from './transaction.js';

/**
 * `wfs migrate`: brings the layouts of the CCW tools our users come from to this contract, keeping
 * what CCW wrote (see core/migrate.ts for the files themselves):
 * - v2.0: sessions directly in `.workflow/WFS-*`, the active one marked by `.workflow/.active-WFS-*`,
 *   archived ones in `.workflow/.archives/` with a manifest `{"archives": [...]}`, and `project.json`;
 * - sessions in `.workflow/sessions/WFS-*` (CCW's own `sessions/<uuid>/state.json` files are not
 *   sessions and stay where they are);
 * - the current layout, `active/` and `archives/`, with files CCW's CLI and prompt commands wrote
 *   (no session_version, CCW's statuses, tasks in `.task/`), upgraded in place.
 *
 * A migration is planned first (read-only), and the plan is written to `.workflow/.migrating.json`
 * before anything changes. Every step of the plan can be done again without harm, so a migration
 * killed at any instant is finished by running `wfs migrate` again, which follows the same plan:
 * (1) `.workflow/` (apart from `.backups/` and `.locks/`) is copied to `.backups/migrate-<time>/`;
 * (2) sessions are moved (one rename each) and their state saved as 2.0 (the old file is kept as the
 * session's first backup); (3) the manifest gets the entries of every archived session; (4) the
 * markers and the old manifest are removed (they are in the copy); (5) the registry is rebuilt, and
 * the plan removed. Running it again then finds nothing to do.
 */
export interface MigrateReport {
  backup: string | null;
  moved: { from: string; to: string; session_id: string; status: string }[];
  upgraded: string[];
  /** The `.active-*` markers removed (kept in the backup). */
  markers: string[];
  /** Other files removed: the v2.0 manifest, CCW's leftover archiving markers (kept in the backup). */
  removed: string[];
  warnings: string[];
}

type Json = Record<string, unknown>;

const PLAN_FILE = '.migrating.json';
const PLAN_VERSION = 1;

interface PlannedSession {
  /** Where its folder is before the migration, relative to `.workflow/`. */
  from: string;
  id: string;
  location: SessionLocation;
  kind: 'moved' | 'upgraded';
  /** What is known besides its file, found when the plan was made (its tasks are read where it lands). */
  evidence: Omit<MigrationEvidence, 'location' | 'tasks'>;
}

interface MigrationPlan {
  version: typeof PLAN_VERSION;
  started_at: string;
  /** The copy of `.workflow/` as it was, relative to the root. */
  backup: string;
  /** The session made active, or null to leave the active session as it is. */
  active: string | null;
  sessions: PlannedSession[];
  /** Entries of CCW's v2.0 manifest, pointing at where their sessions are now. */
  manifest_imports: Json[];
  /** Markers to remove at the end, relative to `.workflow/`. */
  markers: string[];
  /** Other files to remove at the end (after the manifest holds what they said), relative to `.workflow/`. */
  remove: string[];
  /** Folders to remove at the end if nothing is left in them, relative to `.workflow/`. */
  remove_if_empty: string[];
  warnings: string[];
}

interface Source {
  dir: string;
  name: string;
  /** The folder it is in, relative to `.workflow/` ('' for `.workflow/` itself). */
  base: string;
}

// Where older CCW layouts kept sessions, and where each goes.
const SOURCES: { base: string; location: SessionLocation }[] = [
  { base: '', location: 'active' },
  { base: 'sessions', location: 'active' },
  { base: '.archives', location: 'archives' },
];

function readDirents(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A manifest as CCW wrote it: a JSON array (its current layout) or `{"archives": [...]}` (v2.0). */
function manifestEntries(
  text: string | undefined,
): { entries: Json[]; form: 'array' | 'object' } | undefined {
  const value = parseJson(text);
  if (Array.isArray(value)) return { entries: value.filter(isObject), form: 'array' };
  if (isObject(value) && Array.isArray(value.archives))
    return { entries: value.archives.filter(isObject), form: 'object' };
  return undefined;
}

/** A wfs `.archiving` marker holds the manifest entry it is writing; CCW's is an empty file. */
function isWfsArchivingMarker(file: string): boolean {
  const value = parseJson(readTextIfExists(file));
  return isObject(value) && isObject(value.entry);
}

/** CCW's registry (`session_status.jsonl` of v2.0): what it recorded of each session. */
function registryEvidence(file: string): Map<string, { created?: string; status?: string }> {
  const found = new Map<string, { created?: string; status?: string }>();
  for (const line of (readTextIfExists(file) ?? '').split('\n')) {
    const value = parseJson(line.trim() === '' ? undefined : line);
    if (!isObject(value) || typeof value.id !== 'string') continue;
    found.set(value.id, {
      ...(typeof value.created === 'string' ? { created: value.created } : {}),
      ...(typeof value.status === 'string' ? { status: value.status } : {}),
    });
  }
  return found;
}

function statusWritten(file: string): string | undefined {
  const value = parseJson(readTextIfExists(file));
  return isObject(value) && typeof value.status === 'string' ? value.status : undefined;
}

/** Reads the plan of an interrupted migration, if there is one. */
function readPlan(layout: Layout): MigrationPlan | undefined {
  const file = path.join(layout.workflowDir, PLAN_FILE);
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  const plan = parseJson(text) as MigrationPlan | undefined;
  if (!isObject(plan) || plan.version !== PLAN_VERSION || !Array.isArray(plan.sessions)) {
    throw new WfsError(
      'E_CORRUPT',
      `${file} (the plan of an interrupted migration) cannot be read; move it aside and run wfs migrate again. Nothing was changed.`,
    );
  }
  return plan;
}

/** The migration to make, or undefined when `.workflow/` already follows this contract. Reads only. */
function makePlan(ctx: ProjectContext, now: string): MigrationPlan | undefined {
  const { layout } = ctx;
  const W = layout.workflowDir;
  const warnings: string[] = [];

  const sources: (Source & { location: SessionLocation })[] = [];
  for (const { base, location } of SOURCES) {
    if (base !== '' && fs.lstatSync(path.join(W, base), { throwIfNoEntry: false })?.isSymbolicLink()) {
      warnings.push(`${base}: a symbolic link, not imported (wfs never writes through links)`);
      continue;
    }
    for (const entry of readDirents(path.join(W, base))) {
      if (!entry.name.startsWith('WFS-')) continue;
      const rel = path.join(base, entry.name);
      if (entry.isSymbolicLink()) {
        warnings.push(`${rel}: a symbolic link, not imported (wfs never writes through links)`);
        continue;
      }
      if (entry.isDirectory()) sources.push({ dir: path.join(W, rel), name: entry.name, base, location });
    }
  }
  const markers = readDirents(W)
    .filter((e) => e.name.startsWith('.active-') && !e.isDirectory())
    .map((e) => {
      const file = path.join(W, e.name);
      return { rel: e.name, id: e.name.slice('.active-'.length), mtimeMs: fs.lstatSync(file).mtimeMs };
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs || compareText(a.id, b.id));

  // Sessions already in place whose file an older tool wrote, or whose name no command could use.
  const inPlace: { read: LoadedSession; rename: boolean }[] = [];
  const ccwArchivings: string[] = [];
  for (const location of ['active', 'archives'] as SessionLocation[]) {
    for (const id of listSessionFolders(layout, location)) {
      const read = readSessionAt(layout, id, location);
      if (read.kind !== 'ok') continue;
      const rename = !isSessionFolderName(id);
      if (read.migrated || rename) inPlace.push({ read, rename });
      const marker = sessionLayout(read.dir).archivingMarker;
      if (location === 'archives' && fs.existsSync(marker) && !isWfsArchivingMarker(marker))
        ccwArchivings.push(path.relative(W, marker));
    }
  }

  const oldArchives = path.join(W, '.archives');
  const oldManifestPath = path.join(oldArchives, 'manifest.json');
  const oldManifestText = readTextIfExists(oldManifestPath);
  const currentManifestText = readTextIfExists(layout.manifestPath);
  const current = manifestEntries(currentManifestText);
  if (
    sources.length === 0 &&
    markers.length === 0 &&
    inPlace.length === 0 &&
    ccwArchivings.length === 0 &&
    !fs.existsSync(oldArchives) &&
    current?.form !== 'object'
  )
    return undefined;

  const registry = registryEvidence(layout.registryPath);
  const archivedAt = new Map<string, string>();
  const oldManifest = manifestEntries(oldManifestText);
  if (oldManifestText !== undefined && oldManifest === undefined)
    warnings.push(
      '.archives/manifest.json cannot be read: its entries were not imported (the file is in the backup)',
    );
  if (currentManifestText !== undefined && current === undefined)
    warnings.push(
      'archives/manifest.json cannot be read: no entries were added to it (wfs doctor --fix keeps it aside and rewrites it)',
    );
  if (current?.form === 'object') {
    const extra = Object.keys(parseJson(currentManifestText) as Json).filter((k) => k !== 'archives');
    if (extra.length > 0)
      warnings.push(
        `archives/manifest.json becomes the list of its entries; its other fields (${extra.join(', ')}) are in the backup`,
      );
  }
  for (const entry of [...(oldManifest?.entries ?? []), ...(current?.entries ?? [])]) {
    if (typeof entry.session_id === 'string' && typeof entry.archived_at === 'string')
      archivedAt.set(entry.session_id, entry.archived_at);
  }

  // IDs: the name CCW gave a folder stays its ID if a command can use it; otherwise, or when that
  // ID is taken, it gets the next free one, with a WARNING and its old name kept in the session.
  const taken = new Set([...listSessionFolders(layout, 'active'), ...listSessionFolders(layout, 'archives')]);
  const sessions: PlannedSession[] = [];
  const renamed = new Map<string, string>();
  const claimedActive: { id: string; updated: string }[] = [];
  const place = (source: Source, location: SessionLocation, kind: PlannedSession['kind']) => {
    let id = source.name;
    let renamedFrom: string | undefined;
    if (!isSessionFolderName(id)) {
      id = nextFreeSessionId(slugify(source.name.slice(4)), taken);
      renamedFrom = source.name;
      warnings.push(
        `${path.join(source.base, source.name)}: not usable as a session ID; imported as ${id} (its old name is kept in migrated_from.folder)`,
      );
    } else if (kind === 'moved' && taken.has(id)) {
      const next = nextFreeSessionId(slugify(id.slice(4)), taken);
      warnings.push(`${source.name}: a session of that ID already exists; imported as ${next}`);
      renamedFrom = source.name;
      id = next;
    }
    taken.add(id);
    if (renamedFrom !== undefined) renamed.set(renamedFrom, id);
    const file = sessionLayout(source.dir).state;
    // A legacy folder's file may say it is archived (older CCW kept archived sessions in place).
    const written = statusWritten(file);
    const target = kind === 'moved' && written === 'archived' ? 'archives' : location;
    const evidence: PlannedSession['evidence'] = {};
    const known = registry.get(source.name);
    if (known?.created !== undefined) evidence.registryCreated = known.created;
    const archived = archivedAt.get(source.name);
    if (archived !== undefined) evidence.manifestArchivedAt = archived;
    const time = folderTime(source.dir);
    if (time !== undefined) evidence.folderTime = time;
    if (renamedFrom !== undefined) evidence.renamedFrom = renamedFrom;
    sessions.push({ from: path.join(source.base, source.name), id, location: target, kind, evidence });
    if (target === 'active' && (written === 'active' || known?.status === 'active')) {
      const value = parseJson(readTextIfExists(file));
      const updated = isObject(value) ? String(migrateSession(value, id, evidence).updated_at) : '';
      claimedActive.push({ id, updated });
    }
    const marker = sessionLayout(source.dir).archivingMarker;
    if (fs.existsSync(marker) && !isWfsArchivingMarker(marker)) {
      if (target === 'archives') {
        const rel = path.join(target, id, ARCHIVING_MARKER);
        if (!ccwArchivings.includes(rel)) ccwArchivings.push(rel);
      } else
        warnings.push(
          `${id}: CCW began archiving it and did not finish (${ARCHIVING_MARKER}): to archive it, wfs session complete ${id}; to keep working in it, move ${ARCHIVING_MARKER} out of its folder`,
        );
    }
  };
  for (const source of sources.sort((a, b) => compareText(a.base, b.base) || compareText(a.name, b.name)))
    place(source, source.location, 'moved');
  for (const { read, rename } of inPlace) {
    const base = read.location;
    place({ dir: read.dir, name: read.id, base }, read.location, rename ? 'moved' : 'upgraded');
  }

  // One active session at most. A marker says which one was active (the newest wins); else the
  // active session wfs already has stays; else, of the sessions CCW recorded as active, the most
  // recently updated one.
  const open = (id: string) => {
    const planned = sessions.find((s) => s.id === id);
    if (planned !== undefined) {
      if (planned.location !== 'active') return false;
      return statusWritten(path.join(W, planned.from, SESSION_FILE)) !== 'completed';
    }
    const read = readSessionAt(layout, id, 'active');
    return read.kind === 'ok' && (read.state.status === 'active' || read.state.status === 'paused');
  };
  let active: string | null = null;
  if (markers.length > 0) {
    const named = markers[0]!.id;
    const id = renamed.get(named) ?? named;
    if (open(id)) active = id;
    else
      warnings.push(
        `${markers[0]!.rel} names ${named}, which is not an open session; no session was made active by it`,
      );
    if (markers.length > 1)
      warnings.push(
        `${markers.length} sessions were marked active (${markers.map((m) => m.id).join(', ')}); ${active ?? 'none'} is active, the others paused`,
      );
  }
  const pointer = readActivePointer(layout);
  const pointed =
    pointer.present && pointer.id !== null ? readSessionAt(layout, pointer.id, 'active') : undefined;
  const wfsActive = pointed?.kind === 'ok' && pointed.state.status === 'active' ? pointed.id : null;
  if (active === null && markers.length === 0 && wfsActive === null && claimedActive.length > 0) {
    const newest = [...claimedActive].sort(
      (a, b) => compareText(b.updated, a.updated) || compareText(a.id, b.id),
    );
    if (open(newest[0]!.id)) active = newest[0]!.id;
    if (newest.length > 1)
      warnings.push(
        `${newest.length} sessions were active in CCW (${newest.map((c) => c.id).join(', ')}); ${active ?? 'none'}, the most recently updated, is active, the others paused`,
      );
  }
  const activeAfter = active ?? wfsActive;
  for (const session of sessions) if (session.id === activeAfter) session.evidence.active = true;

  const manifestImports: Json[] = [];
  for (const entry of oldManifest?.entries ?? []) {
    const oldId = typeof entry.session_id === 'string' ? entry.session_id : undefined;
    const id = oldId === undefined ? undefined : (renamed.get(oldId) ?? oldId);
    const planned = sessions.find((s) => s.id === id && s.from === path.join('.archives', oldId ?? ''));
    if (planned === undefined) {
      manifestImports.push(entry);
      continue;
    }
    // The entry stays as CCW wrote it, pointing at where its session is now (the old values kept).
    const archivePath = `.workflow/archives/${planned.id}`;
    const was: Json = {};
    if (entry.archive_path !== archivePath) was.archive_path = entry.archive_path ?? null;
    if (oldId !== planned.id) was.session_id = oldId;
    manifestImports.push({
      ...entry,
      session_id: planned.id,
      archive_path: archivePath,
      ...(Object.keys(was).length > 0 ? { migrated_from: was } : {}),
    });
  }

  const projectFile = path.join(W, 'project.json');
  if (fs.existsSync(projectFile))
    warnings.push(
      ".workflow/project.json (CCW's project overview and feature registry) is kept as it is: wfs does not read it (wfs init writes its own project-tech.json)",
    );

  return {
    version: PLAN_VERSION,
    started_at: now,
    backup: path.relative(layout.root, path.join(layout.backupsDir, `migrate-${now.replace(/[:.]/g, '-')}`)),
    active,
    sessions,
    manifest_imports: manifestImports,
    markers: markers.map((m) => m.rel),
    // The v2.0 manifest goes once its entries are in the current one (never while that one is damaged).
    remove: [
      ...ccwArchivings,
      ...(oldManifestText === undefined || (currentManifestText !== undefined && current === undefined)
        ? []
        : [path.join('.archives', 'manifest.json')]),
    ],
    remove_if_empty: ['sessions', '.archives'],
    warnings,
  };
}

/**
 * The copy of `.workflow/` as it was. Made whole under another name and then renamed: nothing is
 * moved or rewritten until it exists, so a copy a killed run left half made is of files that are
 * all still in place, and is simply made again.
 */
function makeBackup(layout: Layout, backup: string): void {
  const target = path.join(layout.root, backup);
  if (fs.existsSync(target)) return;
  const partial = `${target}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  ensureDirectory(partial);
  // Entry by entry: a folder cannot be copied into its own subfolder in one call.
  for (const entry of fs.readdirSync(layout.workflowDir)) {
    if (entry === '.backups' || entry === '.locks' || entry === PLAN_FILE) continue;
    fs.cpSync(path.join(layout.workflowDir, entry), path.join(partial, entry), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  fs.renameSync(partial, target);
}

/**
 * Saves a migrated session keeping its `updated_at`: a migration is not work on the session, and
 * "the most recently paused session" (resume without an ID) must stay the one CCW last touched.
 */
export function saveUpgraded(
  tx: SessionTransaction,
  dir: string,
  location: SessionLocation,
  state: SessionState,
): SessionState {
  // The pointer moves before an activation, never after (see active-pointer.ts).
  if (state.status === 'active') tx.pointActiveTo(state.session_id);
  const saved = saveSession(dir, state, state.updated_at);
  tx.record(entryFromState(saved.state, location, saved.fingerprint));
  return saved.state;
}

/** The session's state as this migration leaves it, and whether that differs from its file. */
function plannedState(
  planned: PlannedSession,
  dir: string,
  now: string,
  warnings: string[],
): { state: SessionState; changed: boolean } {
  const evidence = (): MigrationEvidence => ({
    ...planned.evidence,
    location: planned.location,
    tasks: readTasks(dir),
  });
  const text = readTextIfExists(sessionLayout(dir).state);
  const value = parseJson(text);
  let state: SessionState;
  let changed = false;
  const parsed = isObject(value) ? validateSession(value, planned.id, evidence) : undefined;
  if (parsed?.ok) {
    state = parsed.state;
    changed = parsed.migrated === true;
    if (state.session_id !== planned.id) {
      // A current file in a folder of another name: the folder is the session, its name the ID.
      const was = state.migrated_from;
      state = {
        ...state,
        session_id: planned.id,
        migrated_from: { ...(isObject(was) ? was : {}), session_id: state.session_id },
      };
      changed = true;
    }
  } else {
    // CCW's own 2.0 (session_version "2.0", but not this schema), or no readable file at all.
    if (text === undefined)
      warnings.push(`${planned.id}: no ${SESSION_FILE}; its state was made from the folder name`);
    else if (!isObject(value))
      warnings.push(
        `${planned.id}: ${SESSION_FILE} is not valid JSON; its state was rebuilt from the folder (the old file is in the backup)`,
      );
    const base = isObject(value)
      ? value
      : { project: (planned.evidence.renamedFrom ?? planned.id).slice(4).replaceAll('-', ' ') };
    const checked = validateSession(migrateSession(base, planned.id, evidence()));
    if (!checked.ok) throw new WfsError('E_CORRUPT', `${planned.id}: cannot be migrated (${checked.reason})`);
    state = checked.state;
    changed = true;
  }
  // A file that was already 2.0 follows the plan too: archived in archives/, one active session.
  if (planned.location === 'archives' && state.status !== 'archived') {
    state = { ...state, status: 'archived', archived_at: state.archived_at ?? state.updated_at };
    changed = true;
  } else if (planned.location === 'active' && planned.evidence.active === true && state.status === 'paused') {
    state = rules.activate(state, now);
    changed = true;
  } else if (planned.location === 'active' && planned.evidence.active !== true && state.status === 'active') {
    state = rules.pause(state, now);
    changed = true;
  }
  return { state, changed };
}

/** Adds the manifest entries of every archived session that has none (CCW's own first). */
function settleManifest(ctx: ProjectContext, plan: MigrationPlan): void {
  const { layout } = ctx;
  const text = readTextIfExists(layout.manifestPath);
  const current = text === undefined ? { entries: [], form: 'array' as const } : manifestEntries(text);
  if (current === undefined) return; // damaged: said in the plan's warnings; doctor --fix repairs it
  const entries = [...current.entries];
  const listed = new Set(entries.map((e) => e.session_id));
  for (const entry of plan.manifest_imports) {
    if (typeof entry.session_id === 'string' && listed.has(entry.session_id)) continue;
    entries.push(entry);
    listed.add(entry.session_id);
  }
  for (const id of listSessionFolders(layout, 'archives')) {
    if (listed.has(id)) continue;
    const read = readSessionAt(layout, id, 'archives');
    if (read.kind !== 'ok' || read.state.status !== 'archived') continue;
    entries.push(
      manifestEntry(layout, read, read.state.archived_at ?? read.state.updated_at, {}) as unknown as Json,
    );
    listed.add(id);
  }
  const unchanged =
    text === undefined
      ? entries.length === 0
      : current.form === 'array' && entries.length === current.entries.length;
  if (unchanged) return;
  ensureDirectory(layout.archivesDir);
  writeJsonAtomic(layout.manifestPath, entries);
}

function applyPlan(
  ctx: ProjectContext,
  tx: SessionTransaction,
  plan: MigrationPlan,
  report: MigrateReport,
): void {
  const { layout } = ctx;
  const W = layout.workflowDir;
  makeBackup(layout, plan.backup);
  report.backup = plan.backup;
  const warnings: string[] = [];
  // The registry is rebuilt from the folders at the end; until then nothing needs the old one (CCW's
  // own, for v2.0, read into the plan already).
  tx.replaceRegistry([]);
  // The session made active pauses the one that was (single active rule), before it is activated.
  if (plan.active !== null) tx.pauseActive(plan.active);
  for (const planned of plan.sessions) {
    const from = path.join(W, planned.from);
    const target = sessionDir(layout, planned.id, planned.location);
    if (from !== target && fs.existsSync(from)) {
      if (fs.existsSync(target))
        throw new WfsError(
          'E_INVALID_STATE',
          `${path.relative(layout.root, from)} was to become ${path.relative(layout.root, target)}, which now exists: move one of them aside, then run wfs migrate again`,
        );
      ensureDirectory(path.dirname(target));
      fs.renameSync(from, target);
    } else if (!fs.existsSync(target)) {
      warnings.push(`${planned.from}: gone since the migration was planned; nothing to do for it`);
      continue;
    }
    ensureSessionFolders(target);
    // The plan's time, not this run's: a run that finishes a killed one computes the same states.
    const { state, changed } = plannedState(planned, target, plan.started_at, warnings);
    const final = changed ? saveUpgraded(tx, target, planned.location, state) : state;
    if (planned.kind === 'moved')
      report.moved.push({
        from: path.relative(layout.root, from),
        to: path.relative(layout.root, target),
        session_id: planned.id,
        status: final.status,
      });
    else report.upgraded.push(planned.id);
  }
  // A marker may name a session that needed no migration: it is activated like any other.
  if (plan.active !== null && !plan.sessions.some((s) => s.id === plan.active)) {
    const marked = tx.load(plan.active);
    if (marked.location === 'active' && marked.state.status === 'paused') tx.activate(marked);
  }
  settleManifest(ctx, plan);
  // What the contract has no place for is removed; all of it is in the backup.
  for (const marker of plan.markers) {
    removeFileIfExists(path.join(W, marker));
    report.markers.push(path.join('.workflow', marker));
  }
  for (const file of plan.remove) {
    const full = path.join(W, file);
    // A marker wfs wrote since (an archiving of its own) is not CCW's: it stays.
    if (path.basename(file) === ARCHIVING_MARKER && fs.existsSync(full) && isWfsArchivingMarker(full))
      continue;
    if (!fs.existsSync(full)) continue;
    removeFileIfExists(full);
    report.removed.push(path.join('.workflow', file));
  }
  for (const dir of plan.remove_if_empty) {
    const full = path.join(W, dir);
    if (readDirents(full).length === 0 && fs.existsSync(full)) fs.rmdirSync(full);
  }
  tx.replaceRegistry(rebuildRegistryEntries(ctx));
  // The registry is written before the plan goes: a run killed in between rebuilds it again.
  tx.commit();
  removeFileIfExists(path.join(W, PLAN_FILE));
  report.warnings.push(...plan.warnings, ...warnings);
  report.warnings.push(...tx.warnings.filter((w) => !report.warnings.includes(w)));
}

export async function migrateProject(ctx: ProjectContext): Promise<MigrateReport> {
  const { layout } = ctx;
  const report: MigrateReport = {
    backup: null,
    moved: [],
    upgraded: [],
    markers: [],
    removed: [],
    warnings: [],
  };
  if (!fs.existsSync(layout.workflowDir)) return report;
  return inTransaction(ctx, (tx) => {
    let plan = readPlan(layout);
    if (plan !== undefined) {
      report.warnings.push(`Finished the migration that was interrupted (started ${plan.started_at})`);
    } else {
      plan = makePlan(ctx, nowIso(ctx));
      if (plan === undefined) return report;
      writeJsonAtomic(path.join(layout.workflowDir, PLAN_FILE), plan);
    }
    applyPlan(ctx, tx, plan, report);
    return report;
  });
}

export function checkLegacyLayout(report: CheckReporter): void {
  let names: string[];
  try {
    names = fs.readdirSync(report.layout.workflowDir);
  } catch {
    return;
  }
  // CCW's v2.0 layout (WFS-* beside its `.active-*` markers, `.archives/`) and `sessions/WFS-*`;
  // `sessions/<uuid>/state.json` are CCW's own hook state, not sessions, and are no older layout.
  const holdsSessions = (dir: string) => {
    try {
      return fs.readdirSync(dir).some((n) => n.startsWith('WFS-'));
    } catch {
      return false;
    }
  };
  const legacy = names.filter(
    (n) =>
      /^WFS-/.test(n) ||
      /^\.active-/.test(n) ||
      n === '.archives' ||
      (n === 'sessions' && holdsSessions(path.join(report.layout.workflowDir, n))),
  );
  if (names.includes('.migrating.json'))
    report.problem(
      'layout',
      'a migration was interrupted (.migrating.json)',
      undefined,
      'run wfs migrate to finish it',
    );
  else if (legacy.length > 0)
    report.problem(
      'layout',
      `an older layout is present (${legacy.slice(0, 5).join(', ')})`,
      undefined,
      'run wfs migrate',
    );
  if (names.includes('project.json'))
    report.info(
      'layout',
      "project.json (CCW's project overview and feature registry) is kept as it is: wfs does not read it (wfs init writes project-tech.json)",
    );
}
