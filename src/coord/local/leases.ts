import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { withLock } from '../../store/lock.js';
import { ensureDirectory } from '../../store/safe-path.js';
import { replaceClaim } from '../claims.js';
import { holderOf, leaseToken, validateLeaseName, validateTtl, waitBeforeRetry } from '../rules.js';
import type {
  AcquireOptions,
  AcquireResult,
  Claim,
  ClaimChange,
  ClaimChangeResult,
  ClaimConflict,
  CoordinationChange,
  Coordinator,
  Holder,
  Lease,
  LeaseInfo,
  Presence,
  PresenceView,
  PublishInput,
  ReadEventsOptions,
  ReleaseOutcome,
  SharedResult,
  WfsEvent,
  Workspace,
} from '../types.js';
import { fencedFile, Sequence } from './counters.js';
import { appendEvent, followEventLog, readEventLog } from './events.js';
import { ExpiryIndex } from './expiry.js';
import { type HostClock, hostClock } from './host-clock.js';
import {
  fileNameOf,
  inFolder,
  isRealFolder,
  isRecord,
  isSafeInteger,
  isString,
  isStringOrNull,
  linkError,
  namesIn,
  parseJson,
  readOwn,
  removeIfThere,
  writeFixedRecord,
} from './records.js';
import { SharedEntries } from './shared.js';
import type { LocalState } from './ttl-entries.js';
import { watchCoordinationFolders } from './watch.js';

/**
 * Leases of the embedded backend: one small record per *live* lease name under `leases/`, every
 * read-modify-write under one cross-process lock (milliseconds). A released lease's record is
 * removed at once, an expired one by the sweep of the index of expiries (expiry.ts); fences come
 * from the counters (counters.ts), so no record is needed to keep them growing, and a record
 * deleted or damaged by hand never makes a fence come again.
 *
 * Expiries are on the host clock (host-clock.ts), shared by every process of the machine and moved
 * by no process's wall clock; `expiresAt` is shown in epoch milliseconds (now + what remains).
 *
 * Each record is a fixed RECORD_BYTES rewritten in place with one pwrite at offset 0: a killed
 * process cannot tear a single write of one record, and there is no temp file and no rename (but
 * at a record's creation, which is whole by temp file and rename: see records.ts).
 * Records are not fsynced: within one boot the page cache outlives any killed process, and what a
 * machine crash could lose or tear is void after the restart (the holders are gone; the new epoch
 * puts new fences above old ones). Where there is no boot id, every write is fsynced instead.
 * Readers take the lock too, so none reads a record while it is written.
 */
export const RECORD_BYTES = 1024;
export const FENCED_BYTES = 64;
// An expired lease's record is kept a little (at most its TTL, at most 10 minutes), so that a
// holder releasing late is told `expired` rather than `not_owner`.
const LATE_RELEASE_MS = 10 * 60 * 1000;

interface LeaseRecord {
  name: string;
  token: string;
  fence: number;
  /** On the host clock, in `boot`. */
  expires: number;
  boot: string | null;
  ttl: number;
  holder: Holder;
}

export type RecordRead =
  | { kind: 'absent' }
  | { kind: 'link' }
  | { kind: 'damaged'; size: number }
  | { kind: 'ok'; record: LeaseRecord; size: number };

export function parseLeaseRecord(text: string, fileName: string): LeaseRecord | undefined {
  const value = parseJson(text);
  if (!isRecord(value)) return undefined;
  const { name, token, fence, expires, boot, ttl, holder } = value;
  if (!isString(name) || fileNameOf(name) !== fileName || !isString(token) || token === '') return undefined;
  if (!isSafeInteger(fence) || fence <= 0 || typeof expires !== 'number' || !Number.isFinite(expires))
    return undefined;
  if (!isStringOrNull(boot) || !isSafeInteger(ttl) || ttl <= 0 || !isRecord(holder)) return undefined;
  if (!isStringOrNull(holder.session) || !isString(holder.host) || !isSafeInteger(holder.pid))
    return undefined;
  return {
    name,
    token,
    fence,
    expires,
    boot,
    ttl,
    holder: {
      session: holder.session,
      ...(isRecord(holder.workspace) && isString(holder.workspace.id) && isString(holder.workspace.name)
        ? { workspace: { id: holder.workspace.id, name: holder.workspace.name } }
        : {}),
      host: holder.host,
      pid: holder.pid,
    },
  };
}

