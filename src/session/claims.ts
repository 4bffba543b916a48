import fs from 'node:fs';
import path from 'node:path';
import { conflictsWith } from '../coord/claims.js';
import { describeMember, memberOf, sameMember } from '../coord/entries.js';
import { withCoordinator } from '../coord/open.js';
import { ENTRY_MAX_TTL_MS, validateClaimPaths, validateTtl } from '../coord/rules.js';
import type { Claim, ClaimConflict, Coordinator, SeenConflict, Workspace } from '../coord/types.js';
import { WfsError } from '../core/errors.js';
import { gitCommonDir } from '../store/git.js';
import type { ProjectContext } from '../store/project.js';
import { workspaceOf } from '../store/workspace.js';
import { SESSION_PRESENCE_TTL_MS } from './announcements.js';
import { readTarget } from './target.js';

/**
 * Path claims of sessions (SPEC 3 `wfs claim`, SPEC 5 conflicts, SPEC 7 the edit guard): the paths
 * (or globs) a session will change, relative to its workspace root so that two worktrees of one
 * repository speak of the same files, and the overlaps with what other live sessions claim. A
 * session's claims are one entry of the backend with one expiry; claiming more adds to it. A
 * session is its ID in its workspace (coord/entries.ts): the same ID in another worktree is
 * another session, whose claims are conflicts like anyone's.
 */

/** A claim lives as long as a session's presence unless asked otherwise: it is renewed by the same signs of life. */
export const CLAIM_TTL_MS = SESSION_PRESENCE_TTL_MS;

/**
 * The top of the git worktree of this repository that holds `file`, when that is another worktree
 * than the root's: the nearest folder above the file with a `.git`, if its git common directory is
 * the root's. A nested repository of another history (a submodule, a vendored clone) is not one:
 * its files are the project's files at their path below the root.
 */
