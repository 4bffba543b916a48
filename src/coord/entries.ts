import { isUtf8 } from 'node:buffer';
import { WfsError } from '../core/errors.js';
import {
  ENTRY_MAX_TTL_MS,
  thisHost,
  validateClaimPaths,
  validateEntryKey,
  validateResultValue,
  validateTtl,
  validateWorkspace,
} from './rules.js';
import type { ClaimChange, SharedResult, Workspace } from './types.js';

/**
 * Results, presence and claims are one primitive, an entry with a TTL, in both backends: this
 * module says, once, what each kind's entry is (its key, its stored fields, its bounds) and checks
 * what a caller gives. The backends store and list entries; they validate nothing of their own.
 *
 * A session in coordination is its ID *in its workspace* (SPEC 2): two worktrees (or two clones on
 * one Redis) that each have a `WFS-fix-login` are two sessions, so presence and claims are keyed by
 * `<session>@<workspace id>`, and every record carries the workspace with its readable name.
 */

/** The key of a session's entries: the session in its workspace (the bare ID for callers without one). */
export function memberOf(session: string, workspace?: Workspace): string {
  validateEntryKey(session, 'session');
  return workspace === undefined ? session : `${session}@${workspace.id}`;
}

/** Whether a record is of this very session (same ID, same workspace). */
export function sameMember(
  record: { session: string | null; workspace?: Workspace | null },
  session: string,
  workspace?: Workspace,
): boolean {
  return record.session === session && (record.workspace?.id ?? undefined) === (workspace?.id ?? undefined);
}

/**
 * A session as people read it: its ID, and the folder of its workspace when that is not the
 * reader's own (another worktree or clone has sessions of the same IDs).
 */
export function describeMember(
  record: { session: string | null; workspace?: Workspace | null },
  own: Workspace | undefined,
): string {
  const name = record.session ?? 'no session';
  const theirs = record.workspace ?? undefined;
  return theirs === undefined || theirs.id === own?.id ? name : `${name} in ${theirs.name}`;
}

export interface EntryToStore<V> {
  key: string;
  value: V;
  lifetimeMs: number;
}

/**
 * A result as both backends store it (a JSON record): bytes that are valid UTF-8 as their text,
 * the form every record had before values were bytes, so those still read and stay readable by a
 * person; any other bytes in base64, said so by `encoding`. Only these two forms exist: a record
 * with another `encoding` is damage.
 */
export interface StoredResult {
  key: string;
  value: string;
  encoding?: 'base64';
  session: string | null;
  workspace?: Workspace;
  host: string;
}

/** Whether a stored `encoding` is one of the forms above (absent: text). */
export function isStoredEncoding(encoding: unknown): encoding is StoredResult['encoding'] {
  return encoding === undefined || encoding === 'base64';
}

export function resultEntry(input: {
  key: string;
  value: string | Uint8Array;
  ttlMs: number;
  session?: string | null;
  workspace?: Workspace;
}): EntryToStore<StoredResult> {
  validateEntryKey(input.key, 'result key');
  const lifetimeMs = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
  const bytes = validateResultValue(input.value);
  if (input.session != null) validateEntryKey(input.session, 'session');
  const workspace = validateWorkspace(input.workspace);
  // Text given is stored as given (its bytes are its UTF-8, so always valid); bytes are looked at.
  const text =
    typeof input.value === 'string' ? input.value : isUtf8(bytes) ? bytes.toString('utf8') : undefined;
  return {
    key: input.key,
    value: {
      key: input.key,
      ...(text === undefined
        ? { value: bytes.toString('base64'), encoding: 'base64' as const }
        : { value: text }),
      session: input.session ?? null,
      ...(workspace ? { workspace } : {}),
      host: thisHost(),
    },
    lifetimeMs,
  };
}

/**
 * A stored result as callers see it: its bytes exactly as put, and its text where they are valid
 * UTF-8. The bytes decide (never the form it was stored in), so a result reads alike on both
 * backends whoever wrote it.
 */
export function resultOf(stored: StoredResult & { put_at: string; expires_at: number }): SharedResult {
  const { value, encoding, ...rest } = stored;
  if (!isStoredEncoding(encoding))
    throw new WfsError(
      'E_CORRUPT',
      `The shared result ${stored.key} is stored in an encoding this wfs does not know (${JSON.stringify(encoding)})`,
    );
  const bytes = encoding === 'base64' ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
  return { ...rest, value: bytes, text: isUtf8(bytes) ? bytes.toString('utf8') : undefined };
}

export function presenceEntry(input: {
  session: string;
  workspace?: Workspace;
  ttlMs: number;
  pid?: number;
}): EntryToStore<{ session: string; workspace?: Workspace; host: string; pid: number }> {
  const workspace = validateWorkspace(input.workspace);
  return {
    key: memberOf(input.session, workspace),
    value: {
      session: input.session,
      ...(workspace ? { workspace } : {}),
      host: thisHost(),
      pid: input.pid ?? process.pid,
    },
    lifetimeMs: validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS),
  };
}

export function claimEntry(input: {
  session: string;
  workspace?: Workspace;
  paths: string[];
  ttlMs: number;
}): EntryToStore<{ session: string; workspace?: Workspace; paths: string[] }> {
  const workspace = validateWorkspace(input.workspace);
  return {
    key: memberOf(input.session, workspace),
    value: {
      session: input.session,
      ...(workspace ? { workspace } : {}),
      paths: validateClaimPaths(input.paths),
    },
    lifetimeMs: validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS),
  };
}

/** A claim change checked (its paths, TTL and workspace), with the key of the session's claim. */
export function claimChangeOf(change: ClaimChange): { key: string; change: ClaimChange } {
  const workspace = validateWorkspace(change.workspace);
  const key = memberOf(change.session, workspace);
  if (change.add !== undefined && change.add.length > 0) validateClaimPaths([...change.add]);
  if (Array.isArray(change.drop) && change.drop.length > 0) validateClaimPaths([...change.drop]);
  if (change.ttlMs !== undefined) validateTtl(change.ttlMs, ENTRY_MAX_TTL_MS);
  return {
    key,
    change: {
      session: change.session,
      ...(workspace ? { workspace } : {}),
      ...(change.drop === undefined ? {} : { drop: change.drop === 'all' ? 'all' : [...change.drop] }),
      ...(change.add === undefined ? {} : { add: [...new Set(change.add)] }),
      ...(change.ttlMs === undefined ? {} : { ttlMs: change.ttlMs }),
      ...(change.strict ? { strict: true } : {}),
    },
  };
}

/** The stored value of a session's claim of `paths`. */
export function claimValue(
  change: ClaimChange,
  paths: string[],
): { session: string; workspace?: Workspace; paths: string[] } {
  return { session: change.session, ...(change.workspace ? { workspace: change.workspace } : {}), paths };
}
