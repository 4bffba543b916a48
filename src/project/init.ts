import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { compareText } from '../core/ids.js';
import { copyFileAtomic, readTextIfExists, removeFileIfExists, writeJsonAtomic } from '../store/atomic.js';
import { writeWorkflowGitignoreIfMissing } from '../store/gitignore.js';
import { withProjectLock } from '../store/lock.js';
import { nowIso, type ProjectContext } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import { type Analysis, analyzeRepository } from './analyze.js';
import { scanRepository } from './scan.js';
import {
  carryOver,
  checkProjectFile,
  guidelinesScaffold,
  OLDER_PROJECT_TECH_VERSIONS,
  PROJECT_TECH_VERSION,
  type ProjectTech,
  projectGuidelinesSchema,
  projectTechSchema,
} from './schema.js';

export type ProjectState = 'created' | 'initialized';

export interface InitResult {
  projectState: ProjectState;
  techPath: string;
  guidelinesPath: string;
  /** Files written by this run. */
  written: string[];
  /** Where the previous version was kept (`--force`, or a damaged file that was replaced). */
  backups: string[];
  warnings: string[];
  tech: ProjectTech;
}

// Manifests are small; a bigger file is not a manifest we can learn from, and reading it could be slow.
const MANIFEST_READ_LIMIT = 1024 * 1024;

