import { WfsError } from '../core/errors.js';
import { validateClaimPaths } from './rules.js';
import type {
  Claim,
  ClaimChange,
  ClaimChangeResult,
  ClaimConflict,
  SeenConflict,
  Workspace,
} from './types.js';

/** The literal start of a glob: what every path it matches begins with. */
function literalPrefix(glob: string): string {
  const normalised = glob.replace(/^\.\//, '').replace(/\\/g, '/');
  const wildcard = normalised.search(/[*?[\]{}!]/);
  return wildcard < 0 ? normalised : normalised.slice(0, wildcard);
}

/**
 * Whether two globs can match a common path. Decided on their literal prefixes (the part before
 * the first wildcard): when neither prefix starts the other they cannot overlap; otherwise they
 * are reported as overlapping. It may report an overlap that a precise check would not (`src/*.ts`
 * and `src/*.md`), never miss one: a false alarm asks a person, a miss lets two sessions collide.
 */
export function globsMayOverlap(a: string, b: string): boolean {
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  const exactA = pa === a.replace(/^\.\//, '');
  const exactB = pb === b.replace(/^\.\//, '');
  if (exactA && exactB) return pa === pb || pa.startsWith(`${pb}/`) || pb.startsWith(`${pa}/`);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

/** The claims of other sessions (another ID, or the same ID in another workspace) that overlap `paths`. */
export function conflictsWith(
  claims: readonly Claim[],
  session: string,
  paths: readonly string[],
  workspace?: Workspace,
): ClaimConflict[] {
  const conflicts: ClaimConflict[] = [];
  for (const other of claims) {
    if (other.session === session && (other.workspace?.id ?? undefined) === (workspace?.id ?? undefined))
      continue;
    for (const theirs of other.paths)
      for (const ours of paths)
        if (globsMayOverlap(theirs, ours))
          conflicts.push({
            session: other.session,
            ...(other.workspace ? { workspace: other.workspace } : {}),
            theirs,
            ours,
          });
  }
  return conflicts;
}

/** What a backend writes for a decided change. */
export type ClaimWrite =
  | { kind: 'none' }
  | { kind: 'delete' }
  | { kind: 'put'; paths: string[]; lifetimeMs: number };

export interface ClaimDecision {
  applied: boolean;
  conflicts: SeenConflict[];
  write: ClaimWrite;
  /** The session's claim the decision was made on (also what stays when nothing is written). */
  previous: Claim | undefined;
}

const memberKey = (x: { session: string; workspace?: Workspace }) => `${x.session}\0${x.workspace?.id ?? ''}`;

/**
 * The one rule of a claim change (pure: the backends give it what they read, the time on the
 * clock the claims' expiries are on, and who is live). Drops before it adds, so `drop: 'all'` with
 * `add` replaces the claim; an empty claim is no claim.
 */
export function decideClaimChange(
  claims: readonly Claim[],
  isLive: (member: { session: string; workspace?: Workspace }) => boolean,
  change: ClaimChange,
  now: number,
): ClaimDecision {
  const own = memberKey(change);
  const ours = claims.find((claim) => memberKey(claim) === own);
  const add = change.add ?? [];
  const ends = new Map(claims.map((claim) => [memberKey(claim), claim.expires_at]));
  const conflicts = conflictsWith(claims, change.session, add, change.workspace).map((conflict) => ({
    ...conflict,
    live: isLive(conflict),
    until: ends.get(memberKey(conflict)) ?? 0,
  }));
  if (change.strict && conflicts.some((conflict) => conflict.live))
    return { applied: false, conflicts, write: { kind: 'none' }, previous: ours };
  const drop = change.drop;
  const kept =
    drop === 'all' ? [] : (ours?.paths ?? []).filter((p) => drop === undefined || !drop.includes(p));
  const paths = [...new Set([...kept, ...add])];
  if (paths.length === 0)
    return {
      applied: true,
      conflicts,
      write: ours === undefined ? { kind: 'none' } : { kind: 'delete' },
      previous: ours,
    };
  // What is kept keeps its end; the TTL asked for may make it later.
  // (At least 1 ms: a live claim read on one clock and `now` on another may seem to have ended.)
  const remaining = kept.length > 0 && ours !== undefined ? Math.max(1, ours.expires_at - now) : 0;
  const lifetimeMs = Math.ceil(Math.max(change.ttlMs ?? 0, remaining));
  const same =
    ours !== undefined && paths.length === ours.paths.length && paths.every((p, i) => p === ours.paths[i]);
  // Nothing new and no later end: no write (a renewal of a fresh claim costs nothing).
  if (same && lifetimeMs <= remaining)
    return { applied: true, conflicts, write: { kind: 'none' }, previous: ours };
  if (lifetimeMs < 1)
    throw new WfsError('E_INVALID_INPUT', 'A new claim needs a TTL: the session claims nothing yet');
  return { applied: true, conflicts, write: { kind: 'put', paths, lifetimeMs }, previous: ours };
}

/**
 * `claimPaths` on either backend: the session's claim replaced by `paths` in one `changeClaims`,
 * with the conflicts as that method always reported them (of live sessions or not).
 */
export async function replaceClaim(
  c: { changeClaims(change: ClaimChange): Promise<ClaimChangeResult> },
  input: { session: string; workspace?: Workspace; paths: string[]; ttlMs: number },
): Promise<ClaimConflict[]> {
  // Checked here as well: an empty list would be a release, and claimPaths never released.
  validateClaimPaths(input.paths);
  const { conflicts } = await c.changeClaims({
    session: input.session,
    ...(input.workspace ? { workspace: input.workspace } : {}),
    drop: 'all',
    add: input.paths,
    ttlMs: input.ttlMs,
  });
  return conflicts.map(({ live: _live, until: _until, ...conflict }) => conflict);
}
