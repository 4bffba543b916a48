import path from 'node:path';
import { WfsError } from '../../core/errors.js';
import { writeFileAtomic } from '../../store/atomic.js';
import type { HostClock } from './host-clock.js';
import {
  fileNameOf,
  inFolder,
  isRecord,
  isSafeInteger,
  isStringOrNull,
  linkError,
  namesIn,
  parseJson,
  readOwn,
  readWholeOwn,
  writeFixedRecord,
} from './records.js';

/**
 * Fences and event IDs of the embedded backend, which never repeat (SPEC 5), even when a lease
 * record or the end of the event log is deleted or damaged by hand: they come from one small
 * counters record (the highest fence granted, the highest event ID given), updated in the same
 * critical section as each grant or publish and *before* the grant or the event is written (a
 * process killed in between skips a number, never repeats one). Lease records and the log are
 * not the source of truth, so a released lease's record can go.
 *
 * Numbers are `epoch * 2^32 + n`. The epoch is kept durably (fsynced, in `epoch.json`) and moves
 * on whenever what was known may be lost: after a restart of the machine (the boot id changed:
 * the counters, written without fsync, may have lost their last writes with the page cache), and
 * when the counters record is missing or damaged. The new epoch is above every epoch known (from
 * `epoch.json`, the counters, and, when `epoch.json` itself is unreadable, every number on disk),
 * so the numbers after it are above every number handed out before.
 */
export const EPOCH_FACTOR = 2 ** 32;
// 2^53 / 2^32: epochs above this would make numbers unsafe in JSON.
const MAX_EPOCH = 2 ** 21 - 1;
const COUNTERS_BYTES = 256;

export interface Counters {
  epoch: number;
  /** The boot the counters were written in (null: no boot id, and they are fsynced). */
  boot: string | null;
  /** The highest fence granted. */
  fence: number;
  /** The highest event ID given. */
  event: number;
}

interface EpochRecord {
  epoch: number;
  boot: string | null;
}

export type Parsed<T> = { kind: 'ok'; value: T } | { kind: 'absent' | 'link' | 'damaged' };

export function parseCounters(text: string): Counters | undefined {
  const value = parseJson(text);
  if (!isRecord(value)) return undefined;
  const { epoch, boot, fence, event } = value;
  if (!isSafeInteger(epoch) || epoch < 0 || !isStringOrNull(boot)) return undefined;
  if (!isSafeInteger(fence) || fence < 0 || !isSafeInteger(event) || event < 0) return undefined;
  return { epoch, boot, fence, event };
}

export function parseEpoch(text: string): EpochRecord | undefined {
  const value = parseJson(text);
  if (!isRecord(value)) return undefined;
  const { epoch, boot_id } = value;
  if (!isSafeInteger(epoch) || epoch < 0 || !(boot_id === undefined || isStringOrNull(boot_id)))
    return undefined;
  return { epoch, boot: boot_id ?? null };
}

function parsed<T>(read: ReturnType<typeof readOwn>, parse: (text: string) => T | undefined): Parsed<T> {
  if (read.kind === 'absent' || read.kind === 'link') return { kind: read.kind };
  if (read.kind === 'other') return { kind: 'damaged' };
  const value = parse(read.text);
  return value === undefined ? { kind: 'damaged' } : { kind: 'ok', value };
}

export function countersFile(dir: string): string {
  return path.join(dir, 'counters.json');
}

export function epochFile(dir: string): string {
  return path.join(dir, 'epoch.json');
}

export class Sequence {
  /** epoch.json as this process last read or wrote it (re-read whenever the counters disagree). */
  private stored: EpochRecord | undefined;

  constructor(
    private readonly dir: string,
    private readonly clock: HostClock,
    private readonly durable: boolean,
  ) {}

  readCounters(): Parsed<Counters> {
    return parsed(readOwn(countersFile(this.dir), COUNTERS_BYTES), parseCounters);
  }

  readEpoch(): Parsed<EpochRecord> {
    return parsed(readOwn(epochFile(this.dir), 1024), parseEpoch);
  }

  /** The next fence (under the coordination lock). */
  nextFence(): number {
    return this.next('fence');
  }

  /** The next event ID (under the coordination lock). */
  nextEventId(): number {
    return this.next('event');
  }

  /**
   * The lowest fence that may still be granted (under the lock): a fenced store whose record is
   * damaged accepts only fences from here on, so every holder from before it is refused.
   */
  fenceFloor(): number {
    const counters = this.current();
    return Math.max(counters.fence + 1, counters.epoch * EPOCH_FACTOR + 1);
  }

