import fs from 'node:fs';
import path from 'node:path';
import { gitCommonDir } from '../store/git.js';

export { gitCommonDir };

/**
 * Where the embedded backend keeps coordination state (SPEC 1): under the git common directory
 * (`<common>/wfs/`, store/git.ts), so every worktree of a repository shares it;
 * `.workflow/.coord/` outside git.
 */
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
