import { conflictsWith } from '../claims.js';
import {
  ENTRY_MAX_TTL_MS,
  thisHost,
  validateClaimPaths,
  validateEntryKey,
  validateResultValue,
  validateTtl,
} from '../rules.js';
import type { Claim, ClaimConflict, Presence, SharedResult } from '../types.js';
import { isSafeInteger, isString, isStringOrNull } from './records.js';
import { type EntryKind, type LocalState, TtlEntries } from './ttl-entries.js';

/**
 * Shared results, presence and path claims of the embedded backend: three kinds of the one
 * primitive "an entry with a TTL" (ttl-entries.ts), which differ only in their fields.
 */

export const RESULTS: EntryKind = {
  folder: 'results',
  marker: 'r',
  valid: (v) =>
    isString(v.key) &&
    isString(v.value) &&
    isStringOrNull(v.session) &&
    isString(v.host) &&
    isString(v.put_at),
};

export const PRESENCE: EntryKind = {
  folder: 'presence',
  marker: 'p',
  valid: (v) => isString(v.session) && isString(v.host) && isSafeInteger(v.pid) && isString(v.heartbeat_at),
};

export const CLAIMS: EntryKind = {
  folder: 'claims',
  marker: 'c',
  valid: (v) =>
    isString(v.session) && Array.isArray(v.paths) && v.paths.length > 0 && v.paths.every(isString),
};

export const ENTRY_KINDS = [RESULTS, PRESENCE, CLAIMS] as const;

export class SharedEntries {
  readonly results: TtlEntries<Omit<SharedResult, 'expires_at'>>;
  readonly presence: TtlEntries<Omit<Presence, 'expires_at'>>;
  readonly claims: TtlEntries<Omit<Claim, 'expires_at'>>;

  constructor(private readonly state: LocalState) {
    this.results = new TtlEntries(state, RESULTS);
    this.presence = new TtlEntries(state, PRESENCE);
    this.claims = new TtlEntries(state, CLAIMS);
  }

  /** The kind a marker of the index names (its prefix), to judge the file it names. */
  judge(marker: string): void {
    const dot = marker.indexOf('.');
    const prefix = marker.slice(0, dot);
    const file = marker.slice(dot + 1);
    if (prefix === RESULTS.marker) this.results.judge(file);
    else if (prefix === PRESENCE.marker) this.presence.judge(file);
    else if (prefix === CLAIMS.marker) this.claims.judge(file);
  }

  async putResult(input: {
    key: string;
    value: string;
    ttlMs: number;
    session?: string | null;
  }): Promise<SharedResult> {
    validateEntryKey(input.key, 'result key');
    const lifetime = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
    validateResultValue(input.value);
    return this.state.locked(() =>
      this.results.put(
        input.key,
        {
          key: input.key,
          value: input.value,
          session: input.session ?? null,
          host: thisHost(),
          put_at: new Date().toISOString(),
        },
        lifetime,
      ),
    );
  }

  getResult(key: string): SharedResult | undefined {
    validateEntryKey(key, 'result key');
    return this.results.get(key);
  }

  async listResults(): Promise<SharedResult[]> {
    return this.results.list();
  }

  async heartbeat(input: { session: string; ttlMs: number; pid?: number }): Promise<Presence> {
    validateEntryKey(input.session, 'session');
    const lifetime = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
    return this.state.locked(() =>
      this.presence.put(
        input.session,
        {
          session: input.session,
          host: thisHost(),
          pid: input.pid ?? process.pid,
          heartbeat_at: new Date().toISOString(),
        },
        lifetime,
      ),
    );
  }

  /** The session's presence and its claims end at once. */
  async leave(session: string): Promise<void> {
    validateEntryKey(session, 'session');
    // Nothing to remove (the common case: pausing a session that was already gone) takes no lock.
    // A heartbeat racing this for the same ending session would only live out its TTL.
    if (!this.presence.exists(session) && !this.claims.exists(session)) return;
    return this.state.locked(() => {
      this.presence.remove(session);
      this.claims.remove(session);
    });
  }

  async liveSessions(): Promise<Presence[]> {
    return this.presence.list();
  }

  async claimPaths(input: { session: string; paths: string[]; ttlMs: number }): Promise<ClaimConflict[]> {
    validateEntryKey(input.session, 'session');
    const lifetime = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
    validateClaimPaths(input.paths);
    // Read the others and write ours under one lock: of two sessions claiming at once, the second
    // always sees the first.
    return this.state.locked(() => {
      this.state.sweepIfDue();
      const conflicts = conflictsWith(this.claims.listUnlocked(), input.session, input.paths);
      this.claims.put(input.session, { session: input.session, paths: input.paths }, lifetime);
      return conflicts;
    });
  }

  async releaseClaims(session: string): Promise<void> {
    validateEntryKey(session, 'session');
    return this.state.locked(() => this.claims.remove(session));
  }

  async listClaims(): Promise<Claim[]> {
    return this.claims.list();
  }
}
