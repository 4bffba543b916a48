import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the embedded backend keeps coordination state (SPEC 1): under the git common directory
 * (`<common>/wfs/`), so every worktree of a repository shares it; `.workflow/.coord/` outside git.
 * Found without spawning git: a worktree's `.git` file names its git dir, whose `commondir` file
 * names the shared one.
 */
export function gitCommonDir(root: string): string | undefined {
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
    return path.resolve(gitDir, common);
  } catch {
    return gitDir;
  }
}

/**
 * The embedded backend's folder. The git common directory is resolved through realpath: a
 * worktree's `.git` file may name it through a symlinked path, and every write below it is checked
 * for links (store/safe-path.ts), which must see its canonical path.
 */
export function coordinationDir(root: string): string {
  const common = gitCommonDir(root);
  if (common === undefined) return path.join(root, '.workflow', '.coord');
  let canonical = common;
  try {
    canonical = fs.realpathSync.native(common);
  } catch {
    // Not there (a damaged worktree link): the folder is made, or fails clearly, at the first write.
  }
  return path.join(canonical, 'wfs');
}