/** A lease record read and checked: another shape (valid JSON or not) is damage, never a crash. */
export function readLeaseRecord(file: string): RecordRead {
  const read = readOwn(file, RECORD_BYTES);
  if (read.kind === 'absent' || read.kind === 'link') return read;
  if (read.kind === 'other') return { kind: 'damaged', size: 0 };
  const record = parseLeaseRecord(read.text, path.basename(file));
  return record === undefined
    ? { kind: 'damaged', size: read.size }
    : { kind: 'ok', record, size: read.size };
}

/** A fence record's fence; undefined when it is not one. */
export function parseFenceRecord(text: string): number | undefined {
  const value = parseJson(text);
  return isRecord(value) && isSafeInteger(value.fence) && value.fence >= 0 ? value.fence : undefined;
}

/** The folder as given, with what leads to it resolved through realpath (links above it are allowed). */
function canonicalFolder(dir: string): string {
  const absolute = path.resolve(dir);
  const parent = path.dirname(absolute);
  let existing = parent;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(existing), ...rest, path.basename(absolute));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || path.dirname(existing) === existing) return absolute;
      rest.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
}

export interface LocalCoordinatorOptions {
  /** The clock expiries are judged by (tests give their own); the host's by default. */
  clock?: HostClock;
}

export class LocalCoordinator implements Coordinator, LocalState {
  readonly backend = 'local';
  readonly dir: string;
  readonly clock: HostClock;
  readonly durable: boolean;
  readonly index: ExpiryIndex;
  private readonly sequence: Sequence;
  private readonly shared: SharedEntries;
  private readonly leasesDir: string;
  private readonly lockDir: string;

  constructor(dir: string, options: LocalCoordinatorOptions = {}) {
    // Every write below is checked for links (store/safe-path.ts), which must see canonical paths;
    // the folder itself is not resolved: a link there is refused at the first write.
    this.dir = canonicalFolder(dir);
    this.clock = options.clock ?? hostClock();
    this.durable = this.clock.boot === null;
    this.leasesDir = path.join(this.dir, 'leases');
    this.lockDir = path.join(this.dir, '.locks');
    this.index = new ExpiryIndex(path.join(this.dir, '.expiry'), this.clock);
    this.sequence = new Sequence(this.dir, this.clock, this.durable);
    this.shared = new SharedEntries(this);
  }

  get location(): string {
    return this.dir;
  }

  /** Inside `batch`, the coordination lock is already this process's. */
  private batchDepth = 0;

  async locked<T>(fn: () => T): Promise<T> {
    // Every critical section is synchronous, so while a batch holds the lock none can interleave
    // with another, in this process or any other.
    if (this.batchDepth > 0) return fn();
    // The lock's folder proven free of links first (once per process): the lock takes it as given.
    ensureDirectory(this.lockDir);
    return withLock(this.lockDir, 'coord', fn);
  }

  async batch<T>(fn: () => Promise<T>): Promise<T> {
    if (this.batchDepth > 0) return fn();
    ensureDirectory(this.lockDir);
    return withLock(this.lockDir, 'coord', async () => {
      this.batchDepth++;
      try {
        return await fn();
      } finally {
        this.batchDepth--;
      }
    });
  }

  /** Under the lock: every marker of the buckets that have come due, judged by its kind. */
  sweep(): void {
    this.index.sweep((marker) => this.judge(marker));
  }

  sweepIfDue(): void {
    this.index.sweepIfDue((marker) => this.judge(marker));
  }

  private judge(marker: string): void {
    if (marker.startsWith('l.')) this.judgeLease(marker.slice(2));
    else this.shared.judge(marker);
  }

  // ------------------------------------------------------------------ lease records

  private fileOf(name: string): string {
    return path.join(this.leasesDir, fileNameOf(name));
  }

  private readLease(file: string): RecordRead {
    return readLeaseRecord(file);
  }

  private isLive(record: LeaseRecord, now = this.clock.now()): boolean {
    return record.boot === this.clock.boot && record.expires > now;
  }

  private info(record: LeaseRecord): LeaseInfo {
    return {
      name: record.name,
      fence: record.fence,
      expiresAt: this.clock.toWall(record.expires),
      holder: record.holder,
    };
  }