function otherWorktreeOf(root: string, file: string): string | undefined {
  for (let dir = path.dirname(file); dir !== root; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) {
      const theirs = gitCommonDir(dir);
      const ours = gitCommonDir(root);
      return theirs !== undefined && ours !== undefined && realpath(theirs) === realpath(ours)
        ? dir
        : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
  return undefined;
}

function realpath(dir: string): string {
  try {
    return fs.realpathSync.native(dir);
  } catch {
    return dir;
  }
}

/**
 * A path as claims hold it: relative to the workspace root, with forward slashes. An absolute path
 * (what the agents' edit tools give) inside the root is made relative; one outside it is no path of
 * this project and is refused. A file in another git worktree of the repository (an agent that
 * moved into `.claude/worktrees/<name>` or `../wt-<name>`) is taken relative to that worktree: every
 * worktree holds the same files at the same relative paths, and those are what claims compare
 * across workspaces.
 */
export function claimPath(ctx: ProjectContext, input: string, cwd?: string): string {
  const root = ctx.layout.root;
  const absolute = path.isAbsolute(input) ? path.normalize(input) : path.resolve(cwd ?? root, input);
  const base = otherWorktreeOf(root, absolute) ?? root;
  const relative = path.relative(base, absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
    throw new WfsError('E_INVALID_INPUT', `${input} is not a path inside the project (${root})`);
  return relative.split(path.sep).join('/');
}

export interface PathConflict extends ClaimConflict {
  /** When the other session's claim ends, ISO. */
  until: string;
  /** The other session as people read it (with its workspace's folder when that is another one). */
  label: string;
}

export interface ClaimResult {
  session_id: string;
  /** False when `strict` met an overlap and nothing was claimed. */
  claimed: boolean;
  /** Every path the session claims now. */
  paths: string[];
  /** When its claims end, ISO; null when it claims nothing. */
  expires_at: string | null;
  /** Live sessions whose claims overlap the paths asked for. */
  conflicts: PathConflict[];
  warnings: string[];
}

/** Conflicts only with sessions that are live now (a claim outlives a crashed session by at most its TTL). */
async function liveConflicts(
  c: Coordinator,
  conflicts: readonly ClaimConflict[],
  claims: readonly Claim[],
  own: Workspace,
): Promise<PathConflict[]> {
  if (conflicts.length === 0) return [];
  const key = (x: { session: string; workspace?: Workspace }) => memberOf(x.session, x.workspace);
  // Only the sessions of the conflicts are asked about, never every live one.
  const asked = await c.presenceView({ limit: 0, members: conflicts });
  const live = new Set(asked.members.map(key));
  const until = new Map(claims.map((claim) => [key(claim), new Date(claim.expires_at).toISOString()]));
  return conflicts
    .filter((conflict) => live.has(key(conflict)))
    .map((conflict) => ({
      ...conflict,
      until: until.get(key(conflict)) ?? '',
      label: describeMember(conflict, own),
    }));
}

/** The conflicts a claim change saw, of live sessions only, as people read them. */
function shownConflicts(conflicts: readonly SeenConflict[], own: Workspace): PathConflict[] {
  return conflicts
    .filter((conflict) => conflict.live)
    .map(({ live: _live, until, ...conflict }) => ({
      ...conflict,
      until: new Date(until).toISOString(),
      label: describeMember(conflict, own),
    }));
}

function normalisePaths(ctx: ProjectContext, paths: readonly string[], cwd?: string): string[] {
  validateClaimPaths([...paths]);
  return [...new Set(paths.map((p) => claimPath(ctx, p, cwd)))];
}

/**
 * `wfs claim PATH...`: adds the paths to the session's claims (the target of SPEC 2's resolution;
 * an open session), renewing them for `ttlMs` (the later of that and what they had), and reports
 * the live sessions whose claims overlap them, announcing a `conflict.detected` when there are.
 * With `strict`, an overlap leaves the claims as they were (`claimed: false`).
 */
export async function claimSessionPaths(
  ctx: ProjectContext,
  input: { paths: readonly string[]; ttlMs?: number; session?: string; cwd?: string; strict?: boolean },
): Promise<ClaimResult> {
  const asked = normalisePaths(ctx, input.paths, input.cwd);
  const ttlMs = validateTtl(input.ttlMs ?? CLAIM_TTL_MS, ENTRY_MAX_TTL_MS);
  const { session, warnings } = await readTarget(ctx, input.session, {
    action: 'claim paths for',
    refuseArchived: true,
    refuseCompleted: true,
    refuseBound: true,
  });
  const workspace = workspaceOf(ctx.layout);
  const member = { session: session.id, workspace };
  return withCoordinator(ctx, async (c) => {
    // One atomic step on either backend: of two sessions claiming at once, the second sees the
    // first (and, strict, is refused), and two claims of one session keep each other's paths.
    const changed = await c.changeClaims({
      ...member,
      add: asked,
      ttlMs,
      ...(input.strict ? { strict: true } : {}),
    });
    const outcome = {
      claimed: changed.applied,
      paths: changed.claim?.paths ?? [],
      expiresAt: changed.claim?.expires_at ?? 0,
      conflicts: shownConflicts(changed.conflicts, workspace),
    };
    if (outcome.conflicts.length > 0) {
      try {
        await c.publish({
          type: 'conflict.detected',
          ...member,
          data: {
            paths: asked.slice(0, 20),
            with: [...new Set(outcome.conflicts.map((x) => x.label))].slice(0, 20),
          },
        });
      } catch (error) {
        warnings.push(`Could not announce conflict.detected: ${(error as Error).message}`);
      }
    }
    return {
      session_id: session.id,
      claimed: outcome.claimed,
      paths: outcome.paths,
      expires_at: outcome.expiresAt === 0 ? null : new Date(outcome.expiresAt).toISOString(),
      conflicts: outcome.conflicts,
      warnings,
    };
  });
}

/**
 * What an edit of these paths would meet: the live sessions, other than `session` (null: no session
 * of the caller's), whose claims overlap them. Reads only (the edit guard asks before it claims).
 */
export async function pathConflicts(
  ctx: ProjectContext,
  input: { paths: readonly string[]; session: string | null; cwd?: string },
): Promise<PathConflict[]> {
  const asked = normalisePaths(ctx, input.paths, input.cwd);
  const workspace = workspaceOf(ctx.layout);
  return withCoordinator(ctx, async (c) => {
    const claims = await c.listClaims();
    return liveConflicts(c, conflictsWith(claims, input.session ?? '', asked, workspace), claims, workspace);
  });
}

export interface ReleaseResult {
  session_id: string;
  /** What the session still claims. */
  paths: string[];
  released: string[];
  warnings: string[];
}

/** `wfs claim release [PATH...]`: the paths named (all of the session's claims without any). */
export async function releaseSessionPaths(
  ctx: ProjectContext,
  input: { paths?: readonly string[]; session?: string; cwd?: string } = {},
): Promise<ReleaseResult> {
  const { session, warnings } = await readTarget(ctx, input.session, {
    action: 'release the claims of',
    refuseBound: true,
  });
  const named =
    input.paths === undefined || input.paths.length === 0
      ? undefined
      : normalisePaths(ctx, input.paths, input.cwd);
  const workspace = workspaceOf(ctx.layout);
  return withCoordinator(ctx, async (c) => {
    const changed = await c.changeClaims({ session: session.id, workspace, drop: named ?? 'all' });
    const kept = changed.claim?.paths ?? [];
    return {
      session_id: session.id,
      paths: kept,
      released: (changed.previous?.paths ?? []).filter((p) => !kept.includes(p)),
      warnings,
    };
  });
}

export interface ClaimView {
  session: string;
  workspace?: Workspace;
  paths: string[];
  expires_at: string;
  /** Whether the claiming session is live (only live sessions' claims are conflicts). */
  live: boolean;
}

/** `wfs claim list`: every claim of the project, of every workspace and machine on the backend. */
export async function listPathClaims(ctx: ProjectContext): Promise<ClaimView[]> {
  return withCoordinator(ctx, async (c) => {
    const claims = await c.listClaims();
    const live = new Set((await c.liveSessions()).map((p) => memberOf(p.session, p.workspace)));
    return claims.map((claim) => ({
      session: claim.session,
      ...(claim.workspace ? { workspace: claim.workspace } : {}),
      paths: claim.paths,
      expires_at: new Date(claim.expires_at).toISOString(),
      live: live.has(memberOf(claim.session, claim.workspace)),
    }));
  });
}

/**
 * Renews what a session claims for another TTL (a sign of life of its conversation), so the paths
 * it edited stay claimed while it works. Nothing to renew: nothing is written.
 */
export async function renewSessionClaims(
  c: Coordinator,
  session: string,
  workspace: Workspace,
): Promise<void> {
  // A read first, so that a fresh claim costs no write; the renewal itself is one atomic change
  // (a path added or released meanwhile is neither lost nor brought back).
  const ours = (await c.listClaims()).find((claim) => sameMember(claim, session, workspace));
  if (ours === undefined || ours.expires_at - Date.now() > CLAIM_TTL_MS - 60_000) return;
  await c.changeClaims({ session, workspace, ttlMs: CLAIM_TTL_MS });
}
