import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import type { HostClock } from './host-clock.js';
import { inFolder, isRealFolder, namesIn, removeIfThere } from './records.js';

/**
 * An index of the embedded backend's presence whose file NAMES say what a view of the live
 * sessions needs: `.presence-expiry/<boot>/<expires>-<presence file>`, one empty file per live
 * session, its expiry on the host clock. So counting the live sessions and choosing the ones that
 * expire last take one listing of a folder and no read of a file; only the records chosen are read
 * (`wfs context` with 3,000 live sessions read 3,000 files to show 8).
 *
 * The presence records stay the truth; the index only says where to look:
 * - a heartbeat writes its record, then its index entry, then drops its previous one; a process
 *   killed in between leaves a live record without an entry (hidden from the view until its next
 *   heartbeat) or two entries (the older one is skipped: a reader keeps a session's latest);
 * - leaving drops the entry first, then the record, so a kill never leaves an entry of a session
 *   that left;
 * - an entry names its expiry, so one past it is not counted, whatever became of its record; the
 *   sweep that removes an expired record drops its entry, and entries of another boot are dropped
 *   with their folder;
 * - a record chosen is read and must be live and expire when its entry says, else it is skipped.
 * `wfs doctor` reports entries without a record and records without an entry, and repairs both.
 */
export class PresenceIndex {
  constructor(
    readonly dir: string,
    private readonly clock: HostClock,
  ) {}

  private bootName(): string {
    return this.clock.boot ?? 'wall';
  }

  private get bootDir(): string {
    return path.join(this.dir, this.bootName());
  }

  /** Whether the index exists (a folder written by an older wfs has none: readers then list the records). */
  exists(): boolean {
    return isRealFolder(this.bootDir);
  }

  /**
   * Under the lock: `fileName`'s record now expires at `expires`; `before`, its expiry until now
   * (if it had a record), names the entry to drop.
   */
  note(fileName: string, expires: number, before: number | undefined): void {
    if (!this.ensureFolders()) return;
    try {
      // O_EXCL: a link planted at the name is never opened.
      fs.closeSync(fs.openSync(path.join(this.bootDir, entryName(expires, fileName)), 'wx', 0o644));
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    if (before !== undefined && before !== expires) this.forget(fileName, before);
  }

  /** Under the lock: drops `fileName`'s entry of the expiry `expires`. */
  forget(fileName: string, expires: number): void {
    if (!isRealFolder(this.bootDir)) return;
    removeIfThere(path.join(this.bootDir, entryName(expires, fileName)));
  }

  /** The folders made (and proven real folders, not links); false when something else stands there. */
  private ensureFolders(): boolean {
    for (const dir of [this.dir, this.bootDir]) {
      if (isRealFolder(dir)) continue;
      const made = inFolder(path.dirname(dir), () => {
        try {
          fs.mkdirSync(dir);
          return true;
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw error;
          return isRealFolder(dir);
        }
      });
      if (!made) return false;
      // A new boot's folder: the entries of earlier boots are of sessions that are gone.
      if (dir === this.bootDir) this.dropOtherBoots();
    }
    return true;
  }

  private dropOtherBoots(): void {
    for (const name of namesIn(this.dir)) {
      if (name === this.bootName()) continue;
      const old = path.join(this.dir, name);
      // Only a real folder of empty files of ours is removed; anything else is left for the doctor.
      if (!isRealFolder(old)) continue;
      for (const entry of namesIn(old)) if (ENTRY.test(entry)) removeIfThere(path.join(old, entry));
      try {
        fs.rmdirSync(old);
      } catch (error) {
        if (errnoCode(error) !== 'ENOTEMPTY' && errnoCode(error) !== 'ENOENT') throw error;
      }
    }
  }

  /**
   * Without the lock: the sessions whose entries have not expired, each once (its latest entry),
   * those that expire last first; undefined when there is no index.
   */
  live(): IndexedPresence[] | undefined {
    if (!this.exists()) return undefined;
    const now = this.clock.now();
    const latest = new Map<string, number>();
    for (const name of namesIn(this.bootDir)) {
      const match = ENTRY.exec(name);
      if (match === null) continue;
      const expires = Number(match[1]);
      if (expires <= now) continue;
      const fileName = `${match[2]!}.json`;
      if ((latest.get(fileName) ?? 0) < expires) latest.set(fileName, expires);
    }
    const found = [...latest].map(([fileName, expires]) => ({ fileName, expires }));
    return found.sort((a, b) => b.expires - a.expires || (a.fileName < b.fileName ? -1 : 1));
  }

  /** Every entry of this boot, expired or not (for the doctor). */
  entries(): IndexedPresence[] {
    const found: IndexedPresence[] = [];
    for (const name of namesIn(this.bootDir)) {
      const match = ENTRY.exec(name);
      if (match !== null) found.push({ fileName: `${match[2]!}.json`, expires: Number(match[1]) });
    }
    return found;
  }
}

export interface IndexedPresence {
  /** The presence record's file name. */
  fileName: string;
  /** On the host clock. */
  expires: number;
}

/**
 * An entry is an empty file named `<expires>-<record's name without .json>`: no `.json` of its own,
 * since it holds no JSON (a reader or checker that parses every `.json` file would take an entry for
 * a torn record).
 */
const ENTRY = /^(\d{1,16})-(.+)$/;

function entryName(expires: number, fileName: string): string {
  return `${expires}-${fileName.replace(/\.json$/, '')}`;
}
