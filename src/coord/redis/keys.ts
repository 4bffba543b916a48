/**
 * The project's part of the project ID in a key: `%`, `{` and `}` are percent-escaped. Escaping
 * `%` too makes it injective (`team{x}` and `team_x_` no longer meet), and an ID without those
 * three characters (nearly all: remote URLs, root commits) is unchanged, so the keys of current
 * users stay where they are. No `{` or `}` is left, so the hash tag is exactly the escaped ID.
 */
export function projectTag(projectId: string): string {
  return projectId.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The keys of one project: `wfs:{<project>}:<kind>[:<name>]`. The hash tag {...} puts every key of
 * the project on one Redis Cluster slot, so each script's keys are on one node. Kinds never
 * begin one another and then a colon (`lease:` and `leases:`, `fence:` and `fenced:` differ before
 * it), so two kinds never share a key whatever the names.
 */
export class ProjectKeys {
  private readonly prefix: string;

  constructor(projectId: string) {
    this.prefix = `wfs:{${projectTag(projectId)}}:`;
  }

  private key(kind: string, name?: string): string {
    return `${this.prefix}${kind}${name === undefined ? '' : `:${name}`}`;
  }

  /**
   * A live lease: `<token> <fence> <expires_at> <holder JSON>`, with the lease's TTL (the previous
   * version: a hash of those fields).
   */
  lease(name: string): string {
    return this.key('lease', name);
  }
  /**
   * The last fence granted for a name, with the index bookkeeping and abandoned tokens of this
   * version (leases.ts); the version before this kept the token of the last grant here too.
   */
  fence(name: string): string {
    return this.key('fence', name);
  }
  /** Set by the first operation after a restart of a Redis that kept nothing. */
  boot(): string {
    return this.key('boot');
  }
  /** The lease index: expiry times by name (a sorted set). */
  leaseIndexExpiry(): string {
    return this.key('leases:exp');
  }
  /** The previous version's `<fence> <holder JSON>` by name, beside the index: no longer written. */
  leaseIndexValues(): string {
    return this.key('leases:data');
  }
  /**
   * A token whose acquire timed out, as the versions before this one marked it (a late grant to it
   * is refused); this one marks it in the fence hash. Kept for the tests that play those versions.
   */
  abandoned(token: string): string {
    return this.key('abandoned', token);
  }
  /** The newest fence a fenced store has seen for a resource. */
  fenced(resource: string): string {
    return this.key('fenced', resource);
  }
  events(): string {
    return this.key('events');
  }
  /** Entries with a TTL: results, presence, claims. */
  entryExpiry(kind: EntryKind): string {
    return this.key(`${kind}:exp`);
  }
  entryValues(kind: EntryKind): string {
    return this.key(`${kind}:data`);
  }
  /** Bumped by every write of a claim: a claim change applies only if it is what it read. */
  claimsVersion(): string {
    return this.key('claims:version');
  }
}

export type EntryKind = 'results' | 'presence' | 'claims';
