import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import type { HostClock } from './host-clock.js';
import { inFolder, isRealFolder, namesIn, removeIfThere } from './records.js';

/**
 * When the embedded backend's entries (leases, results, presence, claims) need a look to be
 * swept: an index of expiry buckets, `.expiry/<end>-<boot>/<kind>.<file>`, one empty marker per
 * write of an entry, in the bucket of its expiry. A write sweeps only the buckets that have come
 * due (their end is past, or they are from another boot): each marker is looked at once, and the
 * entry it names is removed if it has expired (a marker of an entry renewed since is just
 * dropped: the renewal made one in a later bucket). So sweeping costs what expires, never a read
 * of every entry, and the folders hold what is live (and what expired within the bucket's width).
 *
 * A bucket is a power of two of milliseconds, about a sixteenth of the entry's lifetime (from 1 s
 * to 70 minutes): an entry outlives its expiry on disk by at most that, and there are few buckets
 * (a month of 30-day results fits in ~700). Markers are not fsynced: after a machine crash every
 * bucket is from another boot, and every entry with it.
 */
const MIN_WIDTH_MS = 2 ** 10;
const MAX_WIDTH_MS = 2 ** 22;
// Markers one sweep looks at, at most (~20 µs each).
const SWEEP_BUDGET = 1_000;

export type Judge = (marker: string) => void;

/**
 * The suffix of a marker's file: markers are empty files, and are named so that nothing (a person,
 * the doctor, a check that every `.json` file parses) takes one for a record of an entry.
 */
const MARK = '.due';

function widthFor(lifetimeMs: number): number {
  let width = MIN_WIDTH_MS;
  while (width < lifetimeMs / 16 && width < MAX_WIDTH_MS) width *= 2;
  return width;
}

const BUCKET = /^(\d{1,16})-(.+)$/;

export class ExpiryIndex {
  /** The end of the earliest bucket this process knows of: no sweep is due before it. */
  private nextDue = Number.NEGATIVE_INFINITY;
  /** Buckets made or seen to be real folders by this process (so a marker is never made through a link). */
  private readonly buckets = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly clock: HostClock,
  ) {}

  private bootName(): string {
    return this.clock.boot ?? 'wall';
  }

  /** Under the lock: the entry `marker` (`<kind>.<file>`) must be looked at once `until` is past. */
  note(marker: string, until: number, lifetimeMs: number): void {
    const width = widthFor(lifetimeMs);
    const end = Math.ceil(until / width) * width;
    const bucket = path.join(this.dir, `${end}-${this.bootName()}`);
    if (!this.buckets.has(bucket)) {
      const made = inFolder(this.dir, () => {
        try {
          // mkdir never follows a link at the name it makes (EEXIST): a link there is checked below.
          fs.mkdirSync(bucket);
          return true;
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw error;
          // Not ours to write into (a link, a file): the entry is swept by the next bucket it lands
          // in, or found expired by its readers; the doctor reports what stands here.
          return isRealFolder(bucket);
        }
      });
      if (!made) return;
      if (this.buckets.size > 1_000) this.buckets.clear();
      this.buckets.add(bucket);
    }
    try {
      // O_EXCL: an existing marker (the same entry written again in this bucket) is enough, and
      // a link planted at its name is never opened.
      fs.closeSync(fs.openSync(path.join(bucket, `${marker}${MARK}`), 'wx', 0o644));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        // Another process swept the bucket since this one saw it: make it again.
        this.buckets.delete(bucket);
        this.note(marker, until, lifetimeMs);
        return;
      }
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    this.nextDue = Math.min(this.nextDue, end);
  }

  private isDue(name: string, now: number): boolean {
    const match = BUCKET.exec(name);
    if (match === null) return false;
    return match[2] !== this.bootName() || Number(match[1]) <= now;
  }

  /** Without the lock: whether some bucket has come due (a listing then sweeps before it reads). */
  anyDue(): boolean {
    const now = this.clock.now();
    return namesIn(this.dir).some((name) => this.isDue(name, now));
  }

  /** Under the lock: sweeps when this process knows of a bucket that has come due. */
  sweepIfDue(judge: Judge): void {
    if (this.clock.now() >= this.nextDue) this.sweep(judge);
  }

  /**
   * Under the lock: looks at the markers of the buckets that have come due, and drops the buckets.
   * At most SWEEP_BUDGET markers: when much expires at once, the next operations share the work
   * rather than one of them paying for all of it.
   */
  sweep(judge: Judge): void {
    const now = this.clock.now();
    let nextDue = Number.POSITIVE_INFINITY;
    let budget = SWEEP_BUDGET;
    for (const name of namesIn(this.dir)) {
      const bucket = path.join(this.dir, name);
      const match = BUCKET.exec(name);
      if (!this.isDue(name, now) || budget <= 0) {
        if (match !== null)
          nextDue = Math.min(nextDue, match[2] === this.bootName() ? Number(match[1]) : now);
        continue;
      }
      // A link here would make us list, and unlink names in, a folder elsewhere: never entered.
      if (!isRealFolder(bucket)) continue;
      const markers = namesIn(bucket);
      if (markers.length > budget) nextDue = now;
      for (const marker of markers.slice(0, budget)) {
        budget--;
        // Not a marker of ours (no suffix): left, and the bucket with it, for the doctor.
        if (!marker.endsWith(MARK)) continue;
        judge(marker.slice(0, -MARK.length));
        try {
          removeIfThere(path.join(bucket, marker));
        } catch (error) {
          // A folder where a marker should be: not ours, left for the doctor.
          if (errnoCode(error) !== 'EISDIR' && errnoCode(error) !== 'EPERM') throw error;
        }
      }
      try {
        fs.rmdirSync(bucket);
      } catch (error) {
        // Something that is not a marker of ours in it: left for the doctor.
        if (errnoCode(error) !== 'ENOTEMPTY' && errnoCode(error) !== 'ENOENT') throw error;
      }
      this.buckets.delete(bucket);
    }
    this.nextDue = nextDue;
  }
}
