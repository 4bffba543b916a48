import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Directories never walked: dependencies, VCS data and our own state say nothing about the project. */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.workflow', '.hg', '.svn']);

/**
 * The walk is bounded so `wfs init` stays fast on a repository of any size: past this many files the
 * analysis works on what it saw and says so (`scan.truncated`).
 */
export const DEFAULT_FILE_LIMIT = 50_000;

export interface FileScan {
  /** Paths relative to the root, with `/`, sorted. */
  files: string[];
  source: 'git' | 'walk';
  truncated: boolean;
  limit: number;
  /** Why git was not used, when the project is a git checkout but the walk ran instead. */
  note?: string;
}

// The same names as one expression: git lists every file, and splitting each path cost more than this.
const SKIPPED_PART = new RegExp(
  `(^|/)(${[...ALWAYS_SKIPPED].map((name) => name.replace(/\./g, '\\.')).join('|')})(/|$)`,
);

function isSkipped(relativePath: string): boolean {
  return SKIPPED_PART.test(relativePath);
}

function hasGit(root: string): boolean {
  return fs.existsSync(path.join(root, '.git'));
}

/** Tracked and untracked-but-not-ignored files, exactly as git applies every .gitignore level. */
function scanWithGit(root: string, limit: number): FileScan | string {
  const result = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) return `git could not be run (${result.error.message})`;
  if (result.status !== 0) return `git ls-files failed: ${result.stderr.trim().split('\n')[0] ?? ''}`;
  const files: string[] = [];
  let truncated = false;
  const seen = new Set<string>();
  for (const file of result.stdout.split('\0')) {
    if (file === '' || isSkipped(file) || seen.has(file)) continue;
    if (files.length >= limit) {
      truncated = true;
      break;
    }
    seen.add(file);
    files.push(file);
  }
  return { files: files.sort(), source: 'git', truncated, limit };
}

function readIgnoreFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

interface IgnoreScope {
  base: string;
  rules: Ignore;
}

function isIgnored(scopes: readonly IgnoreScope[], relativePath: string, isDirectory: boolean): boolean {
  for (const scope of scopes) {
    const local = scope.base === '' ? relativePath : relativePath.slice(scope.base.length + 1);
    if (scope.rules.ignores(isDirectory ? `${local}/` : local)) return true;
  }
  return false;
}

/** A breadth-first walk honouring every .gitignore on the way (for folders that are not git checkouts). */
function scanByWalking(root: string, limit: number): FileScan {
  const files: string[] = [];
  let truncated = false;
  const queue: { dir: string; scopes: IgnoreScope[] }[] = [{ dir: '', scopes: [] }];
  while (queue.length > 0 && !truncated) {
    const { dir, scopes: parentScopes } = queue.shift()!;
    const absolute = path.join(root, dir);
    let scopes = parentScopes;
    const gitignore = readIgnoreFile(path.join(absolute, '.gitignore'));
    if (gitignore !== undefined) scopes = [...parentScopes, { base: dir, rules: ignore().add(gitignore) }];
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(absolute, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (ALWAYS_SKIPPED.has(entry.name)) continue;
      const relativePath = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!isIgnored(scopes, relativePath, true)) queue.push({ dir: relativePath, scopes });
      } else if (entry.isFile() && !isIgnored(scopes, relativePath, false)) {
        if (files.length >= limit) {
          truncated = true;
          break;
        }
        files.push(relativePath);
      }
    }
  }
  return { files: files.sort(), source: 'walk', truncated, limit };
}

export function scanRepository(root: string, limit = DEFAULT_FILE_LIMIT): FileScan {
  if (hasGit(root)) {
    const scan = scanWithGit(root, limit);
    if (typeof scan !== 'string') return scan;
    return { ...scanByWalking(root, limit), note: scan };
  }
  return scanByWalking(root, limit);
}
