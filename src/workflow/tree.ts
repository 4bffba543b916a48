import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { gitOutput } from './git.js';

/**
 * What a built-in's shared result is keyed by: the tree of HEAD plus the state of the working tree
 * (the diff against HEAD, and the names and contents of untracked files that are not ignored).
 * Two sessions on the same tree get the same key, so the second reuses the first's result; any
 * commit or edit changes it. Read-only: nothing is written to the repository (no `git stash
 * create`, no objects).
 */
export function treeKey(root: string): string {
  const tree = gitOutput(root, ['rev-parse', 'HEAD^{tree}'])?.trim();
  if (tree === undefined || !/^[0-9a-f]{40,64}$/.test(tree))
    throw new WfsError(
      'E_INVALID_STATE',
      'This workflow keys its result by the git tree: it needs a git repository with at least one commit',
    );
  // wfs's own state is not the project's: every run writes to it.
  const notOurs = ['--', '.', ':(exclude).workflow'];
  const diff =
    gitOutput(root, ['diff', 'HEAD', '--binary', '--no-ext-diff', '--no-color', ...notOurs], 'latin1') ?? '';
  const untracked = (gitOutput(root, ['ls-files', '--others', '--exclude-standard', '-z', ...notOurs]) ?? '')
    .split('\0')
    .filter(Boolean);
  if (diff === '' && untracked.length === 0) return tree;
  const hash = createHash('sha256').update(diff);
  for (const file of untracked.sort()) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(fs.readFileSync(path.join(root, file)));
    } catch {
      hash.update('(unreadable)');
    }
  }
  return `${tree}+${hash.digest('hex').slice(0, 16)}`;
}
