import { CommitParser } from 'conventional-commits-parser';
import semver from 'semver';

/**
 * The pure part of release-prep: from the commits since the last release, the next version
 * (Conventional Commits: a breaking change is major, `feat` minor, `fix` and `perf` patch; while
 * the major is 0 a breaking change is minor, as semver's 0.y.z allows) and the manifest with its
 * version bumped. The changelog's section is changelog.ts's.
 */
export interface Commit {
  hash: string;
  message: string;
}

export interface ParsedCommit {
  hash: string;
  type: string | null;
  scope: string | null;
  subject: string;
  breaking: boolean;
}

export type Bump = 'major' | 'minor' | 'patch';

const parser = new CommitParser({ breakingHeaderPattern: /^(\w*)(?:\((.*)\))?!: (.*)$/ });

export function parseCommits(commits: readonly Commit[]): ParsedCommit[] {
  return commits.map((c) => {
    const parsed = parser.parse(c.message);
    return {
      hash: c.hash,
      type: parsed.type ?? null,
      scope: parsed.scope ?? null,
      subject: parsed.subject ?? c.message.split('\n')[0]!,
      breaking: parsed.notes.some((n) => /^BREAKING[ -]CHANGE$/.test(n.title)),
    };
  });
}

export function bumpFor(commits: readonly ParsedCommit[], current: string): Bump | null {
  let bump: Bump | null = null;
  for (const c of commits) {
    if (c.breaking) return semver.major(current) === 0 ? 'minor' : 'major';
    if (c.type === 'feat') bump = 'minor';
    else if ((c.type === 'fix' || c.type === 'perf') && bump === null) bump = 'patch';
  }
  return bump;
}

export function nextVersion(current: string, bump: Bump): string {
  const next = semver.inc(current, bump);
  if (next === null) throw new Error(`${current} is not a semantic version`);
  return next;
}

/** package.json with its version replaced in place (its formatting kept). */
export function bumpManifest(text: string, version: string): string {
  const pattern = /("version"\s*:\s*")([^"]*)(")/;
  if (!pattern.test(text)) throw new Error('package.json has no "version"');
  return text.replace(pattern, `$1${version}$3`);
}
