import { coordinationSettings, withCoordinator } from '../coord/open.js';
import { decideUnreachable } from '../coord/policy.js';
import { RESULT_MAX_BYTES, validateLeaseName } from '../coord/rules.js';
import type { Lease, LeaseInfo, ReleaseOutcome, SharedResult, WfsEvent, Workspace } from '../coord/types.js';
import type { UnreachablePolicy } from '../core/config.js';
import { WfsError } from '../core/errors.js';
import type { ProjectContext } from '../store/project.js';
import { workspaceOf } from '../store/workspace.js';
import { actingSessionId } from './target.js';

/**
 * The coordination operations of the front doors (`wfs lock`, `wfs results`, `wfs events`, the MCP
 * tools `wfs_claim` and `wfs_share`), with their policies in one place: the acting session (SPEC 2's
 * resolution) as the holder or author, the project's unreachable-backend policy for a lock, and a
 * shared result announced once it is stored.
 */

/**
 * Who acts in coordination: the acting session (or null, a shell with no session) in this
 * workspace. The workspace record is made if need be: what is left under it (a lock, a result)
 * must be found under the same ID by the commands after this one.
 */
function actor(ctx: ProjectContext): { session: string | null; workspace: Workspace } {
  return { session: actingSessionId(ctx), workspace: workspaceOf(ctx.layout, { create: true }) };
}

export type LockResult =
  | { status: 'acquired'; lease: Lease }
  | { status: 'held'; current: LeaseInfo }
  /** The backend could not be reached and the project's policy said what to do instead (SPEC 5). */
  | { status: 'unlocked' | 'skipped'; name: string; policy: UnreachablePolicy; reason: string };

/** `wfs lock acquire NAME`: a lease for the acting session; an unreachable backend goes by the project's policy. */
export async function acquireLock(
  ctx: ProjectContext,
  input: { name: string; ttlMs: number; waitMs?: number },
): Promise<LockResult> {
  validateLeaseName(input.name);
  const settings = coordinationSettings(ctx);
  const holder = actor(ctx);
  try {
    return await withCoordinator(ctx, (c) =>
      c.acquire(input.name, { ttlMs: input.ttlMs, waitMs: input.waitMs ?? 0, holder }),
    );
  } catch (error) {
    const decision = decideUnreachable(settings.onUnreachable, error);
    return { ...decision, name: input.name };
  }
}

/** `wfs lock release NAME --token T`: says what happened (released, not_owner, expired). */
export function releaseLock(
  ctx: ProjectContext,
  input: { name: string; token: string },
): Promise<ReleaseOutcome> {
  validateLeaseName(input.name);
  if (input.token === '') throw new WfsError('E_USAGE', 'A lock is released with the token its acquire gave');
  return withCoordinator(ctx, (c) => c.release({ name: input.name, token: input.token }));
}

/** `wfs lock list`: the project's live leases (tokens never shown). */
export function listLocks(ctx: ProjectContext): Promise<LeaseInfo[]> {
  return withCoordinator(ctx, (c) => c.list());
}

/** `wfs results put KEY`: the value (bytes, or text as its UTF-8) stored for `ttlMs`, then announced (`result.shared`). */
export async function shareResult(
  ctx: ProjectContext,
  input: { key: string; value: string | Uint8Array; ttlMs: number },
): Promise<{ result: SharedResult; warnings: string[] }> {
  const { session, workspace } = actor(ctx);
  const warnings: string[] = [];
  const result = await withCoordinator(ctx, async (c) => {
    const put = await c.putResult({
      key: input.key,
      value: input.value,
      ttlMs: input.ttlMs,
      session,
      workspace,
    });
    try {
      await c.publish({
        type: 'result.shared',
        session,
        workspace,
        data: { key: put.key, bytes: put.value.length },
      });
    } catch (error) {
      // The result is shared; only the announcement of it failed.
      warnings.push(`Could not announce result.shared for ${put.key}: ${(error as Error).message}`);
    }
    return put;
  });
  return { result, warnings };
}

/** `wfs results get KEY`: E_NOT_FOUND when never put or expired. */
export async function getSharedResult(ctx: ProjectContext, key: string): Promise<SharedResult> {
  const result = await withCoordinator(ctx, (c) => c.getResult(key));
  if (result === undefined)
    throw new WfsError('E_NOT_FOUND', `No shared result ${key} (never put, or expired)`);
  return result;
}

export function listSharedResults(ctx: ProjectContext): Promise<SharedResult[]> {
  return withCoordinator(ctx, (c) => c.listResults());
}

/** How a value is written in JSON: as its text, or (bytes that are not UTF-8) in base64. */
export type ResultEncoding = 'utf8' | 'base64';

/**
 * A shared result as JSON shows it (`--json`, the MCP tools): `bytes` is the value's size in bytes;
 * `value` (when asked for) is its text where the bytes are valid UTF-8, else its bytes in base64,
 * and `encoding` says which (Node's names: `Buffer.from(value, encoding)` gives the bytes back).
 */
export interface SharedResultDocument {
  key: string;
  value?: string;
  encoding: ResultEncoding;
  bytes: number;
  session: string | null;
  workspace?: Workspace;
  host: string;
  put_at: string;
  expires_at: string;
}

/** The one JSON form of a shared result, with its value or (a listing, a put) without. */
export function sharedResultDocument(
  result: SharedResult,
  options: { withValue: boolean },
): SharedResultDocument {
  const encoding: ResultEncoding = result.text === undefined ? 'base64' : 'utf8';
  return {
    key: result.key,
    ...(options.withValue ? { value: result.text ?? result.value.toString('base64') } : {}),
    encoding,
    bytes: result.value.length,
    session: result.session,
    ...(result.workspace ? { workspace: result.workspace } : {}),
    host: result.host,
    put_at: result.put_at,
    expires_at: new Date(result.expires_at).toISOString(),
  };
}

/**
 * A value given in JSON (the MCP tool's `value` with its `encoding`) as what is put: text as it
 * is, base64 as its bytes. Anything but standard padded base64 is refused rather than decoded
 * loosely (Node's decoder skips what it does not know, which would store other bytes): the bytes
 * must give back exactly the text they came from.
 */
export function valueOfDocument(value: string, encoding: ResultEncoding = 'utf8'): string | Buffer {
  if (encoding === 'utf8') return value;
  // The bound on the bytes, checked before decoding allocates them.
  if (value.length > Math.ceil(RESULT_MAX_BYTES / 3) * 4)
    throw new WfsError('E_INVALID_INPUT', `A result is at most ${RESULT_MAX_BYTES} bytes`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value)
    throw new WfsError('E_INVALID_INPUT', 'The value is not base64 (standard alphabet, padded with =)');
  return bytes;
}

/** `wfs events`: announcements, oldest first (after `since`: the oldest `limit`; else the newest). */
export function readAnnouncements(
  ctx: ProjectContext,
  options: { since?: number; limit?: number } = {},
): Promise<WfsEvent[]> {
  return withCoordinator(ctx, (c) => c.readEvents(options));
}
