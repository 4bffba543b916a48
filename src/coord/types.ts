/**
 * Cross-session coordination (SPEC 5): one interface, two backends (the embedded file backend,
 * `LocalCoordinator`, and Redis, `RedisCoordinator`). A lease is a lock with an owner token, an
 * expiry and a fence; announcements are an ordered event log; presence, path claims and shared
 * results are entries with a TTL.
 */

/**
 * A `.workflow/` folder: each worktree or clone of a repository is a workspace with an ID of its
 * own (SPEC 2), and a name a person recognises (its folder's). A session in coordination is its ID
 * in its workspace.
 */
export interface Workspace {
  id: string;
  name: string;
}

/** Who holds a lease: enough for a person to find it. */
export interface Holder {
  session: string | null;
  workspace?: Workspace;
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

/** An announcement (SPEC 5). IDs only grow, across restarts of the machine or of Redis. */
export interface WfsEvent {
  id: number;
  type: string;
  at: string;
  session: string | null;
  workspace?: Workspace;
  host: string;
  data: Record<string, unknown>;
}

export interface PublishInput {
  /** Words joined by dots: `session.started`, `workflow.completed`, ... */
  type: string;
  session?: string | null;
  workspace?: Workspace;
  data?: Record<string, unknown>;
}

export interface ReadEventsOptions {
  /** Only events after this ID. With it, the oldest `limit` of them; without it, the newest. */
  since?: number;
  limit?: number;
}

/**
 * A shared result: its value is bytes, exactly as put (a string put is its UTF-8), and `text` is
 * that value as text where the bytes are valid UTF-8 (always, for a string put).
 *
 * @example
 * await c.putResult({ key: 'build:abc', value: gzipSync(log), ttlMs: 3_600_000 });
 * const got = await c.getResult('build:abc'); // got.value: the gzip bytes; got.text: undefined
 */
export interface SharedResult {
  key: string;
  value: Buffer;
  text: string | undefined;
  session: string | null;
  workspace?: Workspace;
  host: string;
  put_at: string;
  /** Epoch milliseconds. */
  expires_at: number;
}

export interface Presence {
  session: string;
  workspace?: Workspace;
  host: string;
  pid: number;
  heartbeat_at: string;
  /** Epoch milliseconds. */
  expires_at: number;
}

/** What a view of the live sessions shows, asked for by `presenceView`. */
export interface PresenceView {
  /** How many sessions are live. */
  count: number;
  /** The `limit` live sessions that expire last (with one TTL for all: the latest heartbeats), in that order. */
  sessions: Presence[];
  /** The live presence of each member asked for that is live, in the order asked. */
  members: Presence[];
}

export interface Claim {
  session: string;
  workspace?: Workspace;
  paths: string[];
  /** Epoch milliseconds. */
  expires_at: number;
}

export interface ClaimConflict {
  session: string;
  workspace?: Workspace;
  theirs: string;
  ours: string;
}

/**
 * A change of one session's claim, decided against the claims of everyone in one step (both
 * backends decide with `decideClaimChange` and write only if no claim changed meanwhile, so the
 * read, the check and the write are one atomic step: of two sessions claiming at once, the second
 * sees the first, and two changes of one session's claim never lose each other's paths).
 */
export interface ClaimChange {
  session: string;
  workspace?: Workspace;
  /** Paths to drop from the session's claim first: those named, or all of them. */
  drop?: readonly string[] | 'all';
  /** Paths to add after the drop; the conflicts reported are those of these paths. */
  add?: readonly string[];
  /**
   * The claim ends no earlier than this many milliseconds from now (a later end it had stays).
   * Without it the claim keeps its end; a session that claims nothing yet needs it to add paths.
   */
  ttlMs?: number;
  /** When an added path overlaps a claim of another live session, nothing changes. */
  strict?: boolean;
}

/** A claim of another session that overlaps a path added, as the change saw it. */
export interface SeenConflict extends ClaimConflict {
  /** Whether that session is live (its presence has not ended): only live sessions' claims hold work. */
  live: boolean;
  /** When that claim ends, epoch milliseconds. */
  until: number;
}

export interface ClaimChangeResult {
  /** False when `strict` met a live conflict (or the change changed nothing it was asked to). */
  applied: boolean;
  /** The session's claim after the change; undefined when it claims nothing. */
  claim: Claim | undefined;
  /** The session's claim the change was decided on. */
  previous: Claim | undefined;
  conflicts: SeenConflict[];
}

export interface Coordinator extends LeaseCoordinator {
  readonly backend: 'local' | 'redis';
  /** Where the state lives, fit to show a person (a folder, or a URL without its password). */
  readonly location: string;

