import { WfsError } from '../core/errors.js';
import * as rules from '../core/lifecycle.js';
import type { Phase, SessionState } from '../core/session.js';
import type { ProjectContext } from '../store/project.js';
import type { LoadedSession } from '../store/session-files.js';
import type { Announcement } from './announcements.js';
import { bindToSession, callingConversation } from './binding.js';
import { applyChange, type Change } from './change.js';
import { listSessions } from './list.js';
import { planResume, type ResumePlan } from './resume.js';
import { requestedSession, targetIn } from './target.js';
import type { SessionTransaction } from './transaction.js';

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

export interface ResumeResult extends LifecycleResult {
  plan: ResumePlan;
}

/**
 * A switch or resume made from an agent conversation makes that session the conversation's own
 * (SPEC 2): its next commands act on it, whatever another conversation activates later.
 */
function bindCaller(tx: SessionTransaction, ctx: ProjectContext, id: string): SessionState {
  const conversation = callingConversation(ctx.env);
  const session = tx.load(id);
  if (conversation === undefined) return session.state;
  tx.warnings.push(...bindToSession(tx, session, conversation));
  return tx.load(id).state;
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

/** What a lifecycle change announces: the sessions it paused, and itself when it changed. */
function announced<R extends LifecycleResult>(result: R, type: string): Change<R> {
  const announce: Announcement[] = [
    ...result.paused.map((id) => ({ type: 'session.paused', session: id, data: { by: result.session_id } })),
    ...(result.changed ? [{ type, session: result.session_id, data: { phase: result.phase } }] : []),
  ];
  return { result, announce };
}

/** `session switch ID`: makes ID the active session, pausing the one that was active; announced. */
export function switchSession(ctx: ProjectContext, id: string): Promise<LifecycleResult> {
  return applyChange(ctx, (tx) => {
    const target = targetIn(tx, ctx, id, {
      action: 'switch to',
      refuseArchived: true,
      refuseCompleted: true,
    });
    const changed = target.state.status !== 'active';
    const { paused } = tx.activate(target);
    const state = bindCaller(tx, ctx, target.id);
    return announced(result(state, paused, changed, tx), 'session.activated');
  });
}

/** `session pause [ID]`: pauses ID (default: the session of SPEC 2's resolution, the active one); announced. */
export function pauseSession(ctx: ProjectContext, id?: string): Promise<LifecycleResult> {
  return applyChange(ctx, (tx) => {
    const target = targetIn(tx, ctx, id, { action: 'pause', refuseArchived: true });
    if (target.state.status === 'paused')
      return announced(result(target.state, [], false, tx), 'session.paused');
    const state = tx.save(target.dir, 'active', rules.pause(target.state, tx.now));
    return announced(result(state, [], true, tx), 'session.paused');
  });
}

/** The session `resume` without an ID takes: the most recently paused (a damaged one too). */
function latestPaused(tx: SessionTransaction, ctx: ProjectContext): LoadedSession {
  // Pausing saves the session, so among paused sessions the most recently paused is the most
  // recently updated, which is how the listing is sorted: only that one file is read. A damaged
  // one counts too (the index says it was paused): loading it restores it.
  const latest = listSessions(ctx, { status: 'paused' }).find((s) => s.status === 'paused');
  if (latest === undefined) throw new WfsError('E_NO_PAUSED_SESSION', 'No paused session to resume');
  return tx.load(latest.id);
}

/**
 * `session resume [ID]`: validates the session before it acts (see resume.ts), repairs what it can,
 * activates it, and returns the resume plan. Without an ID (and without `$WFS_SESSION_ID`), the
 * most recently paused session. Announced.
 */
export function resumeSession(ctx: ProjectContext, id?: string): Promise<ResumeResult> {
  return applyChange(ctx, (tx) => {
    let target: LoadedSession;
    try {
      target =
        requestedSession(ctx, id) === undefined
          ? latestPaused(tx, ctx)
          : targetIn(tx, ctx, id, { action: 'resume', refuseArchived: true });
    } catch (error) {
      if ((error as WfsError).code === 'E_CORRUPT') {
        throw new WfsError(
          'E_NEEDS_DECISION',
          `${(error as Error).message}. No backup can restore it, so it cannot be resumed safely: restore the file by hand, or start a new session`,
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
    const { paused } = tx.activate(target);
    const state = bindCaller(tx, ctx, target.id);
    return announced({ ...result(state, paused, changed, tx), plan: checked.plan }, 'session.resumed');
  });
}
