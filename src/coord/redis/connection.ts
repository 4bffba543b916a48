import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Cluster, Redis } from 'ioredis';
import { errnoCode, isWfsError, WfsError } from '../../core/errors.js';

/**
 * The connection of the Redis backend: one server (`Redis`) or a Redis Cluster (`Cluster`, which
 * follows MOVED and ASK redirects and refreshes its map of slots when one moves), and what their
 * failures mean. ioredis is loaded here, when the Redis backend is chosen, never by `import 'wfs'`.
 */

/** What the backend asks of a client; a single server's and a Cluster's client both have it. */
export type RedisClient = Pick<Redis, 'eval' | 'evalsha' | 'hgetall' | 'xrange' | 'xrevrange' | 'xread'>;
/** What the eviction check asks of each server that holds data. */
type ServerClient = Pick<Redis, 'config' | 'info'>;

export interface ConnectOptions {
  /** `redis://[[user]:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** Connect and command timeout. */
  timeoutMs: number;
  tls?: TlsOptions;
  /** true: a Redis Cluster; false: one server; undefined: asked of the server (INFO cluster). */
  cluster?: boolean;
}

export interface RedisConnection {
  readonly client: RedisClient;
  readonly cluster: boolean;
  /** A connection of its own, for a blocking XREAD (a blocked connection can do nothing else). */
  openReader(commandTimeoutMs: number): Promise<{ client: RedisClient; close(): void }>;
  /** Why this server may lose leases (an eviction policy other than noeviction), one line each. */
  evictionWarnings(): Promise<string[]>;
  /** The classified error for a failed request (see `classify`). */
  failure(what: string, error: unknown, mayHaveApplied?: string): WfsError;
  close(): Promise<void>;
}

/**
 * Disconnects unless the connection has ended already: ioredis's `disconnect()` of an ended
 * connection starts a 2 s reconnection timer that keeps the process alive (a follower closed on
 * abort and again in its `finally` made every `wfs events --follow` on Redis exit 2 s late).
 */
function disconnectOnce(client: { status: string; disconnect(): void }): void {
  if (client.status !== 'end') client.disconnect();
}

/**
 * Connects a follower's own connection (its blocking reads would hold up every other command on a
 * shared one). The error it met, if any, is what a failed connect reports: ioredis's own rejection
 * only says the connection closed.
 */
async function startReader(
  reader: Redis | Cluster,
  fail: (operation: string, error: unknown) => WfsError,
): Promise<{ client: RedisClient; close(): void }> {
  let readerError: Error | undefined;
  const remember = (error: Error) => {
    readerError = error;
  };
  reader.on('error', remember);
  // A cluster reports a node's failure apart from its own.
  reader.on('node error', remember);
  try {
    await reader.connect();
  } catch (error) {
    reader.disconnect();
    throw fail('follow events', readerError ?? error);
  }
  return { client: reader as RedisClient, close: () => disconnectOnce(reader) };
}

/** A URL fit for a message: the password is never printed. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

// A refused password (WRONGPASS, NOAUTH; "invalid password" from Redis before 6), and an ACL user
// who may not run a command (NOPERM) or whose script may not (an ERR naming the user).
const AUTH_REPLY =
  /^(WRONGPASS|NOAUTH|NOPERM)\b|^ERR invalid (password|username-password)|^ERR The user executing the script can't/;
// The certificate checks of Node's TLS (X509 verification codes); handshake alerts are ERR_SSL_*,
// Node's own TLS errors (a name the certificate does not cover) ERR_TLS_*.
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);
// ioredis' messages for a request it refused to send (the connection was down): it never reached
// the server, so it cannot have been applied.
const NOT_SENT = [
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
];

type Kind = 'auth' | 'tls' | 'reply' | 'connection';

/**
 * While a Redis Cluster moves a slot, a script whose keys are not all on one side is answered
 * TRYAGAIN by both masters (and a request may bounce between them with ASK and MOVED), for as
 * long as the move lasts: seconds for a slot that holds many keys. ioredis follows a request's
 * redirections up to `maxRedirections`; the error reply after the last one it reports as this
 * message, naming that reply, whatever it is (the answer of the master that ran it, or one more
 * redirection, or the NOSCRIPT of a master that has not seen the script yet).
 */
