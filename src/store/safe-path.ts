import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';

/**
 * SPEC 1: wfs never follows a symbolic link when it writes inside `.workflow/` or the coordination
 * state. A cloned repository can carry links (`.process/ -> ~/.ssh`), and a write through one would
 * land outside the repository. Every writer creates or checks its folder here first:
 * - a folder is proven link-free once per process: `lstat` walks up to the deepest folder that
 *   exists (refusing a link on the way), `realpath` of that one must be itself (no link above it),
 *   and the missing folders are then made one by one (`mkdir` never follows a link at the name it
 *   creates: it fails with EEXIST);
 * - files are written by temp file and rename (the temp file is created with O_EXCL, which refuses
 *   a link, and rename replaces a link instead of following it) or opened with O_NOFOLLOW.
 * Paths are expected absolute and normalised, with the project root and the git common directory
 * resolved through realpath once (see openProject and coordinationDir), so links *above* them, a
 * symlinked home folder say, are allowed.
 */

/** Folders proven to be reached without a link in this process: the check costs a syscall or two once. */
const proven = new Set<string>();

function linkError(at: string, target: string): WfsError {
  return new WfsError(
    'E_SYMLINK',
    `${at} is a symbolic link: wfs does not write through links inside its state (it would write outside the project). Replace it with a real folder or file, or remove it. Nothing was written to ${target}.`,
    { details: { path: at } },
  );
}

/** Makes `dir` (and its missing parents) and proves that no symbolic link leads to it. */
export function ensureDirectory(dir: string): void {
  proveDirectory(dir, true);
}

/**
 * Proves that no symbolic link leads to `dir`; with `create`, makes it (and its missing parents)
 * first. Without, a missing folder is the ENOENT of the write that needed it.
 */
export function proveDirectory(dir: string, create = false): void {
  if (proven.has(dir)) return;
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(existing);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || !create) throw error;
      missing.push(existing);
      const parent = path.dirname(existing);
      if (parent === existing) throw error;
      existing = parent;
      continue;
    }
    if (stat.isSymbolicLink()) throw linkError(existing, dir);
    if (!stat.isDirectory())
      throw new WfsError(
        'E_IO',
        `a file stands where a folder belongs: ${existing} is not a folder (wfs needs a folder there to write ${dir}) (ENOTDIR)`,
        {
          details: { path: existing },
        },
      );
    break;
  }
  if (!proven.has(existing)) {
    const real = fs.realpathSync.native(existing);
    if (real !== existing) throw linkError(existing, dir);
    proven.add(existing);
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      // Made by another process meanwhile, or a link planted there: only a real folder will do.
      const stat = fs.lstatSync(folder);
      if (stat.isSymbolicLink()) throw linkError(folder, dir);
      if (!stat.isDirectory())
        throw new WfsError(
          'E_IO',
          `a file stands where a folder belongs: ${folder} is not a folder (wfs needs a folder there to write ${dir}) (ENOTDIR)`,
          {
            details: { path: folder },
          },
        );
    }
    proven.add(folder);
  }
  proven.add(dir);
}

/** Forgets what this process proved (a test that plants links after a first write). */
export function forgetProvenDirectories(): void {
  proven.clear();
}

/**
 * Opens a file of ours for appending (a log), never through a link: O_NOFOLLOW refuses a link at the
 * file's own name, ensureDirectory one on its way. O_APPEND: each write lands whole at the end.
 */
export function openForAppend(file: string, options?: { read?: boolean }): number {
  ensureDirectory(path.dirname(file));
  try {
    return fs.openSync(
      file,
      (options?.read ? fs.constants.O_RDWR : fs.constants.O_WRONLY) |
        fs.constants.O_APPEND |
        fs.constants.O_CREAT |
        fs.constants.O_NOFOLLOW,
      0o644,
    );
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') throw linkError(file, file);
    throw error;
  }
}

/**
 * Opens an existing file of ours to overwrite bytes in place (pwrite), never through a link. No
 * O_APPEND: on Linux it makes every pwrite land at the end whatever the position asked for.
 */
export function openForUpdate(file: string): number {
  try {
    return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW);
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') throw linkError(file, file);
    throw error;
  }
}

/**
 * Reads a file of ours without following a link at its name: undefined when it does not exist,
 * `{link: true}` when a link stands there (the caller treats it as damage).
 */
export function readOwnFile(file: string): { text: string } | { link: true } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') return { link: true };
    throw error;
  }
  try {
    return { text: fs.readFileSync(fd, 'utf8') };
  } finally {
    fs.closeSync(fd);
  }
}
