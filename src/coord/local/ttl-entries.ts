import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../../core/errors.js';
import { TEMP_SUFFIX, writeFileAtomic } from '../../store/atomic.js';
import type { ExpiryIndex } from './expiry.js';
import type { HostClock } from './host-clock.js';
import {
  fileNameOf,
  folderState,
  inFolder,
  isRealFolder,
  isRecord,
  isStringOrNull,
  linkError,
  namesIn,
  occupiedByNonFile,
  parseJson,
  readOwn,
  readWholeOwn,
  removeIfThere,
} from './records.js';

/**
 * What the parts of the embedded backend share: its folder, its clock, its lock, the index of
 * expiries and the sweep over every kind of entry.
 */
export interface LocalState {
  readonly dir: string;
  readonly clock: HostClock;
  /** No boot id: every write is fsynced (see counters.ts). */
  readonly durable: boolean;
  readonly index: ExpiryIndex;
  locked<T>(fn: () => T): Promise<T>;
  /** Under the lock: sweeps the buckets of the index that have come due. */
  sweep(): void;
  /** Under the lock: the same, when this process knows of a bucket that has come due. */
  sweepIfDue(): void;
}

/** One kind of entry with a TTL: results, presence or claims. */
export interface EntryKind {
  folder: string;
  /** The kind's prefix in the index's markers. */
  marker: string;
  /** Whether a stored value has this kind's fields (a record of another shape is damage). */
  valid(value: Record<string, unknown>): boolean;
}

/** An entry as stored: its key, the expiry on the host clock (with the boot it counts in), its value. */
export interface StoredEntry {
  key: string;
  boot: string | null;
  expires: number;
  value: Record<string, unknown>;
}

export type LiveEntry<T> = T & { expires_at: number };

// Most entries are small; a result (up to 8 MiB) that is larger is read whole.
const SMALL_READ = 64 * 1024;

/** An entry's file read and checked: undefined when absent; 'damaged' for a link or another shape. */
export function readEntry(
  file: string,
  kind: EntryKind,
  fileName = path.basename(file),
): StoredEntry | 'damaged' | undefined {
  let read = readOwn(file, SMALL_READ);
  if (read.kind === 'text' && read.size > SMALL_READ) read = readWholeOwn(file);
  if (read.kind === 'absent') return undefined;
  if (read.kind !== 'text') return 'damaged';
  const stored = parseJson(read.text);
  if (!isRecord(stored)) return 'damaged';
  const { key, boot, expires, value } = stored;
  if (typeof key !== 'string' || fileNameOf(key) !== fileName) return 'damaged';
  if (!isStringOrNull(boot) || typeof expires !== 'number' || !Number.isFinite(expires)) return 'damaged';
  if (!isRecord(value) || !kind.valid(value)) return 'damaged';
  return { key, boot, expires, value };
}

/**
 * The one primitive behind results, presence and claims: an entry with a TTL, one file per key
 * (`<folder>/<key>.json`), written by temp file and rename under the coordination lock (a reader
 * never sees half of one, and needs no lock), not fsynced where there is a boot id (worthless
 * after a machine restart). Expiries are on the host clock (host-clock.ts).
 * - put: one write, one marker in the index of expiries (and the sweep of what has come due);
 * - get: one read;
 * - list: one listing of the folder's names and one read per entry in it, which holds what is live
 *   (what has expired is swept by the writes, and by a listing that finds a bucket due).
 * A file of another shape, or a link, is damage: never followed, never removed (the doctor reports
 * it and moves it aside); read as absent by listings, named to a reader of its one key (getNamed).
 */
export class TtlEntries<T extends object> {
  readonly dir: string;

  constructor(
    private readonly state: LocalState,
    private readonly kind: EntryKind,
    /** Told (under the lock) of an expired entry the sweep removed. */
    private readonly removed?: (fileName: string, stored: StoredEntry) => void,
  ) {
    this.dir = path.join(state.dir, kind.folder);
  }

  private fileOf(key: string): string {
    return path.join(this.dir, fileNameOf(key));
  }

  private isLive(stored: StoredEntry, now: number): boolean {
    return stored.boot === this.state.clock.boot && stored.expires > now;
  }

  private shown(stored: StoredEntry): LiveEntry<T> {
    return { ...(stored.value as T), expires_at: this.state.clock.toWall(stored.expires) };
  }

  /** Stores `value` under `key` for `lifetimeMs` (under the coordination lock). */
  put(key: string, value: T, lifetimeMs: number): LiveEntry<T> {
    return this.shown(this.write(key, value, lifetimeMs));
  }

  /** `put`, giving the entry as stored (its expiry on the host clock). */
  write(key: string, value: T, lifetimeMs: number): StoredEntry {
    const file = this.fileOf(key);
    // A rename would replace a link silently: a link there is refused, as SPEC 1 says.
    if (occupiedByNonFile(file) === 'link') throw linkError(file);
    const clock = this.state.clock;
    // One resolution step later, so that it never expires before its TTL has passed.
    const stored: StoredEntry = {
      key,
      boot: clock.boot,
      expires: clock.now() + lifetimeMs + clock.resolutionMs,
      value: value as Record<string, unknown>,
    };
    const text = JSON.stringify(stored);
    inFolder(this.dir, () => writeFileAtomic(file, text, { durable: this.state.durable }));
    this.state.index.note(`${this.kind.marker}.${fileNameOf(key)}`, stored.expires, lifetimeMs);
    this.state.sweepIfDue();
    return stored;
  }

