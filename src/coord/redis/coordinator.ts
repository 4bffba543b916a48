import { Redis } from 'ioredis';
import { WfsError } from '../../core/errors.js';
import { uniqueSuffix } from '../../store/unique.js';
import { conflictsWith } from '../claims.js';
import {
  ENTRY_MAX_TTL_MS,
  holderOf,
  shapeEvent,
  thisHost,
  validateClaimPaths,
  validateEntryKey,
  validateLeaseName,
  validateResultValue,
  validateTtl,
  waitBeforeRetry,
} from '../rules.js';
import type {
  AcquireOptions,
  AcquireResult,
  Claim,
  ClaimConflict,
  Coordinator,
  Holder,
  Lease,
  LeaseInfo,
  Presence,
  PublishInput,
  ReadEventsOptions,
  ReleaseOutcome,
  SharedResult,
  WfsEvent,
} from '../types.js';
import { ACCEPT_FENCE, ACQUIRE, ENTRIES, PUBLISH, RELEASE, RENEW } from './scripts.js';

/** The stream of announcements keeps about this many of the newest (as the embedded log does). */
const EVENTS_CAP = 10_000;
/** A follower's XREAD BLOCK waits this long before asking again (and noticing an abort). */
const FOLLOW_BLOCK_MS = 5_000;

type EntryReply = [string, string, string[]];

type Scripted = Redis & {
  wfsAcquire(
    lease: string,
    fence: string,
    boot: string,
    indexExpiry: string,
    indexValues: string,
    token: string,
    ttl: number,
    holder: string,
    name: string,
  ): Promise<[number, string, string, string]>;
  wfsRenew(
    lease: string,
    indexExpiry: string,
    token: string,
    ttl: number,
    name: string,
  ): Promise<[string, string, string] | null>;
  wfsRelease(
    lease: string,
    fence: string,
    indexExpiry: string,
    indexValues: string,
    token: string,
    name: string,
  ): Promise<ReleaseOutcome>;
  wfsAcceptFence(fenced: string, boot: string, fence: number): Promise<number>;
  wfsEntries(
    expiry: string,
    values: string,
    op: string,
    member?: string,
    value?: string,
    ttl?: number,
  ): Promise<unknown>;
  wfsPublish(stream: string, event: string, cap: number): Promise<string>;
};

export interface RedisOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** The project's identity (SPEC 5): keys of two projects never meet. */
  projectId: string;
  /** Connect and command timeout (default 2,000 ms). */
  timeoutMs?: number;
  /** TLS options for `rediss://` URLs (for example `{ca}` for a private authority). */
  tls?: import('node:tls').ConnectionOptions;
}

