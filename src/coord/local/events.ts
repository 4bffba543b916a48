import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { EVENT_MAX_BYTES, shapeEvent, thisHost } from '../rules.js';
import type { PublishInput, ReadEventsOptions, WfsEvent } from '../types.js';
import type { LocalCoordinator } from './leases.js';

/**
 * Announcements of the embedded backend: one append-only log, `events.jsonl`, one event a line,
 * in the order they were published, each with an ID that only grows (`epoch * 2^32 + n`, so even a
 * machine crash that loses the tail of the log never reuses an ID). Readers need no lock: a line
 * is appended with one write of under 4 KiB to a file opened with O_APPEND, so it lands whole, and a
 * reader skips a last line that has no newline yet.
 */

const EPOCH_FACTOR = 2 ** 32;
// The log is cut back to its newest KEEP events once it holds CAP: readers from an older ID get
// what is left, oldest first.
const CAP = 20_000;
const KEEP = 10_000;

export function eventsFile(dir: string): string {
  return path.join(dir, 'events.jsonl');
}

function parseLines(text: string): WfsEvent[] {
  const events: WfsEvent[] = [];
  const lines = text.split('\n');
  // The last piece has no newline yet (being written, or torn): not an event yet.
  for (const line of lines.slice(0, -1)) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as WfsEvent);
    } catch {
      // torn by a machine crash: skipped
    }
  }
  return events;
}

export async function appendEvent(coordinator: LocalCoordinator, input: PublishInput): Promise<WfsEvent> {
  const shaped = shapeEvent(input, thisHost(), new Date(coordinator.now()));
  const file = eventsFile(coordinator.dir);
  return coordinator.withEpoch((epoch) => {
    const event: WfsEvent = {
      id: Math.max((tail(coordinator.dir, 1)[0]?.id ?? 0) + 1, epoch * EPOCH_FACTOR + 1),
      ...shaped,
    };
    fs.mkdirSync(coordinator.dir, { recursive: true });
    const fd = fs.openSync(file, 'a+', 0o644);
    try {
      // A machine crash may have left a last line without its newline: end it, or this event
      // would be glued to it and lost with it.
      const size = fs.fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const torn = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      // One write of under 4 KiB to an O_APPEND file: it lands whole, after every earlier line.
      fs.writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(event)}\n`);
    } finally {
      fs.closeSync(fd);
    }
    if (event.id % 1_000 === 0) compact(file);
    return event;
  });
}

/** Cuts the log back to its newest KEEP events once it holds CAP (under the coordination lock). */
function compact(file: string): void {
  const events = parseLines(fs.readFileSync(file, 'utf8'));
  if (events.length < CAP) return;
  const temp = `${file}.${process.pid}.compact`;
  fs.writeFileSync(
    temp,
    events
      .slice(-KEEP)
      .map((e) => `${JSON.stringify(e)}\n`)
      .join(''),
  );
  fs.renameSync(temp, file);
}

/**
 * The newest `limit` events, read from the end of the log: `wfs context` shows the last few on
 * every agent turn, and the log may hold 20,000. Every line is at most EVENT_MAX_BYTES, so
 * `limit + 1` lines' worth of bytes holds `limit` whole lines.
 */
function tail(dir: string, limit: number): WfsEvent[] {
  let fd: number;
  try {
    fd = fs.openSync(eventsFile(dir), 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, (limit + 1) * EVENT_MAX_BYTES);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    let text = buffer.toString('utf8');
    // A chunk that starts mid-file starts mid-line: that piece is not an event.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
    const events = parseLines(text);
    return events.slice(Math.max(0, events.length - limit));
  } finally {
    fs.closeSync(fd);
  }
}

/** Events in order: after `since`, the oldest `limit` of them; without `since`, the newest `limit`. */
export function readEventLog(dir: string, options: ReadEventsOptions = {}): WfsEvent[] {
  const since = options.since ?? 0;
  const limit = options.limit ?? 1_000;
  if (since === 0 && limit <= 50) return tail(dir, limit);
  let text: string;
  try {
    text = fs.readFileSync(eventsFile(dir), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const events = parseLines(text).filter((e) => e.id > since);
  return since > 0 ? events.slice(0, limit) : events.slice(Math.max(0, events.length - limit));
}

/**
 * Calls `onEvent` for every event after `since`, as they are published, until `signal` aborts.
 * Watches the log (inotify where there is one) and polls every 200 ms as well, so a missed
 * notification only delays an event, never loses it.
 */
export async function followEventLog(
  dir: string,
  since: number,
  onEvent: (event: WfsEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let last = since;
  const deliver = () => {
    for (const event of readEventLog(dir, { since: last, limit: Number.MAX_SAFE_INTEGER })) {
      last = event.id;
      onEvent(event);
    }
  };
  fs.mkdirSync(dir, { recursive: true });
  deliver();
  await new Promise<void>((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(dir, () => deliver());
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
