/**
 * Cross-session coordination (SPEC 5), the lease part: one interface, implemented by the embedded
 * file backend now and by Redis next. A lease is a lock with an owner token, an expiry and a fence.
 */

/** Who holds a lease: enough for a person to find it. */
export interface Holder {
  session: string | null;
  host: string;
  pid: number;
}

export interface Lease {
  name: string;
  /** Proof of ownership: renew and release act only with it. */
  token: string;
  /** Increases strictly with every grant of this name, across restarts; safe in JSON. */
  fence: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  holder: Holder;
}

/** What others may see of a lease (no token). */
export type LeaseInfo = Omit<Lease, 'token'>;

export type AcquireResult = { status: 'acquired'; lease: Lease } | { status: 'held'; current: LeaseInfo };

export type ReleaseOutcome = 'released' | 'not_owner' | 'expired';

export interface AcquireOptions {
  ttlMs: number;
  /** Wait up to this long for a held lease to be freed (default: do not wait). */
  waitMs?: number;
  holder?: Partial<Holder>;
}

export interface LeaseCoordinator {
  acquire(name: string, options: AcquireOptions): Promise<AcquireResult>;
  /** Extends the lease; undefined when it is no longer ours (expired and taken, or released). */
  renew(lease: Pick<Lease, 'name' | 'token'>, ttlMs: number): Promise<Lease | undefined>;
  release(lease: Pick<Lease, 'name' | 'token'>): Promise<ReleaseOutcome>;
  /** The live lease of a name, if any. */
  inspect(name: string): Promise<LeaseInfo | undefined>;
  /** Every live lease. */
  list(): Promise<LeaseInfo[]>;
  /**
   * A store that accepts fenced writes asks this before each write: true (and remembered) when
   * `fence` is at least the newest fence seen for `resource`, false for an older one.
   */
  acceptFence(resource: string, fence: number): Promise<boolean>;
  close(): Promise<void>;
}
