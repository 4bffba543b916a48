import fs from 'node:fs';
import path from 'node:path';
import { type IdentitySource, normaliseRemoteUrl, type WfsConfig } from '../core/config.js';
import { writeFileAtomic } from './atomic.js';
import { gitCommonDir, gitDir } from './git.js';
import { ensureDirectory } from './safe-path.js';

/**
 * The project's identity (SPEC 5): the same in every clone on every machine, or cross-machine locks
 * protect nothing. `WFS_PROJECT_ID`, else `project_id` in config.json, else the normalised URL of
 * the remote `origin`, else the repository's root commit, else (no commits yet) the root path.
 */
export interface ProjectIdentity {
  id: string;
  source: IdentitySource;
}

/** The `url` of `[remote "origin"]` in the repository's git config, read without spawning git. */
function originUrl(root: string): string | undefined {
  const common = gitCommonDir(root);
  if (common === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(path.join(common, 'config'), 'utf8');
  } catch {
    return undefined;
  }
  let inOrigin = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inOrigin = /^\[remote\s+"origin"\]$/.test(line);
    else if (inOrigin) {
      const match = /^url\s*=\s*(.+)$/.exec(line);
      if (match) return match[1]!.trim().replace(/^"(.*)"$/, '$1');
    }
  }
  return undefined;
}

/**
 * Whether HEAD names a commit, read without spawning git: a branch with no commits yet has no ref
 * (loose or packed). Unsure (another ref storage) counts as yes.
 */
function hasCommits(root: string, common: string): boolean {
  let head: string;
  try {
    head = fs.readFileSync(path.join(gitDir(root) ?? path.join(root, '.git'), 'HEAD'), 'utf8').trim();
  } catch {
    return true;
  }
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (ref === undefined) return true;
  if (fs.existsSync(path.join(common, ref))) return true;
  try {
    return fs.readFileSync(path.join(common, 'packed-refs'), 'utf8').includes(` ${ref}\n`);
  } catch {
    return !fs.existsSync(path.join(common, 'refs'));
  }
}

/**
 * The root commit of HEAD's history. With several (merged histories), the smallest hash, so that
 * every clone picks the same one. Kept in `<git-common-dir>/wfs/root-commit` once found: `wfs
 * context` shows the identity on every agent turn, and spawning git costs more than the rest of
 * it. Only rewriting the first commit changes it; `wfs doctor` finds it afresh (fresh: true).
 */
export function rootCommit(root: string, common: string, fresh = false): string | undefined {
  const cache = path.join(common, 'wfs', 'root-commit');
  if (!fresh) {
    try {
      const cached = fs.readFileSync(cache, 'utf8').trim();
      if (/^[0-9a-f]{40,64}$/.test(cached)) return cached;
    } catch {
      // not found yet
    }
  }
  if (!hasCommits(root, common)) return undefined;
  const found = spawnRootCommit(root);
  if (found !== undefined) {
    try {
      ensureDirectory(path.dirname(cache));
      // Not fsynced: it can always be found again.
      writeFileAtomic(cache, `${found}\n`, { durable: false });
    } catch {
      // a read-only repository: found again next time
    }
  }
  return found;
}

function spawnRootCommit(root: string): string | undefined {
  // Loaded here, not at the top: node:child_process costs every CLI start a few milliseconds, and
  // this runs once per repository (the root commit is kept, see rootCommit).
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const run = spawnSync('git', ['rev-list', '--max-parents=0', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (run.status !== 0 || typeof run.stdout !== 'string') return undefined;
  const roots = run.stdout.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  return roots.sort()[0];
}

export function projectIdentity(
  root: string,
  config: WfsConfig,
  env: NodeJS.ProcessEnv,
  options: { fresh?: boolean } = {},
): ProjectIdentity {
  if (env.WFS_PROJECT_ID) return { id: env.WFS_PROJECT_ID, source: 'WFS_PROJECT_ID' };
  if (config.project_id) return { id: config.project_id, source: 'config.json' };
  const origin = originUrl(root);
  if (origin) return { id: normaliseRemoteUrl(origin), source: 'origin' };
  const common = gitCommonDir(root);
  if (common !== undefined) {
    const commit = rootCommit(root, common, options.fresh);
    if (commit) return { id: `git:${commit}`, source: 'root-commit' };
  }
  return { id: `path:${root}`, source: 'root-path' };
}