const REDIRECTIONS_EXHAUSTED = /^Too many Cluster redirections\. Last error: ReplyError: ((\S+).*)$/s;
/** Answers that say no master ran the request: it can be sent again without being applied twice. */
const NOT_RUN = new Set(['TRYAGAIN', 'ASK', 'MOVED', 'NOSCRIPT']);
/** How many request timeouts a request waits for a slot that is being moved before it gives up. */
export const SLOT_MOVE_TIMEOUTS = 15;

/** A request that no master would run during the whole of SLOT_MOVE_TIMEOUTS: the slot stayed half moved. */
class SlotStillMoving extends Error {
  constructor(
    readonly waitedMs: number,
    readonly lastAnswer: string,
    options: { cause: unknown },
  ) {
    super(`the slot stayed half moved for ${waitedMs} ms (last answer ${lastAnswer})`, options);
    this.name = 'SlotStillMoving';
  }
}

/** The reply that ended a chain of redirections ioredis gave up on: its first word and the whole. */
function lastReplyOfRedirections(error: unknown): { code: string; message: string } | undefined {
  const found = error instanceof Error ? REDIRECTIONS_EXHAUSTED.exec(error.message) : null;
  return found ? { code: found[2]!, message: found[1]! } : undefined;
}

const CLIENT_METHODS = ['eval', 'evalsha', 'hgetall', 'xrange', 'xrevrange', 'xread'] as const;

/**
 * A Cluster client whose requests wait out a slot being moved: a request whose redirections ran
 * out and that no master ran (NOT_RUN) is sent again, as a new request with a timeout of
 * its own, until `allowanceMs` have passed. A reshard is an operator's routine, not an outage, and
 * a lock acquire or a release that failed during one would cost a lease nobody holds until its TTL.
 * Only requests that no master ran are sent again, so nothing is applied twice.
 */
export function waitingOutSlotMoves(
  cluster: Pick<Cluster, (typeof CLIENT_METHODS)[number]>,
  allowanceMs: number,
): RedisClient {
  const client: Record<string, unknown> = {};
  for (const method of CLIENT_METHODS) {
    const send = (...args: unknown[]) =>
      (cluster[method] as (...args: unknown[]) => Promise<unknown>).apply(cluster, args);
    client[method] = async (...args: unknown[]) => {
      const began = Date.now();
      let redirectedBy = 'TRYAGAIN';
      for (let attempt = 1; ; attempt++) {
        try {
          return await send(...args);
        } catch (error) {
          const last = lastReplyOfRedirections(error);
          if (last === undefined || !NOT_RUN.has(last.code)) throw error;
          if (last.code !== 'NOSCRIPT') redirectedBy = last.code;
          const waited = Date.now() - began;
          if (waited >= allowanceMs) throw new SlotStillMoving(waited, redirectedBy, { cause: error });
          // ioredis waited 100 ms after each TRYAGAIN already; a little more between requests.
          await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
        }
      }
    };
  }
  return client as unknown as RedisClient;
}

/** A Cluster's "all nodes failed" carries the error of the last node it asked. */
function rootCause(error: unknown): unknown {
  const last = (error as { lastNodeError?: unknown } | null)?.lastNodeError;
  return last instanceof Error ? rootCause(last) : error;
}

function kindOf(error: unknown): Kind {
  const cause = rootCause(error);
  const message = (cause as Error | undefined)?.message ?? '';
  if ((cause as Error | undefined)?.name === 'ReplyError') return AUTH_REPLY.test(message) ? 'auth' : 'reply';
  // The reply of the master that ran it, after redirections: an answer, not a lost connection.
  const last = lastReplyOfRedirections(cause);
  if (last !== undefined) return AUTH_REPLY.test(last.message) ? 'auth' : 'reply';
  const code = errnoCode(cause);
  if (code !== undefined && (/^ERR_(SSL|TLS)_/.test(code) || CERTIFICATE_CODES.has(code))) return 'tls';
  return 'connection';
}

/** No answer (refused, closed, timed out), as opposed to an answer or a setting to correct. */
export function isConnectionFailure(error: unknown): boolean {
  return !isWfsError(error) && kindOf(error) === 'connection';
}