function readSmallFile(root: string, relativePath: string): string | undefined {
  const file = path.join(root, relativePath);
  try {
    if (fs.statSync(file).size > MANIFEST_READ_LIMIT) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What `_metadata.initialized_by` says for an analysis wfs wrote (CCW puts the agent it used there). */
const ANALYSED_BY = 'wfs';

/** Analyses the repository at the root (no writes). */
export function analyzeProject(ctx: ProjectContext): ProjectTech {
  const root = ctx.layout.root;
  const scan = scanRepository(root);
  const analysis: Analysis = analyzeRepository({
    files: scan.files,
    read: (relativePath) => readSmallFile(root, relativePath),
    fallbackName: path.basename(root),
  });
  const now = nowIso(ctx);
  const tech: ProjectTech = {
    schema_version: PROJECT_TECH_VERSION,
    analyzed_at: now,
    initialized_at: now,
    ...analysis,
    scan: {
      source: scan.source,
      truncated: scan.truncated,
      limit: scan.limit,
      ...(scan.note ? { note: scan.note } : {}),
    },
    // CCW's provenance block; `quick-scan` is its name for an analysis from manifests and file names.
    _metadata: { initialized_by: ANALYSED_BY, analysis_timestamp: now, analysis_mode: 'quick-scan' },
  };
  const checked = projectTechSchema.safeParse(tech);
  if (!checked.success)
    throw new WfsError('E_INTERNAL', 'The repository analysis produced an invalid project-tech.json');
  return tech;
}

/**
 * Copies of project-tech.json that `init --force` replaced, kept newest first: 5. The analysis is
 * derived from the repository (any older one can be made again from its history), and the keys
 * other tools keep in the file are carried into the new one, so a few copies are enough to compare
 * with or to go back to. Copies of damaged files and of files another tool wrote are never pruned:
 * they may hold what nothing else has.
 */
export const TECH_BACKUPS_KEPT = 5;

type BackupKind = 'previous' | 'damaged' | 'foreign';

function backupName(file: string, now: string, kind: BackupKind): string {
  const stamp = now.replace(/[:.]/g, '-');
  return `${path.basename(file, '.json')}.${stamp}${kind === 'previous' ? '' : `.${kind}`}.json`;
}

/** Keeps a copy of a file in `.workflow/.backups/` before it is replaced; returns the copy's path. */
function keepBackup(ctx: ProjectContext, file: string, now: string, kind: BackupKind): string {
  ensureDirectory(ctx.layout.backupsDir);
  const name = backupName(file, now, kind);
  for (let attempt = 1; ; attempt++) {
    const target = path.join(
      ctx.layout.backupsDir,
      attempt === 1 ? name : name.replace(/\.json$/, `-${attempt}.json`),
    );
    if (fs.existsSync(target)) continue;
    copyFileAtomic(file, target);
    return target;
  }
}

// `project-tech.<stamp>.json`, and `project-tech.<stamp>-<n>.json` for further copies made in one instant.
const PREVIOUS_TECH = /^project-tech\.(\d{4}-\d{2}-\d{2}T[0-9-]+Z)(?:-(\d+))?\.json$/;

/** Removes all but the newest TECH_BACKUPS_KEPT routine copies of project-tech.json. */
function pruneTechBackups(ctx: ProjectContext): void {
  let names: string[];
  try {
    names = fs.readdirSync(ctx.layout.backupsDir);
  } catch {
    return;
  }
  const copies = names
    .map((name) => ({ name, match: PREVIOUS_TECH.exec(name) }))
    .filter((c): c is { name: string; match: RegExpExecArray } => c.match !== null)
    // Stamps are ISO times of one width: text order is time order; then the copy's number.
    .sort(
      (a, b) => compareText(b.match[1]!, a.match[1]!) || Number(b.match[2] ?? 1) - Number(a.match[2] ?? 1),
    );
  for (const copy of copies.slice(TECH_BACKUPS_KEPT))
    removeFileIfExists(path.join(ctx.layout.backupsDir, copy.name));
}

function versionParts(version: string): [number, number] {
  const [major, minor] = version.split('.').map((part) => Number.parseInt(part, 10));
  return [Number.isFinite(major) ? major! : 0, Number.isFinite(minor) ? minor! : 0];
}

function isNewer(version: string): boolean {
  const [major, minor] = versionParts(version);
  const [ourMajor, ourMinor] = versionParts(PROJECT_TECH_VERSION);
  return major > ourMajor || (major === ourMajor && minor > ourMinor);
}

/** The project-tech.json found, and what re-analysing it means. */
type Previous =
  | { kind: 'valid'; tech: ProjectTech; raw: Record<string, unknown> }
  | { kind: 'older'; version: string; raw: Record<string, unknown> }
  | { kind: 'newer'; version: string; tech: ProjectTech | undefined }
  | { kind: 'foreign'; by: string | undefined; raw: Record<string, unknown> }
  | { kind: 'damaged'; reason: string; raw: unknown };

function classify(text: string): Previous {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'damaged', reason: `not valid JSON (${(error as Error).message})`, raw: undefined };
  }
  const checked = checkProjectFile(projectTechSchema, text);
  const version = isRecord(raw) ? raw.schema_version : undefined;
  if (typeof version === 'string' && isNewer(version))
    return { kind: 'newer', version, tech: checked.ok ? checked.value : undefined };
  // The schema takes objects only: a valid file is a record.
  if (checked.ok) return { kind: 'valid', tech: checked.value, raw: raw as Record<string, unknown> };
  if (!isRecord(raw)) return { kind: 'damaged', reason: 'not a JSON object', raw: undefined };
  if (version === undefined) {
    const by =
      isRecord(raw._metadata) && typeof raw._metadata.initialized_by === 'string'
        ? raw._metadata.initialized_by
        : undefined;
    return { kind: 'foreign', by, raw };
  }
  if (typeof version === 'string' && OLDER_PROJECT_TECH_VERSIONS.includes(version))
    return { kind: 'older', version, raw };
  return { kind: 'damaged', reason: checked.reason, raw };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `wfs init`: writes project-tech.json (analysis) and project-guidelines.json (scaffold) where they
 * are missing or damaged. With `force`, re-analyses and replaces project-tech.json, keeping the old
 * one in `.workflow/.backups/` (the newest TECH_BACKUPS_KEPT). A project-tech.json another tool
 * wrote (CCW) or an older wfs wrote is re-analysed too. Re-analysis keeps every key the analysis
 * does not write (CCW's `development_index`, `features`, `statistics`, ...). The guidelines hold
 * what people wrote, so they are never replaced while they are valid.
 */
export async function initProject(
  ctx: ProjectContext,
  options: { force?: boolean } = {},
): Promise<InitResult> {
  const { layout } = ctx;
  ensureDirectory(layout.workflowDir);
  return withProjectLock(layout, () => {
    const now = nowIso(ctx);
    const warnings: string[] = [];
    const written: string[] = [];
    const backups: string[] = [];

    const techText = readTextIfExists(layout.techPath);
    const guidelinesText = readTextIfExists(layout.guidelinesPath);
    const bothExisted = techText !== undefined && guidelinesText !== undefined;

    const previous = techText === undefined ? undefined : classify(techText);
    // A newer wfs's file is used as it is where it is valid, never re-analysed into an older schema.
    let tech: ProjectTech | undefined =
      previous?.kind === 'valid' || previous?.kind === 'newer' ? previous.tech : undefined;
    if (previous?.kind === 'newer' && (options.force || tech === undefined))
      throw new WfsError(
        'E_FUTURE_VERSION',
        `project-tech.json was written by a newer wfs (schema ${previous.version}; this wfs knows ${PROJECT_TECH_VERSION}): upgrade wfs to re-analyse it; nothing was written`,
      );
    if (tech === undefined || options.force) {
      let kind: BackupKind = 'previous';
      if (previous?.kind === 'damaged') {
        kind = 'damaged';
        warnings.push(
          `project-tech.json is damaged (${previous.reason}); re-analysing, the old file is kept aside`,
        );
      } else if (previous?.kind === 'foreign') kind = 'foreign';
      if (previous !== undefined) backups.push(keepBackup(ctx, layout.techPath, now, kind));
      const raw = previous !== undefined && 'raw' in previous ? previous.raw : undefined;
      const carried = carryOver(raw, analyzeProject(ctx));
      tech = carried.tech;
      const kept = carried.kept.length > 0 ? `, keeping its ${carried.kept.join(', ')}` : '';
      if (previous?.kind === 'foreign')
        warnings.push(
          `project-tech.json was written by another tool (${previous.by ?? 'no _metadata.initialized_by'}): re-analysed in wfs's format with CCW's field names${kept}; the original is kept in ${path.relative(layout.root, backups.at(-1)!)}`,
        );
      else if (previous?.kind === 'older')
        warnings.push(
          `project-tech.json was written by an older wfs (schema ${previous.version}): re-analysed as ${PROJECT_TECH_VERSION}${kept}`,
        );
      writeJsonAtomic(layout.techPath, tech);
      written.push(layout.techPath);
      pruneTechBackups(ctx);
    }

    let writeGuidelines = guidelinesText === undefined;
    if (guidelinesText !== undefined) {
      const checked = checkProjectFile(projectGuidelinesSchema, guidelinesText);
      if (!checked.ok) {
        warnings.push(
          `project-guidelines.json is damaged (${checked.reason}); a new scaffold was written, the old file is kept aside`,
        );
        backups.push(keepBackup(ctx, layout.guidelinesPath, now, 'damaged'));
        writeGuidelines = true;
      }
    }
    if (writeGuidelines) {
      writeJsonAtomic(layout.guidelinesPath, guidelinesScaffold(tech.project_name, now));
      written.push(layout.guidelinesPath);
    }
    const gitignore = writeWorkflowGitignoreIfMissing(layout);
    if (gitignore !== undefined) written.push(gitignore);

    return {
      projectState: bothExisted ? 'initialized' : 'created',
      techPath: layout.techPath,
      guidelinesPath: layout.guidelinesPath,
      written,
      backups,
      warnings,
      tech,
    };
  });
}