  /**
   * Runs several operations as one unit of locking where the backend has one (the embedded
   * backend: one lock cycle instead of one per operation; Redis: each operation is atomic on its
   * own). Not a transaction: what ran before a failure stays. Never wait (`acquire` with
   * `waitMs`) inside it: the embedded backend's lock is held throughout.
   */
  batch<T>(fn: () => Promise<T>): Promise<T>;

  publish(input: PublishInput): Promise<WfsEvent>;
  /** Events in the order they were published. */
  readEvents(options?: ReadEventsOptions): Promise<WfsEvent[]>;
  /**
   * Calls `onEvent` for every event after `since` as it is published, until `signal` aborts.
   * Rejects (E_IO) when the backend is lost while following.
   */
  followEvents(since: number, onEvent: (event: WfsEvent) => void, signal: AbortSignal): Promise<void>;

  /** Stores bytes as given, text as its UTF-8; at most RESULT_MAX_BYTES bytes either way. */
  putResult(input: {
    key: string;
    value: string | Uint8Array;
    ttlMs: number;
    session?: string | null;
    workspace?: Workspace;
  }): Promise<SharedResult>;
  /** The live result of a key; undefined when never put or expired. */
  getResult(key: string): Promise<SharedResult | undefined>;
  listResults(): Promise<SharedResult[]>;

  /** A live session says so; it drops out when it stops saying so for `ttlMs`. */
  heartbeat(input: {
    session: string;
    workspace?: Workspace;
    ttlMs: number;
    pid?: number;
  }): Promise<Presence>;
  /** A session that ends says so at once rather than waiting for its TTL; its claims end too. */
  leave(session: string, workspace?: Workspace): Promise<void>;
  liveSessions(): Promise<Presence[]>;
  /**
   * Only what a view shows of the live sessions: their count, the `limit` that expire last and the
   * `members` named (a session in its workspace), at a cost that does not grow with the number
   * of live sessions' records (the embedded backend lists an index and reads only those records;
   * Redis: ZCOUNT, ZREVRANGEBYSCORE ... LIMIT and HMGET).
   */
  presenceView(options: {
    limit: number;
    members?: readonly { session: string; workspace?: Workspace }[];
  }): Promise<PresenceView>;

  /**
   * Changes a session's claim in one atomic step (the read of everyone's claims, the decision and
   * the write): adds and drops paths, extends its end, and reports the claims of others that the
   * added paths overlap. With `strict`, a live conflict changes nothing.
   */
  changeClaims(change: ClaimChange): Promise<ClaimChangeResult>;
  /**
   * Replaces a session's claim with `paths` for `ttlMs`; returns the claims of others they overlap
   * (live sessions or not). The same step as `changeClaims({drop: 'all', add: paths, ttlMs})`.
   */
  claimPaths(input: {
    session: string;
    workspace?: Workspace;
    paths: string[];
    ttlMs: number;
  }): Promise<ClaimConflict[]>;
  /** Ends a session's claim: `changeClaims({drop: 'all'})`. */
  releaseClaims(session: string, workspace?: Workspace): Promise<void>;
  listClaims(): Promise<Claim[]>;

  /**
   * Conditions of the backend that put the guarantees at risk, one sentence each, for `wfs doctor`
   * and `wfs context` (Redis: an eviction policy that can drop live leases). Never throws.
   */
  diagnose?(): Promise<string[]>;

  /**
   * Where the backend can tell (the embedded one watches its folders), calls `onChange` soon after
   * any process changes leases, presence, claims or results, so a reader such as the dashboard
   * shows a lock taken at once rather than at its next poll. A hint only: a change may be missed or
   * reported twice, and expiries write nothing, so readers still poll. Redis has no such method
   * (nothing announces a SET without keyspace notifications, which wfs does not require of a
   * server). Returns what stops the watching.
   */
  watchChanges?(onChange: (kind: CoordinationChange) => void): () => void;
}

/** What `watchChanges` says changed. */
export type CoordinationChange = 'leases' | 'presence' | 'claims' | 'results';