/** A request that failed without an answer after it was sent: the server may still apply it. */
export function mayHaveBeenApplied(error: unknown): boolean {
  return (
    isConnectionFailure(error) &&
    !(error instanceof SlotStillMoving) &&
    !NOT_SENT.includes((rootCause(error) as Error).message)
  );
}

/**
 * What a failure means, for the caller and for the unreachable-backend policies (SPEC 5):
 * - a refused password or permission: E_AUTH, and a TLS failure: E_CONFIG (settings to correct,
 *   to which the policies never apply);
 * - another answer from the server (a script error, a wrong type): E_IO;
 * - no answer (refused, closed, timed out): E_UNREACHABLE. `mayHaveApplied` says what the request
 *   may have done when it was sent and no answer came: a timed-out request may still be applied.
 * A request that failed only because the connection was down is classified by the error that
 * brought it down (`connectionError`): a password changed on the server is E_AUTH, not "down".
 */
export function classify(
  url: string,
  what: string,
  error: unknown,
  context: {
    connectionError?: Error | undefined;
    mayHaveApplied?: string | undefined;
    timeoutMs?: number;
  } = {},
): WfsError {
  if (isWfsError(error)) return error;
  let kind = kindOf(error);
  let shown = rootCause(error) as Error;
  if (kind === 'connection' && context.connectionError && kindOf(context.connectionError) !== 'connection') {
    kind = kindOf(context.connectionError);
    shown = rootCause(context.connectionError) as Error;
  }
  const where = redact(url);
  if (kind === 'auth')
    return new WfsError(
      'E_AUTH',
      `Redis at ${where} refused ${what}: ${shown.message} (correct the user, password or ACL permissions)`,
      { cause: error },
    );
  if (kind === 'tls')
    return new WfsError('E_CONFIG', `TLS with Redis at ${where} failed (${what}): ${shown.message}`, {
      cause: error,
    });
  if (kind === 'reply')
    return new WfsError('E_IO', `Redis ${what} failed: ${shown.message}`, { cause: error });
  // Answered, but by redirections only: unusable like an unreachable one (the policies apply).
  if (error instanceof SlotStillMoving)
    return new WfsError(
      'E_UNREACHABLE',
      `Redis Cluster at ${where} could not run ${what}: the project's slot stayed half moved between two masters for ${error.waitedMs} ms (they answered ${error.lastAnswer}), so it was not applied; a reshard that was interrupted is finished with redis-cli --cluster fix`,
      { cause: error },
    );
  const timedOut = shown.message === 'Command timed out';
  const reason = timedOut ? `no answer within ${context.timeoutMs ?? '?'} ms` : shown.message;
  const note = mayHaveBeenApplied(error) && context.mayHaveApplied ? `; ${context.mayHaveApplied}` : '';
  return new WfsError('E_UNREACHABLE', `Cannot reach Redis at ${where} (${what}): ${reason}${note}`, {
    cause: error,
  });
}

/** The eviction policy of one server: CONFIG GET, or INFO memory where CONFIG is refused (managed Redis). */
async function evictionPolicy(server: ServerClient): Promise<string> {
  try {
    const reply = (await server.config('GET', 'maxmemory-policy')) as unknown;
    const policy = Array.isArray(reply)
      ? reply[1]
      : (reply as Record<string, unknown> | null)?.['maxmemory-policy'];
    if (typeof policy === 'string') return policy;
  } catch {
    // Refused (CONFIG is often renamed or denied on managed Redis): INFO says it too.
  }
  const info = String(await server.info('memory'));
  const found = /^maxmemory_policy:(\S+)/m.exec(info);
  if (!found) throw new Error('neither CONFIG GET nor INFO memory gave maxmemory-policy');
  return found[1]!;
}

/**
 * Leases are keys with a TTL; a server that may evict keys when full (every policy but
 * noeviction: the volatile-* ones evict exactly the keys with a TTL) can drop a live lease and
 * grant it to a second holder. Only noeviction keeps them: a full server refuses writes instead.
 */