  /** The file name of `key`'s entry. */
  fileNameOf(key: string): string {
    return fileNameOf(key);
  }

  /** `key`'s entry as stored, live or not (no lock). */
  stored(key: string): StoredEntry | undefined {
    const stored = readEntry(this.fileOf(key), this.kind);
    return stored === undefined || stored === 'damaged' || stored.key !== key ? undefined : stored;
  }

  /** The live entry stored in `fileName`, if it expires at `expires` (no lock). */
  liveIn(fileName: string, expires: number): LiveEntry<T> | undefined {
    const stored = readEntry(path.join(this.dir, fileName), this.kind, fileName);
    if (stored === undefined || stored === 'damaged' || stored.expires !== expires) return undefined;
    return this.isLive(stored, this.state.clock.now()) ? this.shown(stored) : undefined;
  }

  /** The live entry of `key` (no lock: entries are replaced whole). */
  get(key: string): LiveEntry<T> | undefined {
    const stored = readEntry(this.fileOf(key), this.kind);
    if (stored === undefined || stored === 'damaged' || stored.key !== key) return undefined;
    return this.isLive(stored, this.state.clock.now()) ? this.shown(stored) : undefined;
  }

  /**
   * The live entry of `key` for a reader that asked for this one key (`wfs results get`): damage
   * at its file, or a coordination folder that is a link or not a folder, is an error naming it,
   * where `get` reads it as absent (for listings and the context, which go on without it). Telling
   * such a reader "never put, or expired" would send them to recompute, or to look elsewhere,
   * with the cause hidden.
   */
  getNamed(key: string): LiveEntry<T> | undefined {
    const file = this.fileOf(key);
    const stored = readEntry(file, this.kind);
    if (stored === 'damaged' || (stored !== undefined && stored.key !== key)) {
      const folder = folderState(this.dir);
      if (folder === 'link') throw linkError(this.dir);
      if (occupiedByNonFile(file) === 'link') throw linkError(file);
      throw new WfsError(
        'E_CORRUPT',
        `${file} is damaged (not an entry of ${this.kind.folder}); \`wfs doctor --fix\` moves it aside`,
        { details: { path: file } },
      );
    }
    if (stored === undefined) {
      const notFolder = [this.state.dir, this.dir].find((dir) => {
        const there = fs.lstatSync(dir, { throwIfNoEntry: false });
        return there !== undefined && !there.isDirectory();
      });
      if (notFolder !== undefined && occupiedByNonFile(notFolder) === 'link') throw linkError(notFolder);
      if (notFolder !== undefined)
        throw new WfsError('E_CORRUPT', `${notFolder} is not a folder; \`wfs doctor --fix\` moves it aside`, {
          details: { path: notFolder },
        });
      return undefined;
    }
    return this.isLive(stored, this.state.clock.now()) ? this.shown(stored) : undefined;
  }

  /** Whether anything stands at `key`'s file (no lock: lets a removal of nothing skip the lock). */
  exists(key: string): boolean {
    return readOwn(this.fileOf(key), 0).kind !== 'absent';
  }

  /** Removes `key`'s entry (under the coordination lock); a link there is left for the doctor. */
  remove(key: string): void {
    const file = this.fileOf(key);
    if (occupiedByNonFile(file) === false) removeIfThere(file);
  }

  /** Every live entry, by key. */
  async list(): Promise<LiveEntry<T>[]> {
    // A bucket of the index has come due: sweep first, so the folder holds only what is live.
    if (this.state.index.anyDue()) await this.state.locked(() => this.state.sweep());
    return this.listUnlocked();
  }

  /** Every live entry, by key, without sweeping (the caller may hold the lock). */
  listUnlocked(): LiveEntry<T>[] {
    // Listing through a link would follow it.
    if (!isRealFolder(this.dir)) return [];
    const now = this.state.clock.now();
    const live: StoredEntry[] = [];
    // Joined by hand: path.join's normalising showed in a listing of thousands.
    const prefix = `${this.dir}${path.sep}`;
    for (const name of namesIn(this.dir)) {
      if (!name.endsWith('.json') || name.endsWith(TEMP_SUFFIX)) continue;
      const stored = readEntry(prefix + name, this.kind, name);
      if (stored !== undefined && stored !== 'damaged' && this.isLive(stored, now)) live.push(stored);
    }
    live.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return live.map((stored) => this.shown(stored));
  }

  /** The sweep's look at one of this kind's files (under the lock): removed once it has expired. */
  judge(fileName: string): void {
    const file = path.join(this.dir, fileName);
    const stored = readEntry(file, this.kind);
    if (stored === undefined || stored === 'damaged') return;
    if (this.isLive(stored, this.state.clock.now())) return;
    removeIfThere(file);
    this.removed?.(fileName, stored);
  }
}
