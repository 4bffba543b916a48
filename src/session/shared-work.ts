import { coordinationSettings, withCoordinator } from '../coord/open.js';
import { decideUnreachable } from '../coord/policy.js';
import { validateLeaseName } from '../coord/rules.js';
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

/** `wfs results put KEY`: the value stored for `ttlMs`, then announced (`result.shared`). */
export async function shareResult(
  ctx: ProjectContext,
  input: { key: string; value: string; ttlMs: number },
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
        data: { key: put.key, bytes: Buffer.byteLength(input.value) },
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

/** `wfs events`: announcements, oldest first (after `since`: the oldest `limit`; else the newest). */
export function readAnnouncements(
  ctx: ProjectContext,
  options: { since?: number; limit?: number } = {},
): Promise<WfsEvent[]> {
  return withCoordinator(ctx, (c) => c.readEvents(options));
}
