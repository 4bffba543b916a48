import {
  ENTRY_MAX_TTL_MS,
  thisHost,
  validateClaimPaths,
  validateEntryKey,
  validateResultValue,
  validateTtl,
  validateWorkspace,
} from './rules.js';
import type { Workspace } from './types.js';

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

export function resultEntry(input: {
  key: string;
  value: string;
  ttlMs: number;
  session?: string | null;
  workspace?: Workspace;
}): EntryToStore<{
  key: string;
  value: string;
  session: string | null;
  workspace?: Workspace;
  host: string;
}> {
  validateEntryKey(input.key, 'result key');
  const lifetimeMs = validateTtl(input.ttlMs, ENTRY_MAX_TTL_MS);
  validateResultValue(input.value);
  if (input.session != null) validateEntryKey(input.session, 'session');
  const workspace = validateWorkspace(input.workspace);
  return {
    key: input.key,
    value: {
      key: input.key,
      value: input.value,
      session: input.session ?? null,
      ...(workspace ? { workspace } : {}),
      host: thisHost(),
    },
    lifetimeMs,
  };
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
