import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { gitCommonDir } from '../store/git.js';

/**
 * Keeping what `wfs install` writes for one person out of git: Claude Code's personal files
 * (`.claude/settings.local.json`, `CLAUDE.local.md`) and the install's own record
 * (`.workflow/.install/`, which holds this machine's paths and copies of the files as they were)
 * would otherwise show in `git status` and could be committed. They go in a marked block of
 * `<git-common-dir>/info/exclude`, the repository's own ignore list that is never committed (a
 * `.gitignore` is the team's file, and a line there would be a change to review); every worktree
 * reads it, each against its own top-level. So the block lists what the installs of every worktree
 * of the repository need (their lines are the same in each: paths from the top-level), and goes
 * only with the last of them; each install record keeps what is needed to take it out again, so
 * that whichever worktree uninstalls last restores the file byte for byte. Git ignores only
 * untracked files, so a file the team already commits stays tracked whatever the block says.
 */

export const EXCLUDE_BEGIN = '# wfs:begin (written by wfs install; wfs uninstall removes it)';
export const EXCLUDE_END = '# wfs:end';

/** What the manifest keeps of the block, to take it out exactly. */
export interface ExcludeRecord {
  path: string;
  /** Whether wfs made the file (it goes when the block was all it held). */
  created: boolean;
  /** What wfs put before the block so that it starts on a line of its own (taken out with it). */
  prefix: string;
  /** Folders the file needed that were not there (`info/` of a repository made without templates). */
  dirs: string[];
}

/** The top-level of the git worktree holding `root` (the folder with `.git`), if any. */
function topLevelOf(root: string): string | undefined {
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Where the block goes for a project, and the top-level of its worktree; undefined outside git. */
export function excludeTarget(root: string): { file: string; top: string } | undefined {
  const top = topLevelOf(root);
  const common = top === undefined ? undefined : gitCommonDir(top);
  if (top === undefined || common === undefined) return undefined;
  return { file: path.join(common, 'info', 'exclude'), top };
}

/**
 * A file's line in the block: its path from the top-level of its worktree, anchored there with a
 * leading slash (git reads the shared file against each worktree's own top-level, so the line is
 * the same for the same file of every worktree), git's wildcards in a name escaped.
 */
export function excludePattern(top: string, file: string): string {
  return `/${path
    .relative(top, file)
    .split(path.sep)
    .join('/')
    .replace(/[*?[\\]/g, (c) => `\\${c}`)}`;
}

/**
 * The top-levels of every worktree of the repository that holds the worktree `top` (this one
 * included), as git lists them: they all read the one exclude file, so the block is what all of
 * their installs need. A bare repository's own folder is no worktree; a worktree whose folder is
 * gone (git calls it prunable) has no install left. git is asked (the layout of `worktrees/` is
 * git's own business); where it cannot answer, the install stops with why rather than write a
 * block that could leave out what another worktree needs.
 */
export function worktreesOf(top: string): string[] {
  // The worktree is named by its folder, never by variables of a git command wfs may run under.
  const env = { ...process.env };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_INDEX_FILE']) delete env[name];
  const run = spawnSync('git', ['worktree', 'list', '--porcelain', '-z'], {
    cwd: top,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const failed = run.error?.message ?? (run.status === 0 ? undefined : run.stderr.trim().split('\n')[0]);
  if (failed !== undefined)
    throw new WfsError(
      'E_IO',
      `git worktree list failed in ${top} (${failed}): the worktrees sharing the git exclude list could not be found; nothing was written`,
    );
  const tops: string[] = [];
  let current: string | undefined;
  const close = () => {
    if (current === undefined) return;
    try {
      tops.push(fs.realpathSync.native(current));
    } catch {
      // its folder is gone: nothing of it needs the block
    }
    current = undefined;
  };
  for (const field of run.stdout.split('\0')) {
    if (field.startsWith('worktree ')) {
      close();
      current = field.slice('worktree '.length);
    } else if (field === 'bare') current = undefined;
  }
  close();
  return tops;
}

/** The block listing `patterns`, in the file's line ending. */
export function excludeBlock(patterns: readonly string[], eol: string): string {
  return [EXCLUDE_BEGIN, ...patterns, EXCLUDE_END, ''].join(eol);
}

function findBlock(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf(EXCLUDE_BEGIN);
  if (start < 0) return undefined;
  const close = text.indexOf(EXCLUDE_END, start);
  if (close < 0) return undefined;
  let end = close + EXCLUDE_END.length;
  if (text.startsWith('\r\n', end)) end += 2;
  else if (text.startsWith('\n', end)) end += 1;
  return { start, end };
}

export function readExclude(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The file's text with the block listing `patterns` (in place of the one there, or appended on a
 * line of its own), and what was put before an appended block.
 */
export function withBlock(
  text: string,
  patterns: readonly string[],
): { text: string; appended: boolean; prefix: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = excludeBlock(patterns, eol);
  const found = findBlock(text);
  if (found !== undefined)
    return { text: text.slice(0, found.start) + block + text.slice(found.end), appended: false, prefix: '' };
  const prefix = text === '' ? '' : text.endsWith(eol) ? eol : eol + eol;
  return { text: text + prefix + block, appended: true, prefix };
}

/** The file's text without the block and what wfs put before it; unchanged when there is none. */
export function withoutBlock(text: string, prefix: string): string {
  const found = findBlock(text);
  if (found === undefined) return text;
  const start =
    prefix !== '' && text.slice(0, found.start).endsWith(prefix) ? found.start - prefix.length : found.start;
  return text.slice(0, start) + text.slice(found.end);
}
