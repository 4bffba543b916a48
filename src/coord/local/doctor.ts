import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { TEMP_SUFFIX, writeFileAtomic } from '../../store/atomic.js';
import { withLock } from '../../store/lock.js';
import { ensureDirectory } from '../../store/safe-path.js';
import { countersFile, epochFile, Sequence } from './counters.js';
import { eventsFile, eventsOfText, serializeEvents } from './events.js';
import { FENCED_BYTES, LocalCoordinator, parseFenceRecord, RECORD_BYTES, readLeaseRecord } from './leases.js';
import { PresenceIndex } from './presence-index.js';
import { namesIn, readWholeOwn, writeFixedRecord } from './records.js';
import { ENTRY_KINDS, PRESENCE, PRESENCE_INDEX } from './shared.js';
import { readEntry } from './ttl-entries.js';

/** A finding in the shape of `wfs doctor`'s (src/session/doctor.ts `Finding`). */
export interface CoordinationFinding {
  check: string;
  severity: 'problem' | 'info';
  message: string;
  /** What `fix` did, when it repaired this. */
  fixed?: string;
  /** Why `fix` cannot repair it. */
  manual?: string;
}

const CHECK = 'coordination-files';
const FOLDERS = ['leases', 'fenced', 'results', 'presence', 'claims', '.expiry', PRESENCE_INDEX] as const;

type Kind = 'missing' | 'link' | 'file' | 'folder' | 'other';

