import { isWfsError, WfsError } from '../core/errors.js';
import { parseSessionId } from '../core/ids.js';
import { readActivePointer } from '../store/active-pointer.js';
import type { ProjectContext } from '../store/project.js';
import { type LoadedSession, loadSession, readSessionAt } from '../store/session-files.js';
import { findActiveSession } from './show.js';
import { inTransaction, type SessionTransaction } from './transaction.js';

/**
 * Which session a command acts on (SPEC 2), answered in one place for every operation, every
 * front door (CLI, library, hooks, MCP) and every caller: the session named (`--session`, an
 * argument), else `$WFS_SESSION_ID` (set by `wfs exec` and workflow steps for the commands they
 * run), else the active session. What may be done to the session found (an archived one is
 * read-only, a completed one takes no new work) is said by the caller's rule.
 */

export type TargetSource = 'named' | 'WFS_SESSION_ID' | 'active';

/** The session asked for, validated (E_INVALID_ID before any file is touched); undefined: the active one. */
export function requestedSession(
  ctx: ProjectContext,
  named?: string,
): { id: string; source: Exclude<TargetSource, 'active'> } | undefined {
  if (named !== undefined) return { id: parseSessionId(named), source: 'named' };
  const fromEnv = ctx.env.WFS_SESSION_ID;
  if (fromEnv) return { id: parseSessionId(fromEnv, 'WFS_SESSION_ID'), source: 'WFS_SESSION_ID' };
  return undefined;
}

/** What a caller may not act on: `archived` sessions are read-only, `completed` ones take no new work. */
export interface TargetRules {
  /** What is being done, for the message: "change the phase of", "run a workflow in". */
  action?: string;
  refuseArchived?: boolean;
  refuseCompleted?: boolean;
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
  if (requested !== undefined) return checkRules(tx.load(requested.id), rules);
  const active = tx.activeSessions();
  if (active.length === 0) throw noActiveSession();
  // Two actives only arise from a crash or an outside edit; the most recently updated one is current.
  return checkRules(
    [...active].sort((a, b) => (a.state.updated_at < b.state.updated_at ? 1 : -1))[0]!,
    rules,
  );
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
    if (requested !== undefined) return read(checkRules(loadSession(ctx.layout, requested.id), rules));
    const active = findActiveSession(ctx);
    if (active !== undefined) return read(checkRules(active, rules));
    const pointer = readActivePointer(ctx.layout);
    if (
      pointer.present &&
      pointer.id !== null &&
      readSessionAt(ctx.layout, pointer.id, 'active').kind === 'corrupt'
    )
      damaged = pointer.id;
    else throw noActiveSession();
  } catch (error) {
    if (!isWfsError(error) || error.code !== 'E_CORRUPT') throw error;
    damaged = String(error.details?.session_id ?? requested?.id);
  }
  const id = damaged;
  return inTransaction(ctx, (tx) => ({ session: checkRules(tx.load(id), rules), warnings: tx.warnings }));
}

/** `session show [ID]`: one session's state (the one SPEC 2's resolution gives), repaired if damaged. */
export function showSession(
  ctx: ProjectContext,
  id?: string,
): Promise<{ session: LoadedSession; warnings: string[] }> {
  return readTarget(ctx, id);
}
