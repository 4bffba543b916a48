import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, isWfsError, WfsError } from '../../core/errors.js';
import { withPath, writeFileAtomic } from '../../store/atomic.js';
import { ensureDirectory, forgetProvenDirectories, proveDirectory } from '../../store/safe-path.js';

/**
 * How the embedded backend touches its files (SPEC 1: never through a symbolic link where it
 * writes). Every file is opened with O_NOFOLLOW: a link where a record should be is damage, read as
 * such and refused for writing (E_SYMLINK), never followed. O_NONBLOCK: a FIFO planted there cannot
 * hang a reader. Folders are proven free of links by store/safe-path.ts before the first write.
 */

const { O_RDONLY, O_WRONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export function linkError(file: string): WfsError {
  return new WfsError(
    'E_SYMLINK',
    `${file} is a symbolic link: wfs does not write through links inside its coordination state (it would write outside it). Remove it, or run \`wfs doctor --fix\` to move it aside.`,
    { details: { path: file } },
  );
}

/**
 * Runs `write` in `dir`, which is made and proven free of links first (once per process). A folder
 * removed by hand since this process proved it (a "clear the stuck state" step) is made again.
 */
export function inFolder<T>(dir: string, write: () => T): T {
  ensureDirectory(dir);
  try {
    return write();
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    forgetProvenDirectories();
    ensureDirectory(dir);
    return write();
  }
}

/**
 * Whether `dir` is reached without a link (proven once per process, store/safe-path.ts): O_NOFOLLOW
 * guards a file's own name only, so a file is read, listed or removed only in a proven folder.
 */
export function folderState(dir: string): 'ok' | 'missing' | 'link' {
  try {
    proveDirectory(dir);
    return 'ok';
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (isWfsError(error) && (error.code === 'E_SYMLINK' || error.code === 'E_IO')) return 'link';
    throw error;
  }
}

export type FileRead =
  | { kind: 'absent' }
  | { kind: 'link' }
  /** Not a regular file we can read (a folder, say): damage. */
  | { kind: 'other' }
  | { kind: 'text'; text: string; size: number };

let scratch = Buffer.allocUnsafe(4096);

/**
 * Opens a file of ours for reading without following a link, in its folder or at its name (a link
 * there is reported, never read through); a folder or a file that is not there is `absent`.
 */
function openOwn(file: string): number | FileRead {
  const folder = folderState(path.dirname(file));
  if (folder !== 'ok') return { kind: folder === 'missing' ? 'absent' : 'link' };
  try {
    // O_NONBLOCK: a FIFO planted in its place does not block the open.
    return fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    if (code === 'ELOOP') return { kind: 'link' };
    throw error;
  }
}

/** Reads at most `max` bytes of a file of ours (`size` tells whether there was more). */
export function readOwn(file: string, max: number): FileRead {
  const fd = openOwn(file);
  if (typeof fd !== 'number') return fd;
  try {
    // One buffer for every read of this process (the text is decoded out of it at once): a
    // listing of thousands of entries allocates nothing per entry.
    if (scratch.length < max + 1) scratch = Buffer.allocUnsafe(max + 1);
    const buffer = scratch;
    let length: number;
    try {
      length = fs.readSync(fd, buffer, 0, max + 1, 0);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EISDIR' || code === 'EAGAIN' || code === 'EINVAL') return { kind: 'other' };
      throw error;
    }
    return { kind: 'text', text: buffer.toString('utf8', 0, Math.min(length, max)), size: length };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole file of ours (for the rare full reads: a scan, the doctor, compaction). */
export function readWholeOwn(file: string): FileRead {
  const fd = openOwn(file);
  if (typeof fd !== 'number') return fd;
  try {
    if (!fs.fstatSync(fd).isFile()) return { kind: 'other' };
    const text = fs.readFileSync(fd, 'utf8');
    return { kind: 'text', text, size: Buffer.byteLength(text) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a fixed-size record in place with one `pwrite` at offset 0 (padded with spaces, ending
 * in a newline): a killed process cannot tear a single write of under a page, and there is no
 * temp file and no rename (a rename cost ~0.23 ms here, half of an acquire+release pair).
 * A record that does not exist yet is made whole by temp file and rename instead: created in place,
 * a kill between the open and the write would leave an empty file under the record's name (seen in
 * the torture suite's aimed kills), which reads as damage. That costs the rename once per name.
 * `oldSize`: the size the caller read in the same critical section; a different one is cut back.
 */
export function writeFixedRecord(
  file: string,
  value: unknown,
  bytes: number,
  options: { oldSize?: number; durable: boolean; what: string },
): void {
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) >= bytes)
    throw new WfsError('E_INVALID_INPUT', `${options.what} is too large to record (fields too long)`);
  const record = Buffer.alloc(bytes, 0x20);
  record.write(text, 0, 'utf8');
  record[bytes - 1] = 0x0a;
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ELOOP') throw linkError(file);
    if (code !== 'ENOENT') throw error;
    // Under the coordination lock: nobody else makes this name meanwhile, and the rename cannot
    // replace a link (a link at the name would have been ELOOP above).
    writeFileAtomic(file, record, { durable: options.durable });
    return;
  }
  try {
    fs.writeSync(fd, record, 0, bytes, 0);
    if (options.oldSize !== undefined && options.oldSize > bytes) fs.ftruncateSync(fd, bytes);
    // Only where there is no boot id: elsewhere a machine crash voids what these records hold
    // (the holders are gone, and the new boot moves the epoch on).
    if (options.durable) fs.fsyncSync(fd);
  } catch (error) {
    // A write that fails on its descriptor (EFBIG, ENOSPC, EIO) carries no path: name the file.
    throw withPath(error, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether a link (or anything but a regular file) stands at `file`; false when nothing does. */
export function occupiedByNonFile(file: string): 'link' | 'other' | false {
  try {
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink()) return 'link';
    return stat.isFile() ? false : 'other';
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Removes a file of ours; `unlink` never follows a link at the name (it removes the link itself),
 * and the folder is proven first (a link to it is an E_SYMLINK).
 */
export function removeIfThere(file: string): boolean {
  try {
    proveDirectory(path.dirname(file));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Names in a folder of ours, [] when it is not there, or not reached without a link. */
export function namesIn(dir: string): string[] {
  if (folderState(dir) !== 'ok') return [];
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/** Whether `dir` is a real folder reached without a link (listing through a link would follow it). */
export function isRealFolder(dir: string): boolean {
  if (folderState(path.dirname(dir)) !== 'ok') return false;
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** A 64-bit FNV-1a hash as 16 hex digits: a short, stable file name for a long key (not a secret). */
function fnv1a64(text: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (const byte of Buffer.from(text, 'utf8')) {
    low = (low ^ byte) >>> 0;
    // Multiply by the 64-bit FNV prime 2^40 + 0x1b3, in 32-bit halves.
    const lowTimes = low * 0x1b3;
    const carry = Math.floor(lowTimes / 2 ** 32);
    const newHigh = (high * 0x1b3 + (low << 8) + carry) >>> 0;
    low = lowTimes >>> 0;
    high = newHigh;
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

/**
 * The file name of a key (lease names, result keys, sessions): the key itself with `/` as `%`
 * (neither `%` nor a NUL can be in a key, so it reads back one way). A key too long for a file
 * name (255 bytes) keeps its first 180 characters and a hash of the whole; the record holds the
 * whole key, so a reader checks it is the one asked for.
 */
export function fileNameOf(key: string, ext = '.json'): string {
  const plain = key.replaceAll('/', '%');
  if (plain.length <= 200) return `${plain}${ext}`;
  return `${plain.slice(0, 180)}~${fnv1a64(key)}${ext}`;
}

/** A folder's file of a key. */
export function fileOf(dir: string, key: string): string {
  return path.join(dir, fileNameOf(key));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isString = (value: unknown): value is string => typeof value === 'string';
export const isSafeInteger = (value: unknown): value is number => Number.isSafeInteger(value);
export const isStringOrNull = (value: unknown): value is string | null =>
  value === null || typeof value === 'string';