async function evictionWarnings(servers: { name: string; client: ServerClient }[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const server of servers) {
    try {
      const policy = await evictionPolicy(server.client);
      if (policy !== 'noeviction')
        warnings.push(
          `Redis at ${server.name} may evict keys when full (maxmemory-policy ${policy}): a lease can vanish and be granted to a second holder; set maxmemory-policy noeviction`,
        );
    } catch (error) {
      warnings.push(
        `Could not read the maxmemory-policy of Redis at ${server.name} (${(error as Error).message}): leases are safe only with noeviction`,
      );
    }
  }
  return warnings;
}

/** A Redis URL's database index: a whole number, 0 when the URL names none. */
function databaseOf(url: string, parsed: unknown): number {
  const db = parsed ?? 0;
  if (!/^\d+$/.test(String(db)))
    throw new WfsError(
      'E_CONFIG',
      `The Redis URL ${redact(url)} names database ${JSON.stringify(String(db))}: a database is a whole number`,
    );
  return Number(db);
}

/**
 * Connects to the server of `url`, fails within the timeout (E_UNREACHABLE, E_AUTH or E_CONFIG,
 * see `classify`), and when it is a node of a Redis Cluster (INFO cluster says `cluster_enabled:1`,
 * or `cluster` says so) connects to the cluster through it: any node's URL will do.
 */
