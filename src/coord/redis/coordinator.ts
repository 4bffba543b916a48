import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { WfsError } from '../../core/errors.js';
import { decideClaimChange, replaceClaim } from '../claims.js';
import {
  claimChangeOf,
  claimValue,
  memberOf,
  presenceEntry,
  resultEntry,
  resultOf,
  type StoredResult,
} from '../entries.js';
import {
  holderOf,
  leaseToken,
  shapeEvent,
  thisHost,
  validateEntryKey,
  validateLeaseName,
  validateTtl,
  validateWorkspace,
  waitBeforeRetry,
} from '../rules.js';
import type {
  AcquireOptions,
  AcquireResult,
  Claim,
  ClaimChange,
  ClaimChangeResult,
  ClaimConflict,
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
import {
  connectRedis,
  isConnectionFailure,
  mayHaveBeenApplied,
  type RedisConnection,
  redact,
} from './connection.js';
import {
  deleteEntry,
  getEntry,
  listEntries,
  presenceView,
  putEntry,
  readClaims,
  writeClaim,
} from './entries.js';
import { publishEvent, readEvents, waitForEvents } from './events.js';
import { type EntryKind, ProjectKeys } from './keys.js';
import * as leases from './leases.js';

export { redact } from './connection.js';

/** A follower's XREAD BLOCK waits this long before asking again (and noticing an abort). */
const FOLLOW_BLOCK_MS = 5_000;
/**
 * An acquire that timed out is undone (see `abandonAcquire`) within this many timeouts: enough to
 * outlast a server that was briefly paused, not so long that a command waits on a dead one.
 */
const ABANDON_TIMEOUTS = 3;

export interface RedisOptions {
  /** `redis://[[user]:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** The project's identity (SPEC 5): keys of two projects never meet. */
  projectId: string;
  /** Connect and command timeout (default 2,000 ms). */
  timeoutMs?: number;
  /** TLS options for `rediss://` URLs (for example `{ca}` for a private authority). */
  tls?: TlsOptions;
  /**
   * true: the URL names a node of a Redis Cluster; false: a single server; unset: the server is
   * asked (INFO cluster). On a cluster any node's URL will do, and a slot that moves is followed.
   */
  cluster?: boolean;
}

/** Splits `<number> <rest>`, the shape of the entries' stored values. */
function splitFirst(text: string): [string, string] {
  const space = text.indexOf(' ');
  return [text.slice(0, space), text.slice(space + 1)];
}

/** The times every entry is shown with. */
type StoredTimes = { put_at: string; expires_at: number };

/** An entry as the embedded backend shows it: the stored fields plus the times. */
function entry<T>(expires: string, stored: string): T {
  const [putAt, json] = splitFirst(stored);
  return {
    ...(JSON.parse(json) as object),
    put_at: new Date(Number(putAt)).toISOString(),
    expires_at: Number(expires),
  } as T;
}

function entries<T>(rows: string[]): T[] {
  const found: T[] = [];
  for (let i = 0; i < rows.length; i += 3) found.push(entry<T>(rows[i + 1]!, rows[i + 2]!));
  return found;
}

/** A stored presence as callers see it: its put time is its heartbeat. */
function shownPresence({ put_at, ...rest }: Presence & { put_at?: string }): Presence {
  return { ...rest, heartbeat_at: put_at ?? '' };
}

/** A stored claim as callers see it (no put time). */
function shownClaim({ session, workspace, paths, expires_at }: Claim & { put_at?: string }): Claim {
  return { session, ...(workspace ? { workspace } : {}), paths, expires_at };
}

/**
 * Reads and write attempts of one claim change before it gives up: each failed attempt means
 * another session changed a claim in the few milliseconds between, so this many in a row is a
 * storm of claims, not bad luck.
 */
const CLAIM_ATTEMPTS = 50;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The Redis backend (SPEC 5): leases, fences, announcements (a Stream), results, presence and
 * claims (entries with a TTL), each operation one Lua script (leases.ts, entries.ts, events.ts).
 * Keys of one project share a hash tag (keys.ts), so the backend works on Redis Cluster.
 *
 * A request that fails without an answer may still have been applied by the server; the error
 * says what it may have done, and an acquire undoes the lease it may have been granted.
 */
export class RedisCoordinator implements Coordinator {
  readonly backend = 'redis';
  readonly location: string;
  private readonly keys: ProjectKeys;
  private ownHolderJson: string | undefined;

  private constructor(
    private readonly connection: RedisConnection,
    projectId: string,
    url: string,
    private readonly timeoutMs: number,
  ) {
    this.location = redact(url);
    this.keys = new ProjectKeys(projectId);
  }

  /**
   * Connects, failing within the timeout: E_UNREACHABLE when the server cannot be reached,
   * E_AUTH when it refuses the password, E_CONFIG for a TLS failure or a database it lacks.
   */
  static async connect(options: RedisOptions): Promise<RedisCoordinator> {
    const timeoutMs = options.timeoutMs ?? 2_000;
    const connection = await connectRedis({
      url: options.url,
      timeoutMs,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    });
    return new RedisCoordinator(connection, options.projectId, options.url, timeoutMs);
  }

  /** Whether this coordinator talks to a Redis Cluster. */
  get cluster(): boolean {
    return this.connection.cluster;
  }

  private get client() {
    return this.connection.client;
  }

  /** Runs one request; `mayHaveApplied` is what to say when it fails after it may have been applied. */
  private async run<T>(what: string, fn: () => Promise<T>, mayHaveApplied?: string): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.connection.failure(what, error, mayHaveApplied);
    }
  }

  // ------------------------------------------------------------------ leases

  async acquire(name: string, options: AcquireOptions): Promise<AcquireResult> {
    validateLeaseName(name);
    const ttlMs = validateTtl(options.ttlMs);
    const holder = holderOf(options.holder);
    const holderJson = options.holder === undefined ? this.defaultHolderJson(holder) : JSON.stringify(holder);
    const deadline = Date.now() + Math.max(0, options.waitMs ?? 0);
    for (let attempt = 0; ; attempt++) {
      // Made before the request, so that a request without an answer can still be undone.
      const token = leaseToken();
      let reply: Awaited<ReturnType<typeof leases.grant>>;
      try {
        reply = await leases.grant(this.client, this.keys, name, token, ttlMs, holderJson);
      } catch (error) {
        throw await this.abandonAcquire(error, name, token, ttlMs);
      }
      // Granted: `<fence> <expires_at>`. A grant's holder is the one sent.
      if (typeof reply === 'string') {
        const space = reply.indexOf(' ');
        return {
          status: 'acquired',
          lease: {
            name,
            fence: Number(reply.slice(0, space)),
            expiresAt: Number(reply.slice(space + 1)),
            holder,
            token,
          },
        };
      }
      // Only an acquire applied after its abandon is refused, and nobody waits for its answer then.
      if (reply[0] === 2)
        throw new WfsError('E_INTERNAL', `Redis refused the acquire of ${name} as abandoned`);
      const [, fence, expires, currentHolder] = reply;
      const info = {
        name,
        fence: Number(fence),
        expiresAt: Number(expires),
        holder: JSON.parse(currentHolder) as Holder,
      };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { status: 'held', current: info };
      await waitBeforeRetry(attempt, remaining, info.expiresAt - Date.now());
    }
  }

  /** The JSON of this process's own holder (no holder given), made once: it never changes. */
  private defaultHolderJson(holder: Holder): string {
    this.ownHolderJson ??= JSON.stringify(holder);
    return this.ownHolderJson;
  }

  /**
   * An acquire failed without an answer: the server may still grant it (a paused or slow server
   * applies it later), and then nobody would have the token while everyone waits out the TTL. So
   * it is undone, with the token made before the request: released when granted, and refused when
   * applied later still. Tried again (a request on the same connection runs after the acquire)
   * for a few timeouts; the error says what became of it.
   */
  private async abandonAcquire(
    error: unknown,
    name: string,
    token: string,
    ttlMs: number,
  ): Promise<WfsError> {
    if (!mayHaveBeenApplied(error)) return this.connection.failure('acquire', error);
    const giveUpAt = Date.now() + ABANDON_TIMEOUTS * this.timeoutMs;
    let outcome: string;
    for (let attempt = 1; ; attempt++) {
      try {
        const undone = await leases.abandon(this.client, this.keys, { name, token });
        outcome =
          undone === 'released'
            ? 'it had been granted and was released'
            : 'it was not granted, and a late grant is refused';
        break;
      } catch (abandonError) {
        if (!isConnectionFailure(abandonError) || Date.now() + 100 * attempt >= giveUpAt) {
          outcome = `it may have been granted and could not be released (${(abandonError as Error).message}): it ends by itself ${ttlMs} ms after it was granted`;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    return this.connection.failure('acquire', error, `the lease it may have been granted: ${outcome}`);
  }

  async renew(lease: Pick<Lease, 'name' | 'token'>, ttlMs: number): Promise<Lease | undefined> {
    validateTtl(ttlMs);
    const renewed = await this.run(
      'renew',
      () => leases.renew(this.client, this.keys, { name: lease.name, token: lease.token, ttlMs }),
      'the lease may have been renewed',
    );
    if (renewed === null) return undefined;
    return {
      name: lease.name,
      token: lease.token,
      fence: Number(renewed[0]),
      expiresAt: Number(renewed[1]),
      holder: JSON.parse(renewed[2]) as Holder,
    };
  }

  release(lease: Pick<Lease, 'name' | 'token'>): Promise<ReleaseOutcome> {
    // Not through `run`: one async frame fewer on the path of every lease.
    return leases.release(this.client, this.keys, lease).catch((error: unknown) => {
      throw this.connection.failure(
        'release',
        error,
        'the lease may have been released; if not, it ends at its expiry',
      );
    });
  }

  async inspect(name: string): Promise<LeaseInfo | undefined> {
    validateLeaseName(name);
    const live = await this.run('inspect', () => leases.inspectLease(this.client, this.keys, name));
    if (live === null) return undefined;
    return {
      name,
      fence: Number(live[0]),
      expiresAt: Number(live[1]),
      holder: JSON.parse(live[2]) as Holder,
    };
  }

  async list(): Promise<LeaseInfo[]> {
    const flat = await this.run('list', () => leases.listLeases(this.client, this.keys));
    const found: LeaseInfo[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      found.push({
        name: flat[i]!,
        fence: Number(flat[i + 1]),
        expiresAt: Number(flat[i + 2]),
        holder: JSON.parse(flat[i + 3]!) as Holder,
      });
    }
    return found.sort((a, b) => byText(a.name, b.name));
  }

  async acceptFence(resource: string, fence: number): Promise<boolean> {
    validateLeaseName(resource);
    return (
      (await this.run(
        'fence check',
        () => leases.acceptFence(this.client, this.keys, resource, fence),
        'the fence may have been recorded as the newest seen',
      )) === 1
    );
  }

  /** Eviction policies that can lose leases (SPEC 5), one warning per server; never throws. */
  diagnose(): Promise<string[]> {
    return this.connection.evictionWarnings();
  }

  // ------------------------------------------------------------------ announcements

  /** Every operation is one atomic script already: nothing to group. */
  batch<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async publish(input: PublishInput): Promise<WfsEvent> {
    const shaped = shapeEvent(input, thisHost(), new Date());
    const id = await this.run(
      'publish',
      () => publishEvent(this.client, this.keys, JSON.stringify(shaped)),
      'the event may have been published',
    );
    return { id, ...shaped };
  }

  readEvents(options: ReadEventsOptions = {}): Promise<WfsEvent[]> {
    return this.run('read events', () =>
      readEvents(this.client, this.keys, options.since ?? 0, options.limit ?? 1_000),
    );
  }

  /**
   * Follows the stream with XREAD BLOCK on a connection of its own (a blocked connection can do
   * nothing else), so an event reaches a follower as soon as it is added. The connection is closed
   * on abort, which ends the pending XREAD.
   */
  async followEvents(since: number, onEvent: (event: WfsEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const reader = await this.connection.openReader(FOLLOW_BLOCK_MS + this.timeoutMs);
    const stop = () => reader.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      let last = since;
      while (!signal.aborted) {
        for (const event of await waitForEvents(reader.client, this.keys, last, FOLLOW_BLOCK_MS)) {
          last = event.id;
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw this.connection.failure('follow events', error);
    } finally {
      signal.removeEventListener('abort', stop);
      reader.close();
    }
  }

  // ------------------------------------------------------------------ entries with a TTL

  private put(
    kind: EntryKind,
    member: string,
    value: unknown,
    ttlMs: number,
    mayHaveApplied: string,
  ): Promise<[string, string]> {
    return this.run(
      kind,
      () => putEntry(this.client, this.keys, kind, { member, value: JSON.stringify(value), ttlMs }),
      mayHaveApplied,
    );
  }

  private async listed<T>(kind: EntryKind): Promise<T[]> {
    return entries<T>(await this.run(kind, () => listEntries(this.client, this.keys, kind)));
  }

  private async remove(kind: EntryKind, member: string, mayHaveApplied: string): Promise<void> {
    await this.run(kind, () => deleteEntry(this.client, this.keys, kind, member), mayHaveApplied);
  }

  async putResult(input: Parameters<typeof resultEntry>[0]): Promise<SharedResult> {
    const entry = resultEntry(input);
    const [putAt, expires] = await this.put(
      'results',
      entry.key,
      entry.value,
      entry.lifetimeMs,
      'the value may be stored',
    );
    return resultOf({
      ...entry.value,
      put_at: new Date(Number(putAt)).toISOString(),
      expires_at: Number(expires),
    });
  }

  async getResult(key: string): Promise<SharedResult | undefined> {
    validateEntryKey(key, 'result key');
    const reply = await this.run('results', () => getEntry(this.client, this.keys, 'results', key));
    return reply === null ? undefined : resultOf(entry<StoredResult & StoredTimes>(reply[0], reply[1]));
  }

  async listResults(): Promise<SharedResult[]> {
    return (await this.listed<StoredResult & StoredTimes>('results'))
      .sort((a, b) => byText(a.key, b.key))
      .map(resultOf);
  }

  async heartbeat(input: Parameters<typeof presenceEntry>[0]): Promise<Presence> {
    const entry = presenceEntry(input);
    const [putAt, expires] = await this.put(
      'presence',
      entry.key,
      entry.value,
      entry.lifetimeMs,
      'the heartbeat may have been recorded',
    );
    return {
      ...entry.value,
      heartbeat_at: new Date(Number(putAt)).toISOString(),
      expires_at: Number(expires),
    };
  }

  async leave(session: string, workspace?: Workspace): Promise<void> {
    const key = memberOf(session, validateWorkspace(workspace));
    await this.remove('presence', key, 'the session may have left the live sessions');
    await this.run(
      'claims',
      () => writeClaim(this.client, this.keys, { expected: '', member: key, op: 'delete' }),
      'the claims may have been released',
    );
  }

  async liveSessions(): Promise<Presence[]> {
    const found = await this.listed<Presence & { put_at?: string }>('presence');
    return found.map(shownPresence).sort((a, b) => byText(a.session, b.session));
  }

  async presenceView(options: Parameters<Coordinator['presenceView']>[0]): Promise<PresenceView> {
    const members = (options.members ?? []).map((m) => memberOf(m.session, validateWorkspace(m.workspace)));
    const [count, newest, asked] = await this.run('presence', () =>
      presenceView(this.client, this.keys, Math.max(0, Math.floor(options.limit)), members),
    );
    return {
      count: Number(count),
      sessions: entries<Presence & { put_at?: string }>(newest).map(shownPresence),
      members: entries<Presence & { put_at?: string }>(asked).map(shownPresence),
    };
  }

  /**
   * Optimistic compare-and-set (entries.ts): read the claims with their version, decide with the
   * one rule, write only if no claim changed meanwhile, else read again. Bounded: after
   * CLAIM_ATTEMPTS changes by others in between, an error says so (never a silent success).
   */
  async changeClaims(input: ClaimChange): Promise<ClaimChangeResult> {
    const { key, change } = claimChangeOf(input);
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const [now, version, rows, alive] = await this.run('claims', () => readClaims(this.client, this.keys));
      // In the order listClaims gives, so that conflicts are reported alike on both backends.
      const claims = entries<Claim & { put_at?: string }>(rows)
        .map(shownClaim)
        .sort((a, b) => byText(a.session, b.session));
      const live = new Set<string>();
      for (let i = 0; i < alive.length; i++) if (alive[i] === '1') live.add(rows[i * 3]!);
      const isLive = (m: { session: string; workspace?: Workspace }) =>
        live.has(memberOf(m.session, m.workspace));
      const decision = decideClaimChange(claims, isLive, change, Number(now));
      const { applied, conflicts, write } = decision;
      if (write.kind === 'none')
        return { applied, conflicts, claim: decision.previous, previous: decision.previous };
      const paths = write.kind === 'put' ? write.paths : [];
      const written = await this.run(
        'claims',
        () =>
          writeClaim(
            this.client,
            this.keys,
            write.kind === 'put'
              ? {
                  expected: version,
                  member: key,
                  op: 'put',
                  value: JSON.stringify(claimValue(change, paths)),
                  ttlMs: write.lifetimeMs,
                }
              : { expected: version, member: key, op: 'delete' },
          ),
        'the claim may have been changed',
      );
      if (written !== null)
        return {
          applied,
          conflicts,
          claim:
            write.kind === 'put'
              ? { ...claimValue(change, paths), expires_at: Number(written[1]) }
              : undefined,
          previous: decision.previous,
        };
      // Another session changed a claim between the read and the write: decide again on what is now.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * attempt)));
    }
    throw new WfsError(
      'E_LOCK_TIMEOUT',
      `The claim of ${change.session} was not changed: other sessions changed claims each time it tried (${CLAIM_ATTEMPTS} times); try again`,
    );
  }

  claimPaths(input: {
    session: string;
    workspace?: Workspace;
    paths: string[];
    ttlMs: number;
  }): Promise<ClaimConflict[]> {
    return replaceClaim(this, input);
  }

  async releaseClaims(session: string, workspace?: Workspace): Promise<void> {
    await this.changeClaims({ session, ...(workspace ? { workspace } : {}), drop: 'all' });
  }

  async listClaims(): Promise<Claim[]> {
    const found = await this.listed<Claim & { put_at?: string }>('claims');
    return found.map(shownClaim).sort((a, b) => byText(a.session, b.session));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