  private lease(record: LeaseRecord): Lease {
    return { ...this.info(record), token: record.token };
  }

  private writeLease(record: LeaseRecord, oldSize: number | undefined): void {
    inFolder(this.leasesDir, () =>
      writeFixedRecord(this.fileOf(record.name), record, RECORD_BYTES, {
        oldSize,
        durable: this.durable,
        what: 'A lease record',
      }),
    );
    // Looked at by the sweep once it has expired (and its late release has had its chance).
    this.index.note(
      `l.${fileNameOf(record.name)}`,
      record.expires + Math.min(record.ttl, LATE_RELEASE_MS),
      record.ttl,
    );
  }

  /** The sweep's look at a lease record: removed once expired (and past its late release). */
  private judgeLease(fileName: string): void {
    const file = path.join(this.leasesDir, fileName);
    const read = this.readLease(file);
    if (read.kind !== 'ok') return; // absent; or damage, left for the doctor
    const { record } = read;
    const keptUntil = record.expires + Math.min(record.ttl, LATE_RELEASE_MS);
    if (record.boot !== this.clock.boot || keptUntil <= this.clock.now()) removeIfThere(file);
  }

  async acquire(name: string, options: AcquireOptions): Promise<AcquireResult> {
    validateLeaseName(name);
    const ttl = validateTtl(options.ttlMs);
    const holder = holderOf(options.holder);
    const deadline = this.clock.now() + Math.max(0, options.waitMs ?? 0);
    for (let attempt = 0; ; attempt++) {
      const result = await this.locked((): AcquireResult => {
        const file = this.fileOf(name);
        const read = this.readLease(file);
        if (read.kind === 'link') throw linkError(file);
        const now = this.clock.now();
        if (read.kind === 'ok' && this.isLive(read.record, now))
          return { status: 'held', current: this.info(read.record) };
        // A damaged record's fence is unknown, and needs not be known: the counters decide.
        const record: LeaseRecord = {
          name,
          token: leaseToken(),
          fence: this.sequence.nextFence(),
          // One resolution step later, so that it never expires before its TTL has passed.
          expires: now + ttl + this.clock.resolutionMs,
          boot: this.clock.boot,
          ttl,
          holder,
        };
        this.writeLease(record, read.kind === 'absent' ? undefined : read.size);
        this.sweepIfDue();
        return { status: 'acquired', lease: this.lease(record) };
      });
      const remaining = deadline - this.clock.now();
      if (result.status === 'acquired' || remaining <= 0) return result;
      const untilExpiry = result.current.expiresAt - this.clock.toWall(this.clock.now());
      await waitBeforeRetry(attempt, remaining, untilExpiry);
    }
  }

  async renew(lease: Pick<Lease, 'name' | 'token'>, ttlMs: number): Promise<Lease | undefined> {
    const ttl = validateTtl(ttlMs);
    validateLeaseName(lease.name);
    return this.locked(() => {
      const read = this.readLease(this.fileOf(lease.name));
      if (read.kind !== 'ok') return undefined;
      const now = this.clock.now();
      const current = read.record;
      if (current.token !== lease.token || !this.isLive(current, now)) return undefined;
      const renewed: LeaseRecord = { ...current, expires: now + ttl + this.clock.resolutionMs, ttl };
      this.writeLease(renewed, read.size);
      return this.lease(renewed);
    });
  }

  async release(lease: Pick<Lease, 'name' | 'token'>): Promise<ReleaseOutcome> {
    validateLeaseName(lease.name);
    return this.locked((): ReleaseOutcome => {
      const file = this.fileOf(lease.name);
      const read = this.readLease(file);
      // `not_owner` only while another holds it; a lease nobody holds any more (it ran out, was
      // released already, or its record is gone) is `expired`, on both backends alike.
      if (read.kind !== 'ok') return 'expired';
      if (read.record.token !== lease.token) return this.isLive(read.record) ? 'not_owner' : 'expired';
      removeIfThere(file);
      return this.isLive(read.record) ? 'released' : 'expired';
    });
  }

  async inspect(name: string): Promise<LeaseInfo | undefined> {
    validateLeaseName(name);
    return this.locked(() => {
      const read = this.readLease(this.fileOf(name));
      return read.kind === 'ok' && this.isLive(read.record) ? this.info(read.record) : undefined;
    });
  }

