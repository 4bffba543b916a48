import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { CheckReporter } from './checks.js';
import { ensureDirectory, openForAppend, openForUpdate, proveDirectory } from './safe-path.js';
import { uniqueSuffix } from './unique.js';

export interface FileWrite {
  path: string;
  /** Several parts are written one after the other (writev), without joining them first. */
  data: string | Uint8Array | readonly Uint8Array[];
}

/** Temp files are named so that `wfs doctor` can recognise (and sweep) the orphans of a crash. */
export const TEMP_SUFFIX = '.wfs-tmp';

function tempPathFor(target: string): string {
  return `${target}.${uniqueSuffix()}${TEMP_SUFFIX}`;
}

function writeAndSync(tempPath: string, data: FileWrite['data'], durable = true): void {
  // 'wx' (O_EXCL): never write through a file someone else created at our temp name.
  const fd = fs.openSync(tempPath, 'wx', 0o644);
  try {
    if (Array.isArray(data)) writeAllParts(fd, data);
    else fs.writeFileSync(fd, data as string | Uint8Array);
    // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeAllParts(fd: number, parts: readonly Uint8Array[]): void {
  let pending = parts.filter((part) => part.length > 0);
  while (pending.length > 0) {
    let written = fs.writevSync(fd, pending as Uint8Array[]);
    // writev may write less than asked: drop what was written and go on with the rest.
    const rest: Uint8Array[] = [];
    for (const part of pending) {
      if (written >= part.length) written -= part.length;
      else {
        rest.push(part.subarray(written));
        written = 0;
      }
    }
    pending = rest;
  }
}

export function syncDirectory(dir: string): void {
  // fsync of the directory makes the rename itself durable: an acknowledged write survives a crash.
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
    if (errnoCode(error) !== 'EINVAL' && errnoCode(error) !== 'EISDIR') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes several files so that each is either its old or its new version after a crash at any
 * instant (temp file, fsync, rename), and every one is durable when this returns (one fsync per
 * distinct directory, after all renames). Files are renamed in the order given: put the one that
 * commits the change last.
 */
export function writeFilesAtomic(files: readonly FileWrite[], options?: { durable?: boolean }): void {
  // `durable: false` keeps the atomicity (temp file and rename: a reader never sees half a file,
  // a killed process leaves the old or the new version) without the fsyncs; only for state whose
  // loss in a machine crash is harmless by design (see coord/local/leases.ts).
  const durable = options?.durable !== false;
  // Never through a link (SPEC 1): each folder is proven link-free (once per process) before the
  // temp file is made; the temp file's O_EXCL and the rename then cannot follow one either.
  for (const file of files) proveDirectory(path.dirname(file.path));
  const written: { temp: string; target: string }[] = [];
  try {
    for (const file of files) {
      const temp = tempPathFor(file.path);
      written.push({ temp, target: file.path });
      writeAndSync(temp, file.data, durable);
    }
  } catch (error) {
    for (const { temp } of written) removeFileIfExists(temp);
    // A write that fails on its descriptor (EFBIG, ENOSPC, EIO) carries no path: name the file.
    throw withPath(error, written.at(-1)?.target ?? files[0]!.path);
  }
  const directories = new Set<string>();
  for (const { temp, target } of written) {
    fs.renameSync(temp, target);
    directories.add(path.dirname(target));
  }
  if (durable) for (const dir of directories) syncDirectory(dir);
}

export function writeFileAtomic(
  target: string,
  data: FileWrite['data'],
  options?: { durable?: boolean },
): void {
  writeFilesAtomic([{ path: target, data }], options);
}

/**
 * Replaces `target` as writeFileAtomic would (temp file, fsync, rename, fsync of the folder) with
 * its first `keep` bytes followed by `tail`, without reading those bytes into memory or writing
 * them back from it: the temp file is a copy the kernel makes (a reflink where the filesystem has
 * them, else a copy inside the kernel), then `tail` is written at `keep` and the file cut after it.
 * For a large file whose end changes (the archive manifest, 4 MB at 10,000 sessions, where reading
 * it into a buffer and writing it out again took ~11 ms, measured with strace). The caller holds
 * the lock under which `target` is read and replaced.
 */
export function replaceTailAtomic(target: string, keep: number, tail: Uint8Array): void {
  copyThenRename(target, target, true, (temp) => {
    // The copy has the file's own mode: one its owner may not write (a read-only manifest, which
    // a rename replaces all the same) gets the owner's write bit, or the open would fail.
    const { mode } = fs.statSync(temp);
    if ((mode & 0o200) === 0) fs.chmodSync(temp, (mode & 0o7777) | 0o200);
    const fd = fs.openSync(temp, 'r+');
    try {
      writeAllAt(fd, tail, keep);
      fs.ftruncateSync(fd, keep + tail.length);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Copies `source` to `target` so that `target` is either absent or whole after a kill at any
 * instant: copied to a temp file, then renamed into place (a copy straight to `target` leaves an
 * empty or partial file there when the process dies mid-copy, and that file then passes for a
 * backup). The caller has made sure, under its lock, that `target` is not there.
 */
export function copyFileAtomic(source: string, target: string, options?: { durable?: boolean }): void {
  copyThenRename(source, target, options?.durable !== false);
}

/**
 * `source` copied by the kernel to a temp file beside `target` (FICLONE: a reflink where the
 * filesystem has them, btrfs or XFS, else a copy in the kernel), changed by `change`, made durable
 * and renamed over `target`; the temp file removed if anything fails.
 */
function copyThenRename(
  source: string,
  target: string,
  durable: boolean,
  change?: (temp: string) => void,
): void {
  proveDirectory(path.dirname(target));
  const temp = tempPathFor(target);
  try {
    fs.copyFileSync(source, temp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    change?.(temp);
    if (durable) {
      // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
      const fd = fs.openSync(temp, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    fs.renameSync(temp, target);
  } catch (error) {
    removeFileIfExists(temp);
    throw withPath(error, target);
  }
  if (durable) syncDirectory(path.dirname(target));
}

export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/** Sizes of an append-only file before and after an append (a caller's cue to compact it). */
export interface Appended {
  before: number;
  after: number;
}

const NEWLINE = 0x0a;

/** The bytes to append after a file of `size` bytes whose last byte is `last`: a torn line ended first. */
function endTornLine(data: Buffer, size: number, last: number | undefined): Buffer {
  return size > 0 && last !== NEWLINE ? Buffer.concat([Buffer.from('\n'), data]) : data;
}

/** The file's last byte, or undefined when it is empty. */
export function lastByte(fd: number, size: number): number | undefined {
  if (size === 0) return undefined;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  return last[0];
}

function writeAllAt(fd: number, data: Uint8Array, position: number): void {
  // pwrite may write less than asked (a signal, a full disk): go on from where it stopped.
  for (let done = 0; done < data.length; )
    done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

/**
 * Appends lines (each ending in a newline) to an append-only file of ours, durably, never through a
 * link. A line cut short by a crash during an earlier append (the last byte is no newline) is ended
 * first, so the new lines start on a line of their own: the torn one stays a damaged line that
 * readers skip, and never swallows what follows. Writers that append more than one 4 KiB line at
 * a time, or rely on the torn-line check, must hold a lock across the call.
 */
export function appendLinesDurably(file: string, text: string): Appended {
  const fd = openForAppend(file, { read: true });
  try {
    const before = fs.fstatSync(fd).size;
    const data = endTornLine(Buffer.from(text), before, lastByte(fd, before));
    writeAllParts(fd, [data]);
    // The lines are acknowledged when the caller returns: on disk by then. fdatasync also makes
    // the new size durable (it is needed to read the data back), and skips the mtime.
    fs.fdatasyncSync(fd);
    // A file this append created: its name must survive a crash too.
    if (before === 0) syncDirectory(path.dirname(file));
    return { before, after: before + data.length };
  } catch (error) {
    // ENOSPC, EFBIG, EIO on the descriptor carry no path: name the file.
    throw withPath(error, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes to overwrite in place: `data` at `position`. */
export interface Overwrite {
  position: number;
  data: Uint8Array;
}

/**
 * Overwrites ranges of an existing file of ours in place (one pwrite each) and appends `append`
 * after them (a torn last line ended first), then one fdatasync for all of it. The caller computed
 * the positions from the file's bytes as it read them, `expectedSize` long: when the file has
 * another size now it changed since, nothing is written and the result is false (the caller
 * rewrites it whole instead). Writers must hold a lock across the read and this call.
 */
export function patchFileDurably(
  file: string,
  expectedSize: number,
  overwrites: readonly Overwrite[],
  append = '',
): boolean {
  const fd = openForUpdate(file);
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== expectedSize) return false;
    for (const { position, data } of overwrites) {
      if (position < 0 || position + data.length > size)
        throw new RangeError(
          `overwrite of ${data.length} bytes at ${position} is outside ${file} (${size} bytes)`,
        );
      writeAllAt(fd, data, position);
    }
    if (append !== '') writeAllAt(fd, endTornLine(Buffer.from(append), size, lastByte(fd, size)), size);
    // Acknowledged when the caller returns: the change is on disk by then, as a rename's would be.
    fs.fdatasyncSync(fd);
    return true;
  } catch (error) {
    throw withPath(error, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends one line (under 4 KiB, so it lands whole next to concurrent appends) and makes it durable. */
export function appendLineDurably(file: string, line: string): void {
  appendLinesDurably(file, line);
}

/** Creates a directory (EEXIST if it is there) and makes its entry durable in the parent. */
export function makeDirectoryDurable(dir: string): void {
  ensureDirectory(path.dirname(dir));
  fs.mkdirSync(dir);
  syncDirectory(path.dirname(dir));
}

/**
 * A read's system error names its file: Node leaves the path out when the open succeeded and the
 * read failed (EISDIR: a folder where a file belongs), and the message must say which file it is.
 */
export function withPath(error: unknown, file: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (errnoCode(error) !== undefined && e.path === undefined) e.path = file;
  return error;
}

export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw withPath(error, file);
  }
}

/**
 * Removes a file if it is there. Not `fs.rmSync(file, {force: true})`: its first call loads Node's
 * recursive-removal module (~0.5-1 ms of a CLI start) to delete one file.
 */
export function removeFileIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export function checkTempFiles(report: CheckReporter): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(report.layout.workflowDir, { recursive: true }) as string[];
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const kept = entries.filter((e) => /\.corrupt-[0-9T-]+Z?$/.test(e) && !e.startsWith(`.backups${path.sep}`));
  if (kept.length > 0) {
    report.info(
      'kept-aside',
      `${kept.length} damaged file(s) kept aside after a restore (${kept.slice(0, 3).join(', ')})`,
    );
  }
  const orphans = entries.filter((e) => e.endsWith(TEMP_SUFFIX) && !e.startsWith(`.backups${path.sep}`));
  if (orphans.length === 0) return;
  report.problem(
    'temp-files',
    `${orphans.length} temp file(s) left by interrupted writes (${orphans.slice(0, 3).join(', ')})`,
    () => {
      for (const orphan of orphans) report.moveAside(path.join(report.layout.workflowDir, orphan));
      return 'moved aside to .workflow/.backups/';
    },
  );
}
