import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { nowIso, type ProjectContext } from '../session/context.js';
import { readTextIfExists, writeJsonAtomic } from '../store/atomic.js';
import { withProjectLock } from '../store/lock.js';
import { ensureDirectory } from '../store/safe-path.js';
import { type Analysis, analyzeRepository } from './analyze.js';
import { scanRepository } from './scan.js';
import {
  checkProjectFile,
  guidelinesScaffold,
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

function backupName(file: string, now: string): string {
  return `${path.basename(file, '.json')}.${now.replace(/[:.]/g, '-')}.json`;
}

/** Keeps a copy of a file in `.workflow/.backups/` before it is replaced; returns the copy's path. */
function keepBackup(ctx: ProjectContext, file: string, now: string): string {
  ensureDirectory(ctx.layout.backupsDir);
  const name = backupName(file, now);
  for (let attempt = 1; ; attempt++) {
    const target = path.join(
      ctx.layout.backupsDir,
      attempt === 1 ? name : name.replace(/\.json$/, `-${attempt}.json`),
    );
    if (fs.existsSync(target)) continue;
    fs.copyFileSync(file, target, fs.constants.COPYFILE_EXCL);
    return target;
  }
}

/**
 * `wfs init`: writes project-tech.json (analysis) and project-guidelines.json (scaffold) where they
 * are missing or damaged. With `force`, re-analyses and replaces project-tech.json, keeping the old
 * one in `.workflow/.backups/`. The guidelines hold what people wrote, so they are never replaced
 * while they are valid.
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

    let tech: ProjectTech | undefined;
    if (techText !== undefined) {
      const checked = checkProjectFile(projectTechSchema, techText);
      if (checked.ok) tech = checked.value;
      else {
        warnings.push(
          `project-tech.json is damaged (${checked.reason}); re-analysing, the old file is kept aside`,
        );
        backups.push(keepBackup(ctx, layout.techPath, now));
      }
    }
    if (tech === undefined || options.force) {
      if (tech !== undefined) backups.push(keepBackup(ctx, layout.techPath, now));
      tech = analyzeProject(ctx);
      writeJsonAtomic(layout.techPath, tech);
      written.push(layout.techPath);
    }

    let writeGuidelines = guidelinesText === undefined;
    if (guidelinesText !== undefined) {
      const checked = checkProjectFile(projectGuidelinesSchema, guidelinesText);
      if (!checked.ok) {
        warnings.push(
          `project-guidelines.json is damaged (${checked.reason}); a new scaffold was written, the old file is kept aside`,
        );
        backups.push(keepBackup(ctx, layout.guidelinesPath, now));
        writeGuidelines = true;
      }
    }
    if (writeGuidelines) {
      writeJsonAtomic(layout.guidelinesPath, guidelinesScaffold(tech.project_name, now));
      written.push(layout.guidelinesPath);
    }

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