  private next(kind: 'fence' | 'event'): number {
    let counters = this.current();
    let number = Math.max(counters[kind] + 1, counters.epoch * EPOCH_FACTOR + 1);
    if (number >= (counters.epoch + 1) * EPOCH_FACTOR) {
      // 2^32 numbers in one epoch: the next epoch, durably, before its first number is used.
      counters = this.moveEpoch(counters);
      number = counters.epoch * EPOCH_FACTOR + 1;
    }
    counters[kind] = number;
    this.writeCounters(counters);
    return number;
  }

  private writeCounters(counters: Counters): void {
    inFolder(this.dir, () =>
      writeFixedRecord(countersFile(this.dir), counters, COUNTERS_BYTES, {
        durable: this.durable,
        what: 'The counters record',
      }),
    );
  }

  /**
   * The counters as they stand in this boot (under the lock), after moving the epoch on when they
   * are missing, damaged or from another boot.
   */
  current(): Counters {
    const read = this.readCounters();
    if (read.kind === 'link') throw linkError(countersFile(this.dir));
    if (read.kind === 'ok' && read.value.boot === this.clock.boot) {
      const counters = read.value;
      if (this.stored?.boot === this.clock.boot && this.stored.epoch === counters.epoch) return counters;
      const stored = this.readEpoch();
      if (stored.kind === 'link') throw linkError(epochFile(this.dir));
      if (stored.kind === 'ok' && stored.value.boot === this.clock.boot) {
        this.stored = stored.value;
        if (stored.value.epoch === counters.epoch) return counters;
        // A process moved the epoch on and was killed before it wrote the counters: the numbers
        // are below the new epoch's, which the floor in `next` puts them above.
        if (stored.value.epoch > counters.epoch) return { ...counters, epoch: stored.value.epoch };
      }
      // epoch.json is behind the counters (or unreadable): the counters are this boot's truth, so
      // epoch.json is healed from them, durably (a later epoch is computed from it).
      this.writeEpoch({ epoch: counters.epoch, boot: this.clock.boot });
      return counters;
    }
    return this.moveEpoch(read.kind === 'ok' ? read.value : undefined);
  }

  /** Moves the epoch on, above every epoch known, and starts the counters in it (under the lock). */
  private moveEpoch(last: Counters | undefined): Counters {
    const stored = this.readEpoch();
    if (stored.kind === 'link') throw linkError(epochFile(this.dir));
    let known = stored.kind === 'ok' ? stored.value.epoch : this.epochOnDisk();
    if (last !== undefined)
      known = Math.max(
        known,
        last.epoch,
        Math.floor(last.fence / EPOCH_FACTOR),
        Math.floor(last.event / EPOCH_FACTOR),
      );
    const epoch = known + 1;
    if (epoch > MAX_EPOCH)
      throw new WfsError('E_INTERNAL', `The coordination epoch in ${this.dir} has reached its limit`);
    // Durable before any number of the new epoch is handed out: it is what keeps numbers above
    // those of before a crash.
    this.writeEpoch({ epoch, boot: this.clock.boot });
    const counters: Counters = {
      epoch,
      boot: this.clock.boot,
      fence: epoch * EPOCH_FACTOR,
      event: epoch * EPOCH_FACTOR,
    };
    this.writeCounters(counters);
    return counters;
  }

  private writeEpoch(record: EpochRecord): void {
    // Temp file and rename would replace a link silently: a link there is refused instead.
    if (readOwn(epochFile(this.dir), 0).kind === 'link') throw linkError(epochFile(this.dir));
    const text = JSON.stringify({ epoch: record.epoch, boot_id: record.boot });
    inFolder(this.dir, () => writeFileAtomic(epochFile(this.dir), text));
    this.stored = record;
  }

  /**
   * When epoch.json cannot be read: the highest epoch any number on disk proves (fenced stores,
   * lease records, the event log), so the new epoch is above them. Rare (only an outside edit or a
   * first start gets here), so reading everything is acceptable.
   */
  private epochOnDisk(): number {
    let highest = 0;
    const consider = (file: string) => {
      const read = readWholeOwn(file);
      if (read.kind !== 'text') return;
      for (const match of read.text.matchAll(/"(?:fence|id|event)":(\d{1,16})/g))
        highest = Math.max(highest, Number(match[1]));
    };
    for (const folder of ['fenced', 'leases'])
      for (const name of namesIn(path.join(this.dir, folder))) consider(path.join(this.dir, folder, name));
    consider(path.join(this.dir, 'events.jsonl'));
    consider(countersFile(this.dir));
    return Math.floor(highest / EPOCH_FACTOR);
  }
}

/** The fenced store's record of a resource. */
export function fencedFile(dir: string, resource: string): string {
  return path.join(dir, 'fenced', fileNameOf(resource));
}
