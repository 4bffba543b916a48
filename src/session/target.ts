import { isWfsError, WfsError } from '../core/errors.js';
import { parseSessionId } from '../core/ids.js';
import { readActivePointer } from '../store/active-pointer.js';
import type { ProjectContext } from '../store/project.js';
import { type LoadedSession, loadSession, readSessionAt } from '../store/session-files.js';
import {
  type Conversation,
  callingConversation,
  describeConversation,
  type IndexEntry,
  listsConversation,
  liveConversationsOn,
  readIndexEntry,
} from './binding.js';
import { findActiveSession } from './show.js';
import { inTransaction, type SessionTransaction } from './transaction.js';

/**
 * Which session a command acts on (SPEC 2), answered in one place for every operation, every
 * front door (CLI, library, hooks, MCP) and every caller: the session named (`--session`, an
 * argument), else `$WFS_SESSION_ID` (set by `wfs exec` and workflow steps for the commands they
 * run), else the session bound to the calling agent conversation (binding.ts: from a hook's event,
 * or the agent's environment), else the active session. What may be done to the session found (an
 * archived one is read-only, a completed one takes no new work) is said by the caller's rule.
 *
 * A conversation never falls through silently into a session another live conversation is bound
 * to: a change is refused (E_SESSION_BOUND, exit 4) with how to start a session of its own, and a
 * read says so in a warning.
 */

export type TargetSource = 'named' | 'WFS_SESSION_ID' | 'conversation' | 'active';

export type RequestedSession =
  | { id: string; source: 'named' | 'WFS_SESSION_ID' }
  | { id: string; source: 'conversation'; conversation: Conversation };

/**
 * The session asked for, validated (E_INVALID_ID before any file is touched); undefined: the active
 * one. A conversation's binding comes from its index entry, read without the lock: whoever loads the
 * session checks it against the state (`stillBound`), and a binding that no longer holds (the
 * session completed, archived or moved on) is no request.
 */
export function requestedSession(ctx: ProjectContext, named?: string): RequestedSession | undefined {
  if (named !== undefined) return { id: parseSessionId(named), source: 'named' };
  const fromEnv = ctx.env.WFS_SESSION_ID;
  if (fromEnv) return { id: parseSessionId(fromEnv, 'WFS_SESSION_ID'), source: 'WFS_SESSION_ID' };
  const conversation = callingConversation(ctx.env);
  if (conversation === undefined) return undefined;
  const entry = readIndexEntry(ctx.layout, conversation);
  if (entry === undefined || entry.ended_at !== null) return undefined;
  try {
    return { id: parseSessionId(entry.session_id), source: 'conversation', conversation };
  } catch {
    return undefined; // an index entry edited by hand: no binding
  }
}

/** Whether a session loaded for a conversation's binding is still that conversation's session. */
function stillBound(session: LoadedSession, conversation: Conversation): boolean {
  return (
    session.location === 'active' &&
    (session.state.status === 'active' || session.state.status === 'paused') &&
    listsConversation(session.state, conversation)
  );
}

/** The live conversations, other than the caller's, bound to a session the caller would fall back to. */
function heldBy(ctx: ProjectContext, session: LoadedSession): IndexEntry[] {
  const conversation = callingConversation(ctx.env);
  if (conversation === undefined) return [];
  return liveConversationsOn(ctx.layout, session.state, ctx.clock().getTime(), conversation);
}

function boundElsewhere(session: LoadedSession, others: readonly IndexEntry[]): string {
  return `${session.id} is the session of the live ${describeConversation(others[0]!)}, not of this conversation`;
}

/** What a conversation is told when the active session belongs to another one. */
const OWN_SESSION =
  'start a session of its own: wfs session start --new "DESC" (MCP: wfs_session with action start, mode new), or name one with --session ID';

/** A change from a conversation into a session another live conversation is bound to: refused. */
function refuseBound(session: LoadedSession, others: readonly IndexEntry[]): WfsError {
  return new WfsError('E_SESSION_BOUND', `${boundElsewhere(session, others)}; ${OWN_SESSION}`, {
    details: {
      session_id: session.id,
      bound_to: others.map(({ agent, conversation_id }) => ({ agent, conversation_id })),
    },
  });
}

/**
 * The session the calling conversation is bound to, read without the lock and checked against the
 * state; undefined when it has none (or the binding no longer holds).
 */
export function conversationSessionId(ctx: ProjectContext): string | undefined {
  const requested = requestedSession(ctx);
  if (requested?.source !== 'conversation') return undefined;
  const read = readSessionAt(ctx.layout, requested.id, 'active');
  return read.kind === 'ok' && stillBound(read, requested.conversation) ? requested.id : undefined;
}

/**
 * The session a shell command acts for (a lock's holder, a result's author): SPEC 2's resolution,
 * read without the lock, else none.
 */
export function actingSessionId(ctx: ProjectContext): string | null {
  const requested = requestedSession(ctx);
  if (requested !== undefined && requested.source !== 'conversation') return requested.id;
  if (requested !== undefined) {
    const read = readSessionAt(ctx.layout, requested.id, 'active');
    if (read.kind === 'ok' && stillBound(read, requested.conversation)) return requested.id;
  }
  return findActiveSession(ctx)?.id ?? null;
}