function kindOf(file: string): Kind {
  try {
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink()) return 'link';
    if (stat.isDirectory()) return 'folder';
    return stat.isFile() ? 'file' : 'other';
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/**
 * Checks the embedded backend's files in `dir` (its coordination folder) for damage: links where
 * files or folders of ours belong, lease and fence records and results, presence or claims of the
 * wrong shape, lines of the event log that are not events (garbage, or a last line torn by a
 * crash), an unreadable epoch or counters record, temp files a killed process left. With `fix`,
 * nothing is deleted: damaged files (and links, as links) are moved to `<dir>/.damaged-<time>/`,
 * the log is rewritten without its garbage (the old one kept there), a damaged fence record is
 * healed at the lowest fence still to be granted (so every holder from before it stays refused),
 * and a damaged counters or epoch record moves the epoch on. It runs under the coordination lock,
 * so a write in progress is never mistaken for damage.
 */
export async function checkCoordinationFiles(
  dir: string,
  options: { fix?: boolean } = {},
): Promise<CoordinationFinding[]> {
  const fix = options.fix === true;
  const findings: CoordinationFinding[] = [];
  const root = kindOf(dir);
  if (root === 'missing') return findings;
  if (root !== 'folder') {
    findings.push({
      check: CHECK,
      severity: 'problem',
      message: `${dir} is ${root === 'link' ? 'a symbolic link' : 'not a folder'}: the coordination state must be a folder of its own`,
      manual: `remove ${dir} (wfs makes the folder again at its next write)`,
    });
    return findings;
  }
  let asideDir: string | undefined;
  const moveAside = (file: string): string => {
    asideDir ??= path.join(dir, `.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const target = path.join(asideDir, path.relative(dir, file));
    ensureDirectory(path.dirname(target));
    // rename moves a link itself, never what it points to.
    fs.renameSync(file, target);
    return path.relative(dir, target);
  };
  const problem = (message: string, repair: () => string) => {
    const finding: CoordinationFinding = { check: CHECK, severity: 'problem', message };
    if (fix) finding.fixed = repair();
    findings.push(finding);
  };

  // The lock's own folder first: the lock cannot be taken through a link.
  const locks = path.join(dir, '.locks');
  const locksKind = kindOf(locks);
  if (locksKind === 'link' || locksKind === 'file' || locksKind === 'other') {
    const finding: CoordinationFinding = {
      check: CHECK,
      severity: 'problem',
      message: `${locks} is ${locksKind === 'link' ? 'a symbolic link' : 'not a folder'}`,
    };
    if (fix) finding.fixed = `moved aside to ${moveAside(locks)}`;
    else finding.manual = 'run wfs doctor --fix to move it aside';
    findings.push(finding);
    if (!fix) return findings;
  }

  ensureDirectory(locks);
  await withLock(locks, 'coord', () => {
    const coordinator = new LocalCoordinator(dir);
    const sequence = new Sequence(coordinator.dir, coordinator.clock, coordinator.durable);
    const counted = { leases: 0, fenced: 0, entries: 0, events: 0 };

    for (const folder of FOLDERS) {
      const file = path.join(dir, folder);
      const kind = kindOf(file);
      if (kind === 'link' || kind === 'file' || kind === 'other')
        problem(
          `${folder}/ is ${kind === 'link' ? 'a symbolic link' : 'not a folder'}`,
          () => `moved aside to ${moveAside(file)}`,
        );
    }

    // Counters and epoch: unreadable ones are moved aside, and the epoch moves on past them.
    let numbersLost = false;
    for (const [file, read] of [
      [epochFile(dir), sequence.readEpoch()],
      [countersFile(dir), sequence.readCounters()],
    ] as const) {
      if (read.kind === 'link' || read.kind === 'damaged') {
        numbersLost = true;
        problem(
          `${path.basename(file)} is ${read.kind === 'link' ? 'a symbolic link' : 'damaged'}: fences and event IDs continue in a new epoch`,
          () => `moved aside to ${moveAside(file)}`,
        );
      }
    }

    // A temp file of a record's creation, an entry's or a compaction's write, cut short by a kill.
    const leftByKilledProcess = (shown: string, file: string): boolean => {
      if (!file.endsWith(TEMP_SUFFIX)) return false;
      problem(`${shown} was left by a killed process`, () => `moved aside to ${moveAside(file)}`);
      return true;
    };

    // Lease records.
    const leases = path.join(dir, 'leases');
    if (kindOf(leases) === 'folder')
      for (const name of namesIn(leases)) {
        const file = path.join(leases, name);
        if (leftByKilledProcess(`leases/${name}`, file)) continue;
        const kind = kindOf(file);
        if (kind === 'link') {
          problem(`leases/${name} is a symbolic link`, () => `moved aside to ${moveAside(file)}`);
          continue;
        }
        const read = readLeaseRecord(file);
        if (read.kind === 'absent') continue;
        if (read.kind !== 'ok' || read.size !== RECORD_BYTES)
          problem(
            `leases/${name} is not a lease record (its holder and fence are unknown; fences stay above it)`,
            () => `moved aside to ${moveAside(file)}`,
          );
        else counted.leases++;
      }

    // Fence records of fenced stores: a damaged one is healed at the lowest fence still to come.
    const fenced = path.join(dir, 'fenced');
    if (kindOf(fenced) === 'folder')
      for (const name of namesIn(fenced)) {
        const file = path.join(fenced, name);
        if (leftByKilledProcess(`fenced/${name}`, file)) continue;
        const kind = kindOf(file);
        const read = kind === 'link' ? undefined : readWholeOwn(file);
        if (read?.kind === 'text' && parseFenceRecord(read.text) !== undefined) {
          counted.fenced++;
          continue;
        }
        problem(
          `fenced/${name} is ${kind === 'link' ? 'a symbolic link' : 'damaged'}: the newest fence that store has seen is unknown`,
          () => {
            const moved = moveAside(file);
            const floor = sequence.fenceFloor();
            writeFixedRecord(file, { fence: floor }, FENCED_BYTES, { durable: true, what: 'A fence record' });
            return `moved aside to ${moved}; the store now refuses every fence below ${floor} (all granted before)`;
          },
        );
      }

    // Results, presence, claims.
    for (const kind of ENTRY_KINDS) {
      const folder = path.join(dir, kind.folder);
      if (kindOf(folder) !== 'folder') continue;
      for (const name of namesIn(folder)) {
        const file = path.join(folder, name);
        if (leftByKilledProcess(`${kind.folder}/${name}`, file)) continue;
        const entry = kindOf(file) === 'link' ? 'link' : readEntry(file, kind);
        if (entry === 'link' || entry === 'damaged' || entry === undefined)
          problem(
            `${kind.folder}/${name} is ${entry === 'link' ? 'a symbolic link' : `not an entry of ${kind.folder}`}`,
            () => `moved aside to ${moveAside(file)}`,
          );
        else counted.entries++;
      }
    }

    // The presence index against the records (a kill between a record's write and its entry's).
    const index = new PresenceIndex(path.join(dir, PRESENCE_INDEX), coordinator.clock);
    if (index.exists()) {
      const now = coordinator.clock.now();
      const records = new Map<string, number>();
      for (const name of namesIn(path.join(dir, PRESENCE.folder))) {
        const stored = readEntry(path.join(dir, PRESENCE.folder, name), PRESENCE);
        if (
          stored !== undefined &&
          stored !== 'damaged' &&
          stored.boot === coordinator.clock.boot &&
          stored.expires > now
        )
          records.set(name, stored.expires);
      }
      const indexed = new Set<string>();
      let stale = 0;
      for (const entry of index.entries()) {
        if (records.get(entry.fileName) === entry.expires) indexed.add(entry.fileName);
        else if (entry.expires > now) stale++;
      }
      const missing = [...records].filter(([name]) => !indexed.has(name));
      if (stale > 0)
        problem(
          `${PRESENCE_INDEX} has ${stale} entr${stale === 1 ? 'y' : 'ies'} of no live session (counted as live until they expire)`,
          () => {
            for (const entry of index.entries())
              if (records.get(entry.fileName) !== entry.expires) index.forget(entry.fileName, entry.expires);
            return 'removed them';
          },
        );
      if (missing.length > 0)
        problem(
          `${missing.length} live session(s) without an entry in ${PRESENCE_INDEX} (not shown by wfs context until their next heartbeat)`,
          () => {
            for (const [name, expires] of missing) index.note(name, expires, undefined);
            return 'added their entries';
          },
        );
    }

    // Buckets of the index of expiries: a link there is never entered.
    const expiry = path.join(dir, '.expiry');
    if (kindOf(expiry) === 'folder')
      for (const name of namesIn(expiry)) {
        const file = path.join(expiry, name);
        if (kindOf(file) === 'link')
          problem(`.expiry/${name} is a symbolic link`, () => `moved aside to ${moveAside(file)}`);
      }

    // Temp files of the folder itself (a compaction or an epoch write cut short).
    for (const name of namesIn(dir))
      if (name.endsWith(TEMP_SUFFIX))
        problem(
          `${name} was left by a killed process`,
          () => `moved aside to ${moveAside(path.join(dir, name))}`,
        );

    // The event log.
    const log = eventsFile(dir);
    const logKind = kindOf(log);
    if (logKind === 'link' || logKind === 'folder' || logKind === 'other')
      problem(
        `events.jsonl is ${logKind === 'link' ? 'a symbolic link' : 'not a file'}`,
        () => `moved aside to ${moveAside(log)}`,
      );
    else if (logKind === 'file') {
      const read = readWholeOwn(log);
      if (read.kind === 'text') {
        const { events, garbage, torn } = eventsOfText(read.text);
        counted.events = events.length;
        if (garbage > 0 || torn) {
          const what = [
            garbage > 0 ? `${garbage} line${garbage === 1 ? '' : 's'} that are not events` : '',
            torn ? 'a last line without its end (torn)' : '',
          ]
            .filter(Boolean)
            .join(' and ');
          problem(`events.jsonl has ${what} (readers skip them)`, () => {
            asideDir ??= path.join(dir, `.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
            const target = path.join(asideDir, 'events.jsonl');
            ensureDirectory(asideDir);
            // The old log kept aside (a second name for it), then the clean one put in its place by
            // rename: a follower sees another file and reads it from the last ID it delivered.
            fs.linkSync(log, target);
            writeFileAtomic(log, serializeEvents(events), { durable: true });
            return `rewrote it with its ${events.length} events; the old log is ${path.relative(dir, target)}`;
          });
        }
      }
    }

    if (numbersLost && fix) {
      const counters = sequence.current();
      findings.push({
        check: CHECK,
        severity: 'info',
        message: `fences and event IDs continue in epoch ${counters.epoch}, above every number handed out before`,
      });
    }
    findings.push({
      check: CHECK,
      severity: 'info',
      message: `coordination files at ${dir}: ${counted.leases} lease record(s), ${counted.fenced} fenced store(s), ${counted.entries} result/presence/claim entries, ${counted.events} events`,
    });
  });
  return findings;
}
