import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { ensureDirectory } from '../../store/safe-path.js';
import { shapeEvent, thisHost } from '../rules.js';
import type { PublishInput, ReadEventsOptions, WfsEvent } from '../types.js';
import type { Sequence } from './counters.js';
import {
  folderState,
  inFolder,
  isRecord,
  isSafeInteger,
  isString,
  isStringOrNull,
  linkError,
  parseJson,
  readWholeOwn,
} from './records.js';
import type { LocalState } from './ttl-entries.js';

/**
 * Announcements of the embedded backend: one append-only log, `events.jsonl`, one event a line,
 * in the order they were published. IDs come from the counters (counters.ts), not from the log's
 * last line, so a damaged or deleted end of the log never makes an ID come again. Readers need no
 * lock: a line is appended with one write of under 4 KiB to a file opened with O_APPEND, so it
 * lands whole, and a reader skips a last line that has no newline yet, and any line that is not
 * an event (damage: the doctor reports it and rewrites the log without it).
 *
 * Reads cost what they return: the newest N are read from the end backwards, events after an ID
 * are found by a binary search over the file's bytes (IDs grow along the file), and a follower
 * reads only what was appended since its last read.
 */

// The log is cut back to its newest KEEP events once it holds CAP: readers from an older ID get
// what is left, oldest first.
const CAP = 20_000;
const KEEP = 10_000;
const CHUNK = 64 * 1024;
// A probe of the binary search reads this much: a few lines.
const PROBE = 8 * 1024;

const { O_RDONLY, O_RDWR, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export function eventsFile(dir: string): string {
  return path.join(dir, 'events.jsonl');
}

/** One line of the log as an event, or undefined when it is not one (torn, garbage, another shape). */
export function parseEvent(line: string): WfsEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  const value = parseJson(line);
  if (!isRecord(value)) return undefined;
  const { id, type, at, session, workspace, host, data } = value;
  if (!isSafeInteger(id) || id <= 0 || !isString(type) || !isString(at)) return undefined;
  if (!isStringOrNull(session) || !isString(host) || !isRecord(data)) return undefined;
  const where =
    isRecord(workspace) && isString(workspace.id) && isString(workspace.name)
      ? { workspace: { id: workspace.id, name: workspace.name } }
      : {};
  return { id, type, at, session, ...where, host, data };
}

/** The log opened for reading, never through a link (a link there reads as no log). */
function openLog(dir: string): { fd: number; size: number; ino: number } | undefined {
  if (folderState(dir) !== 'ok') return undefined;
  let fd: number;
  try {
    fd = fs.openSync(eventsFile(dir), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) {
    fs.closeSync(fd);
    return undefined;
  }
  return { fd, size: stat.size, ino: stat.ino };
}

/**
 * Calls `fn` with each complete line of [start, end) in order, and the offset after it, until it
 * returns false. Returns the offset after the last line given: a last piece without its newline
 * is left for the next read.
 */
function forwardLines(
  fd: number,
  start: number,
  end: number,
  fn: (line: string, next: number) => boolean,
  chunk = CHUNK,
): number {
  let offset = start;
  let pending = Buffer.alloc(0);
  while (offset + pending.length < end) {
    const want = Math.min(chunk, end - offset - pending.length);
    const read = Buffer.allocUnsafe(want);
    const got = fs.readSync(fd, read, 0, want, offset + pending.length);
    if (got === 0) break;
    const buffer =
      pending.length === 0 ? read.subarray(0, got) : Buffer.concat([pending, read.subarray(0, got)]);
    let lineStart = 0;
    for (;;) {
      const newline = buffer.indexOf(0x0a, lineStart);
      if (newline < 0) break;
      const line = buffer.toString('utf8', lineStart, newline);
      lineStart = newline + 1;
      if (!fn(line, offset + lineStart)) return offset + lineStart;
    }
    offset += lineStart;
    pending = buffer.subarray(lineStart);
  }
  return offset;
}

/** Calls `fn` with each complete line of the first `size` bytes, newest first, until it returns false. */
function backwardLines(fd: number, size: number, fn: (line: string) => boolean): void {
  let position = size;
  // The bytes after `position` not yet given: the start of a line that began before `position`.
  let rest = Buffer.alloc(0);
  let seenLast = false;
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    position -= length;
    const read = Buffer.allocUnsafe(length);
    fs.readSync(fd, read, 0, length, position);
    const buffer = rest.length === 0 ? read : Buffer.concat([read, rest]);
    let end = buffer.length;
    if (!seenLast) {
      // The piece after the last newline is being written, or torn: not an event yet.
      const last = buffer.lastIndexOf(0x0a);
      if (last < 0) {
        rest = buffer;
        continue;
      }
      end = last;
      seenLast = true;
    }
    for (;;) {
      const newline = end === 0 ? -1 : buffer.lastIndexOf(0x0a, end - 1);
      if (newline < 0) break;
      if (!fn(buffer.toString('utf8', newline + 1, end))) return;
      end = newline;
    }
    rest = buffer.subarray(0, end);
  }
  if (seenLast && rest.length > 0) fn(rest.toString('utf8'));
}

/**
 * The offset of the first line whose event is after `since`: a binary search over the bytes (each
 * probe reads the first event at or after a point), since IDs grow along the file. Lines that are
 * not events are stepped over. Everything before the offset returned is at or before `since`.
 */
