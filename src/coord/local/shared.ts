import path from 'node:path';
import { decideClaimChange } from '../claims.js';
import {
  claimChangeOf,
  claimValue,
  isStoredEncoding,
  memberOf,
  presenceEntry,
  resultEntry,
  resultOf,
  type StoredResult,
} from '../entries.js';
import { validateEntryKey, validateWorkspace } from '../rules.js';
import type {
  Claim,
  ClaimChange,
  ClaimChangeResult,
  Presence,
  PresenceView,
  SharedResult,
  Workspace,
} from '../types.js';
import { PresenceIndex } from './presence-index.js';
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
    isStoredEncoding(v.encoding) &&
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

/** The folder of the presence index, in the coordination folder. */
export const PRESENCE_INDEX = '.presence-expiry';

export const ENTRY_KINDS = [RESULTS, PRESENCE, CLAIMS] as const;

export class SharedEntries {
  readonly results: TtlEntries<StoredResult & { put_at: string }>;
  readonly presence: TtlEntries<Omit<Presence, 'expires_at'>>;
  readonly claims: TtlEntries<Omit<Claim, 'expires_at'>>;

  /** Names what a view of the live sessions needs (presence-index.ts). */
  readonly presenceIndex: PresenceIndex;

  constructor(private readonly state: LocalState) {
    this.results = new TtlEntries(state, RESULTS);
    this.presenceIndex = new PresenceIndex(path.join(state.dir, PRESENCE_INDEX), state.clock);
    this.presence = new TtlEntries(state, PRESENCE, (fileName, stored) =>
      this.presenceIndex.forget(fileName, stored.expires),
    );
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

  async putResult(input: Parameters<typeof resultEntry>[0]): Promise<SharedResult> {
    const entry = resultEntry(input);
    const stored = await this.state.locked(() =>
      this.results.put(entry.key, { ...entry.value, put_at: new Date().toISOString() }, entry.lifetimeMs),
    );
    return resultOf(stored);
  }

  getResult(key: string): SharedResult | undefined {
    validateEntryKey(key, 'result key');
    const stored = this.results.getNamed(key);
    return stored === undefined ? undefined : resultOf(stored);
  }

  async listResults(): Promise<SharedResult[]> {
    return (await this.results.list()).map(resultOf);
  }

  async heartbeat(input: Parameters<typeof presenceEntry>[0]): Promise<Presence> {
    const entry = presenceEntry(input);
    return this.state.locked(() => {
      const before = this.presence.stored(entry.key);
      const value = { ...entry.value, heartbeat_at: new Date().toISOString() };
      // The record first, then its index entry: a kill in between hides it until its next heartbeat.
      const stored = this.presence.write(entry.key, value, entry.lifetimeMs);
      this.presenceIndex.note(this.presence.fileNameOf(entry.key), stored.expires, before?.expires);
      return { ...value, expires_at: this.state.clock.toWall(stored.expires) };
    });
  }

  /** The session's presence and its claims end at once. */
  async leave(session: string, workspace?: Workspace): Promise<void> {
    const key = memberOf(session, validateWorkspace(workspace));
    // Nothing to remove (the common case: pausing a session that was already gone) takes no lock.
    // A heartbeat racing this for the same ending session would only live out its TTL.
    if (!this.presence.exists(key) && !this.claims.exists(key)) return;
    return this.state.locked(() => {
      // The index entry first: a kill in between never leaves an entry of a session that left.
      const stored = this.presence.stored(key);
      if (stored !== undefined) this.presenceIndex.forget(this.presence.fileNameOf(key), stored.expires);
      this.presence.remove(key);
      this.claims.remove(key);
    });
  }

  async liveSessions(): Promise<Presence[]> {
    return this.presence.list();
  }

  /** One listing of the index and a read of each record shown (no lock). */
  async presenceView(options: {
    limit: number;
    members?: readonly { session: string; workspace?: Workspace }[];
  }): Promise<PresenceView> {
    const members = (options.members ?? []).flatMap((m) => {
      const found = this.presence.get(memberOf(m.session, validateWorkspace(m.workspace)));
      return found === undefined ? [] : [found];
    });
    const indexed = this.presenceIndex.live();
    if (indexed === undefined) {
      // No index yet (written by an older wfs): every record is read, as liveSessions does.
      const all = (await this.presence.list()).sort((a, b) => b.expires_at - a.expires_at);
      return { count: all.length, sessions: all.slice(0, options.limit), members };
    }
    const sessions: Presence[] = [];
    for (const { fileName, expires } of indexed) {
      if (sessions.length >= options.limit) break;
      const found = this.presence.liveIn(fileName, expires);
      if (found !== undefined) sessions.push(found);
    }
    return { count: indexed.length, sessions, members };
  }

  /**
   * Reads every claim, decides and writes under one hold of the coordination lock: of two sessions
   * claiming at once, the second always sees the first.
   */
  async changeClaims(input: ClaimChange): Promise<ClaimChangeResult> {
    const { key, change } = claimChangeOf(input);
    return this.state.locked((): ClaimChangeResult => {
      this.state.sweepIfDue();
      const isLive = (m: { session: string; workspace?: Workspace }) =>
        this.presence.get(memberOf(m.session, m.workspace)) !== undefined;
      const decision = decideClaimChange(this.claims.listUnlocked(), isLive, change, Date.now());
      const { applied, conflicts, write } = decision;
      if (write.kind === 'delete') this.claims.remove(key);
      if (write.kind !== 'put')
        return {
          applied,
          conflicts,
          claim: write.kind === 'delete' ? undefined : decision.previous,
          previous: decision.previous,
        };
      const stored = this.claims.put(key, claimValue(change, write.paths), write.lifetimeMs);
      return { applied, conflicts, claim: stored, previous: decision.previous };
    });
  }

  async listClaims(): Promise<Claim[]> {
    return this.claims.list();
  }
}
