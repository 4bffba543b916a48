import type { Claim, ClaimConflict, Workspace } from './types.js';

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