export async function connectRedis(options: ConnectOptions): Promise<RedisConnection> {
  const { Redis, Cluster } = await import('ioredis');
  const timeout = options.timeoutMs;
  // Reconnects only once connected: a server that refuses the first connection is reported at
  // once, not after a round of retries (a CLI command is waiting). Once connected it keeps trying
  // (at most a second apart) until closed, so a blip shorter than a lease's TTL does not cost it.
  let connected = false;
  const reconnectDelay = (attempt: number) => (connected ? Math.min(100 * attempt, 1_000) : null);
  const common = {
    connectTimeout: timeout,
    commandTimeout: timeout,
    // A request is sent once. Left on, ioredis sends again after a reconnect a request that went
    // unanswered, one whose failure (and what it may have done) was already reported.
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    ...(options.tls ? { tls: options.tls } : {}),
  };
  let single: Redis;
  try {
    single = new Redis(options.url, {
      ...common,
      lazyConnect: true,
      // Fail now rather than queue requests for a server that is not there (never silently).
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay,
    });
  } catch (error) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid Redis URL ${redact(options.url)}: ${(error as Error).message}`,
    );
  }
  // Before connecting: ioredis would send the URL's database, whatever it is, to the server.
  const db = databaseOf(options.url, single.options.db);
  // Reported through the failing request; without a listener ioredis would print it. The socket's
  // own error (ECONNREFUSED, WRONGPASS, a certificate) says more than ioredis' "Connection is closed".
  let connectionError: Error | undefined;
  const remember = (error: Error) => {
    connectionError = error;
  };
  single.on('error', remember);
  single.on('ready', () => {
    connectionError = undefined;
  });
  const fail = (what: string, error: unknown, mayHaveApplied?: string) =>
    classify(options.url, what, error, { connectionError, timeoutMs: timeout, mayHaveApplied });
  // Over TLS, 'connect' is the end of the handshake. A server that then resets the connection
  // before answering anything refused the handshake (with TLS 1.3 a server that requires a client
  // certificate says so after the client's last handshake message, and the client may meet the
  // reset before it reads the alert); a server that is up but unwilling answers an error first.
  let handshaken = false;
  single.on('connect', () => {
    handshaken = true;
  });
  try {
    await single.connect();
  } catch (error) {
    // Already ended after a refused connection (see disconnectOnce).
    disconnectOnce(single);
    const cause = connectionError ?? error;
    if (single.options.tls && handshaken && ['ECONNRESET', 'EPIPE'].includes(errnoCode(cause) ?? ''))
      throw new WfsError(
        'E_CONFIG',
        `TLS with Redis at ${redact(options.url)} failed (connect): the server closed the connection after the handshake (${(cause as Error).message}), as one that requires a client certificate does`,
        { cause },
      );
    throw fail('connect', cause);
  }
  let isCluster = options.cluster;
  if (isCluster === undefined) {
    try {
      isCluster = /^cluster_enabled:1\b/m.test(String(await single.info('cluster')));
    } catch (error) {
      single.disconnect();
      const failed = fail('INFO cluster', error);
      if (failed.code !== 'E_AUTH') throw failed;
      throw new WfsError(
        'E_CONFIG',
        `${failed.message}: wfs cannot tell whether it is a Redis Cluster; set coordination.cluster (true or false) in .workflow/config.json or WFS_REDIS_CLUSTER`,
        { cause: error },
      );
    }
  }

  if (!isCluster) {
    if (db !== 0) {
      // ioredis selects the database on connecting but goes on in database 0 when the server
      // refuses; asked again here, the refusal is an error rather than the wrong database.
      try {
        await single.select(db);
      } catch (error) {
        single.disconnect();
        if (kindOf(error) !== 'reply') throw fail('SELECT', error);
        throw new WfsError(
          'E_CONFIG',
          `The Redis URL ${redact(options.url)} names database ${db}, which the server refuses: ${(error as Error).message}`,
        );
      }
    }
    const openReader = (commandTimeoutMs: number) =>
      // No reconnecting: a follower is told at once that the server went away.
      startReader(
        single.duplicate({ lazyConnect: true, commandTimeout: commandTimeoutMs, retryStrategy: () => null }),
        fail,
      );
    connected = true;
    return {
      client: single,
      cluster: false,
      openReader,
      evictionWarnings: () => evictionWarnings([{ name: redact(options.url), client: single }]),
      failure: fail,
      close: async () => {
        await single.quit().catch(() => single.disconnect());
      },
    };
  }

  if (db !== 0) {
    single.disconnect();
    throw new WfsError(
      'E_CONFIG',
      `The Redis URL ${redact(options.url)} names database ${db}, but a Redis Cluster has only database 0`,
    );
  }
  const { host, port, username, password, tls } = single.options;
  await single.quit().catch(() => single.disconnect());
  const clusterOptions = {
    lazyConnect: true,
    // Reads go to the slot's master too: a replica may not have the newest lease yet.
    scaleReads: 'master' as const,
    // No queue while the cluster is not ready: a request fails (and is reported) instead of waiting.
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelay,
    // A request's chain of redirections ends well within its timeout (8 TRYAGAIN waits of a 20th of
    // it: 100 ms at 2 s), whose timer starts when the request is first sent. A request cut by the
    // timeout in the middle of a chain may have been run by the last master it reached; one whose
    // redirections ran out was run by none, and is sent again while the slot moves
    // (waitingOutSlotMoves).
    maxRedirections: 8,
    retryDelayOnTryAgain: Math.min(100, Math.floor(timeout / 20)),
    slotsRefreshTimeout: timeout,
    // The URL's host name is kept rather than resolved, so a TLS certificate for it verifies.
    dnsLookup: (address: string, callback: (error: Error | null, address: string) => void) =>
      callback(null, address),
    redisOptions: {
      ...common,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls } : {}),
    },
  };
  const cluster: Cluster = new Cluster([{ host, port }], clusterOptions);
  connectionError = undefined;
  cluster.on('error', remember);
  cluster.on('node error', remember);
  cluster.on('ready', () => {
    connectionError = undefined;
  });
  try {
    await cluster.connect();
  } catch (error) {
    cluster.disconnect();
    throw fail('connect', connectionError ?? error);
  }
  const openReader = async (commandTimeoutMs: number) => {
    const reader = await startReader(
      cluster.duplicate([], {
        clusterRetryStrategy: () => null,
        redisOptions: { ...clusterOptions.redisOptions, commandTimeout: commandTimeoutMs },
      }),
      fail,
    );
    return { ...reader, client: waitingOutSlotMoves(reader.client as Cluster, SLOT_MOVE_TIMEOUTS * timeout) };
  };
  connected = true;
  return {
    client: waitingOutSlotMoves(cluster, SLOT_MOVE_TIMEOUTS * timeout),
    cluster: true,
    openReader,
    evictionWarnings: () =>
      evictionWarnings(
        cluster
          .nodes('master')
          .map((node) => ({ name: `${node.options.host}:${node.options.port}`, client: node })),
      ),
    failure: fail,
    close: async () => {
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}