/** Errors of a connection (refused, closed, timed out) as opposed to an answer from the server. */
function unreachable(url: string, what: string, error: unknown): WfsError {
  return new WfsError(
    'E_UNREACHABLE',
    `Cannot reach Redis at ${redact(url)} (${what}): ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}

/** Splits `<number> <rest>`, the shape of the entries' stored values. */
function splitFirst(text: string): [string, string] {
  const space = text.indexOf(' ');
  return [text.slice(0, space), text.slice(space + 1)];
}

/**
 * The Redis backend (SPEC 5): leases, fences, announcements (a Stream), results, presence and
 * claims (entries with a TTL), all through the Lua scripts of scripts.ts. Keys of one project
 * share a hash tag, `wfs:{<project>}:...`, so every script's keys live on one Redis Cluster slot.
 */
export class RedisCoordinator implements Coordinator {
  readonly backend = 'redis';
  readonly location: string;
  private readonly client: Scripted;
  private readonly prefix: string;

  private constructor(
    client: Redis,
    projectId: string,
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {
    client.defineCommand('wfsAcquire', { numberOfKeys: 5, lua: ACQUIRE });
    client.defineCommand('wfsRenew', { numberOfKeys: 2, lua: RENEW });
    client.defineCommand('wfsRelease', { numberOfKeys: 4, lua: RELEASE });
    client.defineCommand('wfsAcceptFence', { numberOfKeys: 2, lua: ACCEPT_FENCE });
    client.defineCommand('wfsEntries', { numberOfKeys: 2, lua: ENTRIES });
    client.defineCommand('wfsPublish', { numberOfKeys: 1, lua: PUBLISH });
    this.client = client as Scripted;
    this.location = redact(url);
    // The hash tag {...} puts every key of the project on one Cluster slot.
    this.prefix = `wfs:{${projectId.replace(/[{}]/g, '_')}}:`;
  }

  /** Connects, failing with E_UNREACHABLE within the timeout when the server cannot be reached. */
  static async connect(options: RedisOptions): Promise<RedisCoordinator> {
    const timeout = options.timeoutMs ?? 2_000;
    let client: Redis;
    // Reconnects only once connected: a server that refuses the first connection is reported at
    // once, not after a round of retries (a CLI command is waiting).
    let connected = false;
    try {
      client = new Redis(options.url, {
        lazyConnect: true,
        connectTimeout: timeout,
        commandTimeout: timeout,
        // Fail now rather than queue commands for a server that is not there (never silently).
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => (!connected || attempt > 3 ? null : Math.min(attempt * 100, 500)),
        ...(options.tls ? { tls: options.tls } : {}),
      });
    } catch (error) {
      throw new WfsError(
        'E_INVALID_INPUT',
        `Invalid Redis URL ${redact(options.url)}: ${(error as Error).message}`,
      );
    }
    // Reported through the failing command; without a listener ioredis would print it. The
    // socket's own error (ECONNREFUSED, a TLS failure) says more than ioredis' "Connection is closed".
    let socketError: Error | undefined;
    client.on('error', (error: Error) => {
      socketError = error;
    });
    try {
      await client.connect();
      connected = true;
    } catch (error) {
      // Already ended after a refused connection; disconnecting again would keep a 2 s timer alive.
      if (client.status !== 'end') client.disconnect();
      throw unreachable(options.url, 'connect', socketError ?? error);
    }
    return new RedisCoordinator(client, options.projectId, options.url, timeout);
  }

  private key(kind: string, name = ''): string {
    return `${this.prefix}${kind}${name === '' ? '' : `:${name}`}`;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof WfsError) throw error;
      // An answer from the server (a script error, a wrong type): not a connection problem.
      if ((error as Error).name === 'ReplyError')
        throw new WfsError('E_IO', `Redis ${what} failed: ${(error as Error).message}`, { cause: error });
      throw unreachable(this.url, what, error);
    }
  }

  // ------------------------------------------------------------------ leases

  async acquire(name: string, options: AcquireOptions): Promise<AcquireResult> {
    validateLeaseName(name);
    validateTtl(options.ttlMs);
    const holder = holderOf(options.holder);
    const holderJson = JSON.stringify(holder);
    const deadline = Date.now() + Math.max(0, options.waitMs ?? 0);
    for (let attempt = 0; ; attempt++) {
      const token = `${uniqueSuffix()}${Math.random().toString(36).slice(2, 10)}`;
      const [granted, fence, expires, currentHolder] = await this.run('acquire', () =>
        this.client.wfsAcquire(
          this.key('lease', name),
          this.key('fence', name),
          this.key('boot'),
          this.key('leases:exp'),
          this.key('leases:data'),
          token,
          options.ttlMs,
          holderJson,
          name,
        ),
      );
      const info = {
        name,
        fence: Number(fence),
        expiresAt: Number(expires),
        holder: JSON.parse(currentHolder) as Holder,
      };
      if (granted === 1) return { status: 'acquired', lease: { ...info, token } };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { status: 'held', current: info };
      await waitBeforeRetry(attempt, remaining, info.expiresAt - Date.now());
    }
  }

  async renew(lease: Pick<Lease, 'name' | 'token'>, ttlMs: number): Promise<Lease | undefined> {
    validateTtl(ttlMs);
    const renewed = await this.run('renew', () =>
      this.client.wfsRenew(
        this.key('lease', lease.name),
        this.key('leases:exp'),
        lease.token,
        ttlMs,
        lease.name,
      ),
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
    return this.run('release', () =>
      this.client.wfsRelease(
        this.key('lease', lease.name),
        this.key('fence', lease.name),
        this.key('leases:exp'),
        this.key('leases:data'),
        lease.token,
        lease.name,
      ),
    );
  }

  async inspect(name: string): Promise<LeaseInfo | undefined> {
    validateLeaseName(name);
    const fields = await this.run('inspect', () => this.client.hgetall(this.key('lease', name)));
    if (fields.token === undefined) return undefined;
    return {
      name,
      fence: Number(fields.fence),
      expiresAt: Number(fields.expires_at),
      holder: JSON.parse(fields.holder ?? '{}') as Holder,
    };
  }

  async list(): Promise<LeaseInfo[]> {
    const flat = (await this.run('list', () =>
      this.client.wfsEntries(this.key('leases:exp'), this.key('leases:data'), 'list'),
    )) as string[];
    const found: LeaseInfo[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const [fence, holder] = splitFirst(flat[i + 2]!);
      found.push({
        name: flat[i]!,
        fence: Number(fence),
        expiresAt: Number(flat[i + 1]),
        holder: JSON.parse(holder),
      });
    }
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async acceptFence(resource: string, fence: number): Promise<boolean> {
    validateLeaseName(resource);
    return (
      (await this.run('fence check', () =>
        this.client.wfsAcceptFence(this.key('fenced', resource), this.key('boot'), fence),
      )) === 1
    );
  }

  // ------------------------------------------------------------------ announcements

  /** Every operation is one atomic script already: nothing to group. */
  batch<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async publish(input: PublishInput): Promise<WfsEvent> {
    const shaped = shapeEvent(input, thisHost(), new Date());
    const id = await this.run('publish', () =>
      this.client.wfsPublish(this.key('events'), JSON.stringify(shaped), EVENTS_CAP),
    );
    return { id: Number(id), ...shaped };
  }

  private static decode(entries: [string, string[]][]): WfsEvent[] {
    return entries.map(([id, fields]) => ({
      id: Number(id.slice(0, id.indexOf('-'))),
      ...(JSON.parse(fields[1]!) as Omit<WfsEvent, 'id'>),
    }));
  }

  async readEvents(options: ReadEventsOptions = {}): Promise<WfsEvent[]> {
    const since = options.since ?? 0;
    const limit = options.limit ?? 1_000;
    if (since > 0) {
      const entries = await this.run('read events', () =>
        this.client.xrange(this.key('events'), `(${since}-0`, '+', 'COUNT', limit),
      );
      return RedisCoordinator.decode(entries);
    }
    const entries = await this.run('read events', () =>
      this.client.xrevrange(this.key('events'), '+', '-', 'COUNT', limit),
    );
    return RedisCoordinator.decode(entries.reverse());
  }

  /**
   * Follows the stream with XREAD BLOCK on a connection of its own (a blocked connection can do
   * nothing else), so an event reaches a follower as soon as it is added. The connection is closed
   * on abort, which ends the pending XREAD.
   */
  async followEvents(since: number, onEvent: (event: WfsEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const reader = this.client.duplicate({
      lazyConnect: true,
      commandTimeout: FOLLOW_BLOCK_MS + this.timeoutMs,
    });
    reader.on('error', () => {
      // Reported through the failing XREAD.
    });
    const stop = () => reader.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await reader.connect();
      let last = since;
      while (!signal.aborted) {
        const reply = await reader.xread(
          'COUNT',
          1_000,
          'BLOCK',
          FOLLOW_BLOCK_MS,
          'STREAMS',
          this.key('events'),
          `${last}-0`,
        );
        for (const event of RedisCoordinator.decode(reply?.[0]?.[1] ?? [])) {
          last = event.id;
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw unreachable(this.url, 'follow events', error);
    } finally {
      signal.removeEventListener('abort', stop);
      reader.disconnect();
    }
  }

  // ------------------------------------------------------------------ entries with a TTL

  private async putEntry(
    kind: string,
    member: string,
    value: unknown,
    ttlMs: number,
    op = 'put',
  ): Promise<EntryReply> {
    return (await this.run(kind, () =>
      this.client.wfsEntries(
        this.key(`${kind}:exp`),
        this.key(`${kind}:data`),
        op,
        member,
        JSON.stringify(value),
        ttlMs,
      ),
    )) as EntryReply;
  }

  private async listEntries<T>(kind: string, flat?: string[]): Promise<T[]> {
    const rows =
      flat ??
      ((await this.run(kind, () =>
        this.client.wfsEntries(this.key(`${kind}:exp`), this.key(`${kind}:data`), 'list'),
      )) as string[]);
    const found: T[] = [];
    for (let i = 0; i < rows.length; i += 3)
      found.push(RedisCoordinator.entry<T>(rows[i + 1]!, rows[i + 2]!));
    return found;
  }

  /** An entry as the embedded backend shows it: the stored fields plus the times. */
  private static entry<T>(expires: string, stored: string): T {
    const [putAt, json] = splitFirst(stored);
    return {
      ...(JSON.parse(json) as object),
      put_at: new Date(Number(putAt)).toISOString(),
      expires_at: Number(expires),
    } as T;
  }

  async putResult(input: {
    key: string;
    value: string;
    ttlMs: number;
    session?: string | null;
  }): Promise<SharedResult> {
    validateEntryKey(input.key, 'result key');
    const ttl = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
    validateResultValue(input.value);
    const stored = {
      key: input.key,
      value: input.value,
      session: input.session ?? null,
      host: thisHost(),
    };
    const [putAt, expires] = await this.putEntry('results', input.key, stored, ttl);
    return { ...stored, put_at: new Date(Number(putAt)).toISOString(), expires_at: Number(expires) };
  }

  async getResult(key: string): Promise<SharedResult | undefined> {
    validateEntryKey(key, 'result key');
    const reply = (await this.run('results', () =>
      this.client.wfsEntries(this.key('results:exp'), this.key('results:data'), 'get', key),
    )) as [string, string] | null;
    return reply === null ? undefined : RedisCoordinator.entry<SharedResult>(reply[0], reply[1]);
  }

  async listResults(): Promise<SharedResult[]> {
    return (await this.listEntries<SharedResult>('results')).sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
  }

  async heartbeat(input: { session: string; ttlMs: number; pid?: number }): Promise<Presence> {
    validateEntryKey(input.session, 'session');
    const ttl = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
    const stored = { session: input.session, host: thisHost(), pid: input.pid ?? process.pid };
    const [putAt, expires] = await this.putEntry('presence', input.session, stored, ttl);
    return { ...stored, heartbeat_at: new Date(Number(putAt)).toISOString(), expires_at: Number(expires) };
  }

  async leave(session: string): Promise<void> {
    validateEntryKey(session, 'session');
    await this.run('presence', () =>
      this.client.wfsEntries(this.key('presence:exp'), this.key('presence:data'), 'del', session),
    );
    await this.releaseClaims(session);
  }

  async liveSessions(): Promise<Presence[]> {
    const found = await this.listEntries<Presence & { put_at?: string }>('presence');
    return found
      .map(({ put_at, ...rest }) => ({ ...rest, heartbeat_at: put_at ?? '' }))
      .sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0));
  }

  async claimPaths(input: { session: string; paths: string[]; ttlMs: number }): Promise<ClaimConflict[]> {
    validateEntryKey(input.session, 'session');
    const ttl = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
    validateClaimPaths(input.paths);
    const [, , seen] = await this.putEntry(
      'claims',
      input.session,
      { session: input.session, paths: input.paths },
      ttl,
      'claim',
    );
    return conflictsWith(await this.listEntries<Claim>('claims', seen), input.session, input.paths);
  }

  async releaseClaims(session: string): Promise<void> {
    validateEntryKey(session, 'session');
    await this.run('claims', () =>
      this.client.wfsEntries(this.key('claims:exp'), this.key('claims:data'), 'del', session),
    );
  }

  async listClaims(): Promise<Claim[]> {
    const found = await this.listEntries<Claim & { put_at?: string }>('claims');
    return found
      .map(({ session, paths, expires_at }) => ({ session, paths, expires_at }))
      .sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0));
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** A URL fit for a message: the password is never printed. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}
