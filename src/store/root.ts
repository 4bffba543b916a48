import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';

export type RootSource = 'flag' | 'env' | 'workflow' | 'git' | 'cwd';

export interface RootDiscovery {
  root: string;
  source: RootSource;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function explicitRoot(dir: string, source: 'flag' | 'env', cwd: string): RootDiscovery {
  const label = source === 'flag' ? '--root' : 'WFS_ROOT';
  if (dir.includes('\0')) throw new WfsError('E_INVALID_INPUT', `${label} contains a NUL character`);
  const root = path.resolve(cwd, dir);
  if (!isDirectory(root)) throw new WfsError('E_NO_ROOT', `${label} ${root} is not a directory`);
  return { root, source };
}

/**
 * SPEC 1: `--root`, else `$WFS_ROOT`, else the nearest ancestor with `.workflow/`, else the git
 * top-level. The search for `.workflow/` stops at the repository's top-level (a `.git` folder, or a
 * `.git` file in a worktree or submodule), so a stray `.workflow/` in a parent folder never captures
 * a repository of its own, and a subfolder of a repository never becomes a root by accident.
 * Outside any repository with no `.workflow/` above, the working directory is the root.
 * Git is not spawned: walking up with a few stat calls costs microseconds, a `git` process ~5 ms.
 */
export function findRoot(options: {
  root?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd: string;
}): RootDiscovery {
  if (options.root !== undefined) return explicitRoot(options.root, 'flag', options.cwd);
  const fromEnv = options.env?.WFS_ROOT;
  if (fromEnv) return explicitRoot(fromEnv, 'env', options.cwd);

  let dir = path.resolve(options.cwd);
  for (;;) {
    if (isDirectory(path.join(dir, '.workflow'))) return { root: dir, source: 'workflow' };
    if (exists(path.join(dir, '.git'))) return { root: dir, source: 'git' };
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { root: path.resolve(options.cwd), source: 'cwd' };
}