function offsetAfter(fd: number, size: number, since: number): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const middle = low + Math.floor((high - low) / 2);
    // The line start at or after `middle`: after the first newline from `middle - 1` on.
    let start = 0;
    if (middle > 0) {
      start = -1;
      forwardLines(
        fd,
        middle - 1,
        size,
        (_line, next) => {
          start = next;
          return false;
        },
        PROBE,
      );
      if (start < 0) {
        high = middle;
        continue;
      }
    }
    let found: { id: number; next: number } | undefined;
    forwardLines(
      fd,
      start,
      size,
      (line, next) => {
        const event = parseEvent(line);
        if (event !== undefined) found = { id: event.id, next };
        return event === undefined;
      },
      PROBE,
    );
    if (found === undefined || found.id > since) high = middle;
    else low = found.next;
  }
  return low;
}

/** Events in order: after `since`, the oldest `limit` of them; without `since`, the newest `limit`. */
export function readEventLog(dir: string, options: ReadEventsOptions = {}): WfsEvent[] {
  const since = options.since ?? 0;
  const limit = options.limit ?? 1_000;
  if (limit <= 0) return [];
  const log = openLog(dir);
  if (log === undefined) return [];
  try {
    const events: WfsEvent[] = [];
    if (since <= 0) {
      backwardLines(log.fd, log.size, (line) => {
        const event = parseEvent(line);
        if (event !== undefined) events.push(event);
        return events.length < limit;
      });
      return events.reverse();
    }
    forwardLines(log.fd, offsetAfter(log.fd, log.size, since), log.size, (line) => {
      const event = parseEvent(line);
      if (event !== undefined && event.id > since) events.push(event);
      return events.length < limit;
    });
    return events;
  } finally {
    fs.closeSync(log.fd);
  }
}

/** Appends an event with the next ID (under the coordination lock, which orders IDs along the file). */
export async function appendEvent(
  state: LocalState,
  sequence: Sequence,
  input: PublishInput,
): Promise<WfsEvent> {
  const shaped = shapeEvent(input, thisHost(), new Date());
  const file = eventsFile(state.dir);
  return state.locked(() => {
    // The ID is counted before the line is written: a process killed in between skips an ID.
    const event: WfsEvent = { id: sequence.nextEventId(), ...shaped };
    const fd = inFolder(state.dir, () => {
      try {
        return fs.openSync(file, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o644);
      } catch (error) {
        if (errnoCode(error) === 'ELOOP') throw linkError(file);
        throw error;
      }
    });
    try {
      // A crash or an outside edit may have left a last line without its newline: end it, or this
      // event would be glued to it and lost with it.
      const size = fs.fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const torn = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      // One write of under 4 KiB to an O_APPEND file: it lands whole, after every earlier line.
      fs.writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(event)}\n`);
      if (state.durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (event.id % 1_000 === 0) compact(file, state.durable);
    return event;
  });
}

/** The events of a log's text, and how many lines were not events (the doctor's count). */
export function eventsOfText(text: string): { events: WfsEvent[]; garbage: number; torn: boolean } {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const events: WfsEvent[] = [];
  let garbage = 0;
  for (const line of lines) {
    const event = parseEvent(line);
    if (event === undefined) garbage++;
    else events.push(event);
  }
  return { events, garbage, torn: tail !== '' };
}

export function serializeEvents(events: readonly WfsEvent[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/** Cuts the log back to its newest KEEP events once it holds CAP (under the coordination lock). */
function compact(file: string, durable: boolean): void {
  const read = readWholeOwn(file);
  if (read.kind !== 'text') return;
  const { events } = eventsOfText(read.text);
  if (events.length < CAP) return;
  // A new file by rename: a follower sees another inode and starts again from the ID it reached.
  writeFileAtomic(file, serializeEvents(events.slice(-KEEP)), { durable });
}

/**
 * Calls `onEvent` for every event after `since`, as they are published, until `signal` aborts.
 * Watches the folder (inotify where there is one) and polls every 200 ms as well, so a missed
 * notification only delays an event, never loses it. Each wake reads only what was appended since
 * the last one; a log replaced meanwhile (compacted, or rewritten by the doctor: another inode, or
 * shorter) is searched again for the events after the last ID delivered.
 */
export async function followEventLog(
  dir: string,
  since: number,
  onEvent: (event: WfsEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let last = since;
  let inode: number | undefined;
  let offset = 0;
  const deliver = () => {
    const log = openLog(dir);
    if (log === undefined) {
      inode = undefined;
      return;
    }
    try {
      if (log.ino !== inode || log.size < offset) {
        inode = log.ino;
        offset = last > 0 ? offsetAfter(log.fd, log.size, last) : 0;
      }
      if (log.size === offset) return;
      offset = forwardLines(log.fd, offset, log.size, (line) => {
        const event = parseEvent(line);
        if (event !== undefined && event.id > last) {
          last = event.id;
          onEvent(event);
        }
        return true;
      });
    } finally {
      fs.closeSync(log.fd);
    }
  };
  ensureDirectory(dir);
  deliver();
  await new Promise<void>((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(dir, (_type, name) => {
        // The counters and lease records change far more often than the log: only its name wakes us.
        if (name === null || name.startsWith('events.jsonl')) deliver();
      });
    } catch {
      watcher = undefined;
    }
    const timer = setInterval(deliver, 200);
    const stop = () => {
      clearInterval(timer);
      watcher?.close();
      resolve();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}
