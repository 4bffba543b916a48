import fs from 'node:fs';
import path from 'node:path';

/**
 * A repository's git folders, found without spawning git (a `git` process costs ~5 ms of a CLI
 * start): a worktree's `.git` file names its git dir, whose `commondir` file names the shared one.
 * Asked several times per command (the identity, the coordination folder, the root commit), so
 * found once per root and process: a repository does not change its git layout under a command,
 * and a long-lived process (the dashboard, the MCP server) keeps serving the same repository.
 */
const found = new Map<string, { gitDir: string; common: string }>();

function locate(root: string): { gitDir: string; common: string } | undefined {
  const dotGit = path.join(root, '.git');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dotGit);
  } catch {
    return undefined;
  }
  let gitDir = dotGit;
  if (stat.isFile()) {
    const match = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    if (!match) return undefined;
    gitDir = path.resolve(root, match[1]!.trim());
  }
  try {
    const common = fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim();
    return { gitDir, common: path.resolve(gitDir, common) };
  } catch {
    return { gitDir, common: gitDir };
  }
}

function lookup(root: string): { gitDir: string; common: string } | undefined {
  const known = found.get(root);
  if (known !== undefined) return known;
  // Only what was found is kept: a folder without git may become a repository (git init) later.
  const located = locate(root);
  if (located !== undefined) found.set(root, located);
  return located;
}

/** The git folder of this worktree (`.git`, or the one a worktree's `.git` file names). */
export function gitDir(root: string): string | undefined {
  return lookup(root)?.gitDir;
}

/** The git folder every worktree of the repository shares. */
export function gitCommonDir(root: string): string | undefined {
  return lookup(root)?.common;
}