  async list(): Promise<LeaseInfo[]> {
    const live = await this.locked(() => {
      this.sweepIfDue();
      // Listing through a link would follow it.
      if (!isRealFolder(this.leasesDir)) return [];
      const now = this.clock.now();
      const found: LeaseInfo[] = [];
      for (const fileName of namesIn(this.leasesDir)) {
        if (!fileName.endsWith('.json')) continue;
        const read = this.readLease(path.join(this.leasesDir, fileName));
        if (read.kind === 'ok' && this.isLive(read.record, now)) found.push(this.info(read.record));
      }
      return found;
    });
    return live.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async acceptFence(resource: string, fence: number): Promise<boolean> {
    validateLeaseName(resource);
    return this.locked(() => {
      const file = fencedFile(this.dir, resource);
      const read = readOwn(file, FENCED_BYTES);
      if (read.kind === 'link') throw linkError(file);
      let seen = 0;
      let damaged = false;
      if (read.kind === 'other') damaged = true;
      else if (read.kind === 'text') {
        const value = parseFenceRecord(read.text);
        if (value === undefined) damaged = true;
        else seen = value;
      }
      if (damaged) {
        // What the store had seen is unknown: only fences granted from now on are accepted (every
        // one granted before is at most the counters' highest), and the record is healed there.
        seen = this.sequence.fenceFloor();
        this.writeFenced(file, seen, read.kind === 'text' ? read.size : undefined);
      }
      if (fence < seen) return false;
      this.writeFenced(file, fence, read.kind === 'text' ? read.size : undefined);
      return true;
    });
  }

  private writeFenced(file: string, fence: number, oldSize: number | undefined): void {
    inFolder(path.dirname(file), () =>
      writeFixedRecord(file, { fence }, FENCED_BYTES, {
        oldSize,
        durable: this.durable,
        what: 'A fence record',
      }),
    );
  }

  // ------------------------------------------------------------------ announcements

  async publish(input: PublishInput): Promise<WfsEvent> {
    return appendEvent(this, this.sequence, input);
  }

  async readEvents(options?: ReadEventsOptions): Promise<WfsEvent[]> {
    return readEventLog(this.dir, options);
  }

  async followEvents(since: number, onEvent: (event: WfsEvent) => void, signal: AbortSignal): Promise<void> {
    return followEventLog(this.dir, since, onEvent, signal);
  }

  // ------------------------------------------------------------------ results, presence, claims

  async putResult(input: Parameters<Coordinator['putResult']>[0]): Promise<SharedResult> {
    return this.shared.putResult(input);
  }

  async getResult(key: string): Promise<SharedResult | undefined> {
    return this.shared.getResult(key);
  }

  async listResults(): Promise<SharedResult[]> {
    return this.shared.listResults();
  }

  async heartbeat(input: Parameters<Coordinator['heartbeat']>[0]): Promise<Presence> {
    return this.shared.heartbeat(input);
  }

  async leave(session: string, workspace?: Workspace): Promise<void> {
    return this.shared.leave(session, workspace);
  }

  async liveSessions(): Promise<Presence[]> {
    return this.shared.liveSessions();
  }

  presenceView(options: Parameters<Coordinator['presenceView']>[0]): Promise<PresenceView> {
    return this.shared.presenceView(options);
  }

  async changeClaims(change: ClaimChange): Promise<ClaimChangeResult> {
    return this.shared.changeClaims(change);
  }

  async claimPaths(input: Parameters<Coordinator['claimPaths']>[0]): Promise<ClaimConflict[]> {
    return replaceClaim(this, input);
  }

  async releaseClaims(session: string, workspace?: Workspace): Promise<void> {
    await this.changeClaims({ session, ...(workspace ? { workspace } : {}), drop: 'all' });
  }

  async listClaims(): Promise<Claim[]> {
    return this.shared.listClaims();
  }

  /** Files under the git directory: nothing can drop a live lease behind the backend's back. */
  async diagnose(): Promise<string[]> {
    return [];
  }

  watchChanges(onChange: (kind: CoordinationChange) => void): () => void {
    return watchCoordinationFolders(this.dir, onChange);
  }

  /** Nothing to close: no file is kept open per record (the host clock's one descriptor is the process's). */
  async close(): Promise<void> {}
}
