import { isWfsError, WfsError } from '../core/errors.js';
import { compareText } from '../core/ids.js';
import * as rules from '../core/lifecycle.js';
import type { Phase, SessionState } from '../core/session.js';
import type { ProjectContext } from '../store/project.js';
import type { LoadedSession } from '../store/session-files.js';
import { type Announcement, announceAll } from './announcements.js';
import { listSessions } from './list.js';
import { planResume, type ResumePlan } from './resume.js';
import { inTransaction, type SessionTransaction } from './transaction.js';

export interface LifecycleResult {
  session_id: string;
  status: SessionState['status'];
  phase: Phase;
  /** Sessions paused to keep one active. */
  paused: string[];
  /** False when the session already was in the requested state. */
  changed: boolean;
  warnings: string[];
}

function result(
  state: SessionState,
  paused: string[],
  changed: boolean,
  tx: SessionTransaction,
): LifecycleResult {
  return {
    session_id: state.session_id,
    status: state.status,
    phase: state.current_phase,
    paused,
    changed,
    warnings: tx.warnings,
  };
}

function loadOpen(tx: SessionTransaction, id: string): LoadedSession {
  const session = tx.load(id);
  if (session.location === 'archives') throw new WfsError('E_INVALID_STATE', `Session ${id} is archived`);
  return session;
}

/** The session that is active now, or E_NO_ACTIVE_SESSION. */
export function requireActiveSession(tx: SessionTransaction): LoadedSession {
  const active = tx.activeSessions();
  if (active.length === 0)
    throw new WfsError(
      'E_NO_ACTIVE_SESSION',
      'No active session (start one with: wfs session start --new "DESC")',
    );
  // Two actives only arise from a crash or an outside edit; the most recently updated one is current.
  return active.sort((a, b) => compareText(b.state.updated_at, a.state.updated_at))[0]!;
}

/** `session switch ID`: makes ID the active session, pausing the one that was active. */
function switchInTransaction(ctx: ProjectContext, id: string): Promise<LifecycleResult> {
  return inTransaction(ctx, (tx) => {
    const target = loadOpen(tx, id);
    if (target.state.status === 'completed') {
      throw new WfsError('E_INVALID_STATE', `Session ${id} is completed; start a new session for new work`);
    }
    const changed = target.state.status !== 'active';
    const { state, paused } = tx.activate(target);
    return result(state, paused, changed, tx);
  });
}

/** `session pause [ID]`: pauses ID, or the active session. */
function pauseInTransaction(ctx: ProjectContext, id?: string): Promise<LifecycleResult> {
  return inTransaction(ctx, (tx) => {
    const target = id === undefined ? requireActiveSession(tx) : loadOpen(tx, id);
    if (target.state.status === 'paused') return result(target.state, [], false, tx);
    const state = tx.save(target.dir, 'active', rules.pause(target.state, tx.now));
    return result(state, [], true, tx);
  });
}

/**
 * `session resume [ID]`: activates ID, or the most recently paused session. The checks of the state
 * layer (artifacts, todos, phase prerequisites) extend the plan returned here.
 */
export interface ResumeResult extends LifecycleResult {
  plan: ResumePlan;
}

/**
 * `session resume [ID]`: validates the session before it acts (see resume.ts), repairs what it can,
 * activates it, and returns the resume plan. Without an ID, the most recently paused session.
 */
function resumeInTransaction(ctx: ProjectContext, id?: string): Promise<ResumeResult> {
  return inTransaction(ctx, (tx) => {
    let target: LoadedSession;
    try {
      if (id === undefined) {
        // Pausing saves the session, so among paused sessions the most recently paused is the most
        // recently updated, which is how the listing is sorted: only that one file is read.
        // A damaged one counts too (the index says it was paused): loading it restores it.
        const latest = listSessions(ctx, { status: 'paused' }).find((s) => s.status === 'paused');
        if (latest === undefined) throw new WfsError('E_NO_PAUSED_SESSION', 'No paused session to resume');
        target = tx.load(latest.id);
      } else {
        target = loadOpen(tx, id);
      }
    } catch (error) {
      if (isWfsError(error) && error.code === 'E_CORRUPT') {
        throw new WfsError(
          'E_NEEDS_DECISION',
          `${error.message}. No backup can restore it, so it cannot be resumed safely: restore the file by hand, or start a new session`,
          { details: { strategy: 'manual' } },
        );
      }
      throw error;
    }
    if (target.state.status !== 'paused' && target.state.status !== 'active') {
      throw new WfsError('E_INVALID_STATE', `Cannot resume ${target.id}: it is ${target.state.status}`);
    }
    const checked = planResume(target, { restored: tx.restored.has(target.id), now: tx.now });
    tx.warnings.push(...checked.plan.warnings);
    if (checked.changed) {
      const state = tx.save(target.dir, target.location, checked.state);
      target = { ...target, state };
    }
    const changed = target.state.status !== 'active' || checked.changed;
    const { state, paused } = tx.activate(target);
    return { ...result(state, paused, changed, tx), plan: checked.plan };
  });
}

function lifecycleAnnouncements(result: LifecycleResult, type: string): Announcement[] {
  return [
    ...result.paused.map((id) => ({ type: 'session.paused', session: id, data: { by: result.session_id } })),
    ...(result.changed ? [{ type, session: result.session_id, data: { phase: result.phase } }] : []),
  ];
}

/** `session switch ID`: makes ID the active session, pausing the one that was active; announced. */
export async function switchSession(ctx: ProjectContext, id: string): Promise<LifecycleResult> {
  const result = await switchInTransaction(ctx, id);
  await announceAll(ctx, result.warnings, lifecycleAnnouncements(result, 'session.activated'));
  return result;
}

/** `session pause [ID]`; announced. */
export async function pauseSession(ctx: ProjectContext, id?: string): Promise<LifecycleResult> {
  const result = await pauseInTransaction(ctx, id);
  await announceAll(ctx, result.warnings, lifecycleAnnouncements(result, 'session.paused'));
  return result;
}

/** `session resume [ID]` (see resume.ts); announced. */
export async function resumeSession(ctx: ProjectContext, id?: string): Promise<ResumeResult> {
  const result = await resumeInTransaction(ctx, id);
  await announceAll(ctx, result.warnings, lifecycleAnnouncements(result, 'session.resumed'));
  return result;
}
