import {
  changeSessionPhase,
  completeSession,
  type ProjectContext,
  pauseSession,
  resumeSession,
  setSessionTodoStatus,
  switchSession,
  WfsError,
} from '../index.js';

/**
 * The page's actions, each one call of the library that the CLI's command makes (`wfs session
 * switch|pause|resume|complete`, `wfs phase`, `wfs todo done`), with the same rules and errors:
 * nothing here decides what may be done to a session. What comes back is what the page says.
 */

export interface ActionInput {
  session: string;
  phase?: string;
  todo?: number;
}

export interface ActionOutcome {
  /** One sentence for the person who clicked. */
  message: string;
  warnings: string[];
  /** Sessions whose files the action changed (the page reads them again at once). */
  sessions: string[];
  result: unknown;
}

type Action = (ctx: ProjectContext, input: ActionInput) => Promise<ActionOutcome>;

const pausedToo = (paused: readonly string[]) => (paused.length ? ` (paused ${paused.join(', ')})` : '');

export const ACTIONS: Record<string, Action> = {
  async switch(ctx, { session }) {
    const r = await switchSession(ctx, session);
    return {
      message: r.changed
        ? `${r.session_id} is the active session${pausedToo(r.paused)}.`
        : `${r.session_id} already was the active session.`,
      warnings: r.warnings,
      sessions: [r.session_id, ...r.paused],
      result: r,
    };
  },
  async pause(ctx, { session }) {
    const r = await pauseSession(ctx, session);
    return {
      message: r.changed ? `Paused ${r.session_id}.` : `${r.session_id} already was paused.`,
      warnings: r.warnings,
      sessions: [r.session_id],
      result: r,
    };
  },
  async resume(ctx, { session }) {
    const r = await resumeSession(ctx, session);
    return {
      message: `Resumed ${r.session_id} (strategy ${r.plan.strategy}, ${r.plan.phase})${pausedToo(r.paused)}. Next: ${r.plan.next}`,
      warnings: r.warnings,
      sessions: [r.session_id, ...r.paused],
      result: r,
    };
  },
  async complete(ctx, { session }) {
    const r = await completeSession(ctx, session);
    return {
      message: r.archived ? `Completed and archived ${r.session_id}.` : `Completed ${r.session_id}.`,
      warnings: r.warnings,
      sessions: [r.session_id],
      result: r,
    };
  },
  async phase(ctx, { session, phase }) {
    if (phase === undefined)
      throw new WfsError('E_INVALID_INPUT', 'Which phase? (PLAN, IMPLEMENT or REVIEW)');
    // The library checks the phase (any case, one of PLAN, IMPLEMENT, REVIEW) as it does for the CLI.
    const r = await changeSessionPhase(ctx, { to: phase as 'PLAN', session });
    return {
      message: r.changed
        ? `${r.session_id} moved to ${r.phase} (from ${r.from}).`
        : `${r.session_id} already was in ${r.phase}.`,
      warnings: r.warnings,
      sessions: [r.session_id],
      result: r,
    };
  },
  async 'todo-done'(ctx, { session, todo }) {
    if (todo === undefined) throw new WfsError('E_INVALID_INPUT', 'Which todo? (its number)');
    const r = await setSessionTodoStatus(ctx, todo, 'completed', session);
    return {
      message: r.changed
        ? `Todo ${todo} of ${r.session_id} is done.`
        : `Todo ${todo} of ${r.session_id} already was done.`,
      warnings: r.warnings,
      sessions: [r.session_id],
      result: r,
    };
  },
};

/** The body of an action request, checked for shape (what it means, the library checks). */
export function parseActionInput(body: unknown): ActionInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new WfsError('E_INVALID_INPUT', 'An action takes a JSON object: {"session": "WFS-...", ...}');
  const { session, phase, todo } = body as Record<string, unknown>;
  if (typeof session !== 'string' || session === '')
    throw new WfsError('E_INVALID_INPUT', 'An action names its session: {"session": "WFS-..."}');
  if (phase !== undefined && typeof phase !== 'string')
    throw new WfsError('E_INVALID_INPUT', '"phase" is one of PLAN, IMPLEMENT, REVIEW');
  if (todo !== undefined && !(typeof todo === 'number' && Number.isSafeInteger(todo) && todo > 0))
    throw new WfsError('E_INVALID_INPUT', '"todo" is the number of a todo: 1, 2, ...');
  return {
    session,
    ...(phase === undefined ? {} : { phase }),
    ...(todo === undefined ? {} : { todo }),
  };
}