/** What a caller may not act on: `archived` sessions are read-only, `completed` ones take no new work. */
export interface TargetRules {
  /** What is being done, for the message: "change the phase of", "run a workflow in". */
  action?: string;
  refuseArchived?: boolean;
  refuseCompleted?: boolean;
  /**
   * A read made for a change (a path claim) refuses, as a change under the lock does, the active
   * session of another live conversation instead of warning (targetIn always refuses it).
   */
  refuseBound?: boolean;
}

function noActiveSession(): WfsError {
  return new WfsError(
    'E_NO_ACTIVE_SESSION',
    'No active session (start one with: wfs session start --new "DESC", or name one with --session ID)',
  );
}

function checkRules(session: LoadedSession, rules: TargetRules): LoadedSession {
  const action = rules.action ?? 'change';
  if (rules.refuseArchived && (session.location === 'archives' || session.state.status === 'archived'))
    throw new WfsError('E_INVALID_STATE', `Cannot ${action} ${session.id}: it is archived (read-only)`);
  if (rules.refuseCompleted && session.state.status === 'completed')
    throw new WfsError(
      'E_INVALID_STATE',
      `Cannot ${action} ${session.id}: it is completed (start a new session for new work)`,
    );
  return session;
}

/** The target under the project lock (a damaged file is restored from its backup on the way). */
export function targetIn(
  tx: SessionTransaction,
  ctx: ProjectContext,
  named: string | undefined,
  rules: TargetRules = {},
): LoadedSession {
  const requested = requestedSession(ctx, named);
  if (requested !== undefined && requested.source !== 'conversation')
    return checkRules(tx.load(requested.id), rules);
  if (requested !== undefined) {
    const session = tx.loadOpen(requested.id);
    if (session !== undefined && stillBound(session, requested.conversation))
      return checkRules(session, rules);
  }
  const active = tx.activeSessions();
  if (active.length === 0) throw noActiveSession();
  // Two actives only arise from a crash or an outside edit; the most recently updated one is current.
  const current = [...active].sort((a, b) => (a.state.updated_at < b.state.updated_at ? 1 : -1))[0]!;
  const others = heldBy(ctx, current);
  if (others.length > 0) throw refuseBound(current, others);
  return checkRules(current, rules);
}

/**
 * Under the lock, the session of the calling conversation's own: the one `$WFS_SESSION_ID` (or
 * `named`) names, else the one it is bound to, read once; undefined when it has none. Never the
 * active session of nobody's (what `targetIn` falls back to): an agent conversation's end concerns
 * its own session only.
 */
export function ownTargetIn(
  tx: SessionTransaction,
  ctx: ProjectContext,
  named: string | undefined,
  rules: TargetRules = {},
): LoadedSession | undefined {
  const requested = requestedSession(ctx, named);
  if (requested === undefined) return undefined;
  if (requested.source !== 'conversation') return checkRules(tx.load(requested.id), rules);
  const session = tx.loadOpen(requested.id);
  return session !== undefined && stillBound(session, requested.conversation)
    ? checkRules(session, rules)
    : undefined;
}

/**
 * The target read without the lock (atomic renames: a reader never sees half a file). A damaged
 * session (the one asked for, or the one the active pointer names) is restored from its newest good
 * backup under the project lock, with a warning.
 */
/** A session read, with what its reader must be told of how it was read (an older or foreign file). */
function read(session: LoadedSession): { session: LoadedSession; warnings: string[] } {
  return { session, warnings: session.notice === undefined ? [] : [session.notice] };
}

export async function readTarget(
  ctx: ProjectContext,
  named?: string,
  rules: TargetRules = {},
): Promise<{ session: LoadedSession; warnings: string[] }> {
  const requested = requestedSession(ctx, named);
  let damaged: string | undefined;
  try {
    if (requested !== undefined && requested.source !== 'conversation')
      return read(checkRules(loadSession(ctx.layout, requested.id), rules));
    if (requested !== undefined) {
      const bound = readSessionAt(ctx.layout, requested.id, 'active');
      if (bound.kind === 'ok' && stillBound(bound, requested.conversation))
        return read(checkRules(bound, rules));
      if (bound.kind === 'corrupt') damaged = requested.id;
    }
    if (damaged === undefined) {
      const active = findActiveSession(ctx);
      if (active !== undefined) {
        const result = read(checkRules(active, rules));
        const others = heldBy(ctx, active);
        if (others.length > 0 && rules.refuseBound) throw refuseBound(active, others);
        // A read is not refused (seeing what another conversation does helps), but it is said.
        if (others.length > 0) result.warnings.push(`${boundElsewhere(active, others)}: ${OWN_SESSION}`);
        return result;
      }
      const pointer = readActivePointer(ctx.layout);
      if (
        pointer.present &&
        pointer.id !== null &&
        readSessionAt(ctx.layout, pointer.id, 'active').kind === 'corrupt'
      )
        damaged = pointer.id;
      else throw noActiveSession();
    }
  } catch (error) {
    if (!isWfsError(error) || error.code !== 'E_CORRUPT') throw error;
    damaged = String(error.details?.session_id ?? requested?.id);
  }
  const id = damaged!;
  return inTransaction(ctx, (tx) => ({ session: checkRules(tx.load(id), rules), warnings: tx.warnings }));
}

/** `session show [ID]`: one session's state (the one SPEC 2's resolution gives), repaired if damaged. */
export function showSession(
  ctx: ProjectContext,
  id?: string,
): Promise<{ session: LoadedSession; warnings: string[] }> {
  return readTarget(ctx, id);
}
