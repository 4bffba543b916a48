import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gitCommonDir } from '../coord/location.js';
import { type IdentitySource, normaliseRemoteUrl, type WfsConfig } from '../core/config.js';

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
 * The root commit of HEAD's history. With several (merged histories), the smallest hash, so that
 * every clone picks the same one.
 */
function rootCommit(root: string): string | undefined {
  const run = spawnSync('git', ['rev-list', '--max-parents=0', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (run.status !== 0 || typeof run.stdout !== 'string') return undefined;
  const roots = run.stdout.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  return roots.sort()[0];
}

export function projectIdentity(root: string, config: WfsConfig, env: NodeJS.ProcessEnv): ProjectIdentity {
  if (env.WFS_PROJECT_ID) return { id: env.WFS_PROJECT_ID, source: 'WFS_PROJECT_ID' };
  if (config.project_id) return { id: config.project_id, source: 'config.json' };
  const origin = originUrl(root);
  if (origin) return { id: normaliseRemoteUrl(origin), source: 'origin' };
  if (gitCommonDir(root) !== undefined) {
    const commit = rootCommit(root);
    if (commit) return { id: `git:${commit}`, source: 'root-commit' };
  }
  return { id: `path:${root}`, source: 'root-path' };
}
