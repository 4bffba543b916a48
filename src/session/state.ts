import { checkValueBounds, DEFAULT_MAX_DEPTH } from '../core/json-input.js';
import {
  applyCheckpointData,
  CHECKPOINT_DATA_MAX_BYTES,
  type CheckpointTrigger,
  changePhase,
  HANDOFF_MAX_BYTES,
  parsePhase,
  parseTrigger,
  phaseKey,
  trimPhaseHistory,
} from '../core/phase.js';
import type { Phase, SessionState, Todo, TodoStatus } from '../core/session.js';
import {
  addTodo,
  applyTaskChange,
  countTodos,
  setTodoStatus,
  syncTodos,
  type TaskChange,
  type TodoWriteItem,
  todosOf,
} from '../core/todos.js';
import {
  listCheckpoints,
  newCheckpointId,
  pruneCheckpoints,
  readCheckpointFile,
  writeCheckpoint,
} from '../store/checkpoints.js';
import { appendPhaseHistory, readPhaseHistory } from '../store/phase-history.js';
import type { ProjectContext } from '../store/project.js';
import type { LoadedSession } from '../store/session-files.js';
import { type Conversation, type EndResult, endConversation, withConversation } from './binding.js';
import { ownTargetIn, readTarget, targetIn } from './target.js';
import { inTransaction, type SessionTransaction } from './transaction.js';

/**
 * Changes to a session's state that are not lifecycle changes: phases, checkpoints and todos. Each
 * runs under the project lock on the active session (or the one named), saves the state with a
 * backup of the previous version, and records a checkpoint where the SPEC asks for one.
 */

export type CheckpointSummary = {
  id: string;
  trigger: string;
  phase: Phase;
  timestamp: string;
};

export interface StateResult {
  session_id: string;
  phase: Phase;
  revision: number;
  checkpoint?: CheckpointSummary;
  warnings: string[];
}

/** The session a state change acts on (SPEC 2's resolution): never an archived one, whose state is read-only. */
function target(
  tx: SessionTransaction,
  ctx: ProjectContext,
  id: string | undefined,
  action: string,
): LoadedSession {
  return targetIn(tx, ctx, id, { action, refuseArchived: true });
}

/**
 * Records a checkpoint of `state` (as it will be saved): the checkpoint file first, durable, then
 * the state that refers to it, so a reference never points at a missing file.
 */
function withCheckpoint(
  tx: SessionTransaction,
  session: LoadedSession,
  state: SessionState,
  trigger: CheckpointTrigger,
  data: Record<string, unknown> | undefined,
  id = newCheckpointId(tx.now),
): { state: SessionState; checkpoint: CheckpointSummary } {
  const key = phaseKey(state.current_phase);
  const record = applyCheckpointData(state.checkpoints[key], data, tx.now);
  const todos = todosOf(state);
  const checkpoint: CheckpointSummary = { id, trigger, phase: state.current_phase, timestamp: tx.now };
  writeCheckpoint(session.dir, {
    checkpoint_id: id,
    session_id: state.session_id,
    trigger,
    phase: state.current_phase,
    timestamp: tx.now,
    revision: state.revision + 1,
    data: data ?? null,
    todos: { ...countTodos(todos), items: todos },
    phase_record: record,
  });
  return {
    state: { ...state, checkpoints: { ...state.checkpoints, [key]: record }, last_checkpoint: checkpoint },
    checkpoint,
  };
}

function done(
  tx: SessionTransaction,
  session: LoadedSession,
  state: SessionState,
  checkpoint?: CheckpointSummary,
): StateResult {
  if (checkpoint !== undefined) pruneCheckpoints(session.dir);
  return {
    session_id: state.session_id,
    phase: state.current_phase,
    revision: state.revision,
    ...(checkpoint ? { checkpoint } : {}),
    warnings: tx.warnings,
  };
}

function checkCheckpointData(data: Record<string, unknown> | undefined): void {
  if (data !== undefined)
    checkValueBounds(data, {
      what: 'The checkpoint data',
      maxBytes: CHECKPOINT_DATA_MAX_BYTES,
      maxDepth: DEFAULT_MAX_DEPTH,
    });
}

/** `wfs checkpoint [--trigger T] [--data JSON]`. */
export function saveCheckpoint(
  ctx: ProjectContext,
  input: { trigger: CheckpointTrigger; data?: Record<string, unknown>; session?: string },
): Promise<StateResult> {
  checkCheckpointData(input.data);
  return inTransaction(ctx, (tx) => {
    const session = target(tx, ctx, input.session, 'save a checkpoint of');
    const { state, checkpoint } = withCheckpoint(tx, session, session.state, input.trigger, input.data);
    return done(tx, session, tx.save(session.dir, session.location, state, { index: false }), checkpoint);
  });
}

/**
 * The end of an agent conversation (SPEC 7): a `session_end` checkpoint of its own session
 * (`$WFS_SESSION_ID`, else the one it is bound to; with none, nothing is done), then its binding
 * ended, with how many other live conversations remain on the session it was bound to (its
 * presence ends with the last). One transaction reads the session once: the state it saves is the
 * one the count is made from. Undefined when the conversation has no session.
 */
export async function endConversationSession(
  ctx: ProjectContext,
  input: { conversation: Conversation; data: Record<string, unknown> },
): Promise<(StateResult & { ended: EndResult }) | undefined> {
  checkCheckpointData(input.data);
  const own = withConversation(ctx, input.conversation);
  return inTransaction(own, (tx) => {
    const session = ownTargetIn(tx, own, undefined, { action: 'save a checkpoint of', refuseArchived: true });
    if (session === undefined) return undefined;
    const { state, checkpoint } = withCheckpoint(tx, session, session.state, 'session_end', input.data);
    const saved = tx.save(session.dir, session.location, state, { index: false });
    const result = done(tx, session, saved, checkpoint);
    return { ...result, ended: endConversation(own.layout, input.conversation, own.clock(), saved) };
  });
}

export interface PhaseResult extends StateResult {
  from: Phase;
  changed: boolean;
}

/**
 * `wfs phase PLAN|IMPLEMENT|REVIEW`: records the transition and saves a checkpoint. Async, so bad
 * input rejects the promise like every other failure rather than throwing at the call.
 */
export async function changeSessionPhase(
  ctx: ProjectContext,
  input: { to: Phase; trigger?: string; handoff?: Record<string, unknown>; session?: string },
): Promise<PhaseResult> {
  if (input.handoff !== undefined)
    checkValueBounds(input.handoff, {
      what: 'The handoff',
      maxBytes: HANDOFF_MAX_BYTES,
      maxDepth: DEFAULT_MAX_DEPTH,
    });
  // Validated here, not only by the CLI: a caller of the library may pass any string.
  const to = parsePhase(input.to);
  return inTransaction(ctx, (tx) => {
    const session = target(tx, ctx, input.session, 'change the phase of');
    const checkpointId = newCheckpointId(tx.now);
    const change = changePhase(session.state, to, {
      now: tx.now,
      trigger: parseTrigger(input.trigger, 'manual'),
      ...(input.handoff ? { handoff: input.handoff } : {}),
      checkpointId,
    });
    tx.warnings.push(...change.warnings);
    if (!change.changed) return { ...done(tx, session, session.state), from: change.from, changed: false };
    const data = {
      from: change.from,
      to,
      ...(input.handoff ? { handoff_data: input.handoff } : {}),
    };
    const { state, checkpoint } = withCheckpoint(
      tx,
      session,
      change.state,
      'phase_transition',
      data,
      checkpointId,
    );
    // The oldest history past the bound moves out of the state file, durably, before the save
    // that drops it (see trimPhaseHistory for what a crash in between leaves).
    const trimmed = trimPhaseHistory(state);
    if (trimmed.moved.length > 0) appendPhaseHistory(session.dir, trimmed.moved);
    // The phase is in the registry's line, so this save updates the index.
    return {
      ...done(tx, session, tx.save(session.dir, session.location, trimmed.state), checkpoint),
      from: change.from,
      changed: true,
    };
  });
}

export interface TodoResult extends StateResult {
  todo?: Todo;
  todos: Todo[];
  changed: boolean;
}

function todoResult(base: StateResult, state: SessionState, changed: boolean, todo?: Todo): TodoResult {
  return { ...base, todos: todosOf(state), changed, ...(todo ? { todo } : {}) };
}

/** `wfs todo add TEXT`. */
export function addSessionTodo(ctx: ProjectContext, text: string, sessionId?: string): Promise<TodoResult> {
  return inTransaction(ctx, (tx) => {
    const session = target(tx, ctx, sessionId, 'add a todo to');
    const added = addTodo(session.state, text, tx.now);
    const saved = tx.save(session.dir, session.location, added.state, { index: false });
    return todoResult(done(tx, session, saved), saved, true, added.todo);
  });
}

/**
 * `wfs todo start N` / `done N`. Completing a todo is a milestone: a checkpoint records it
 * (trigger `todo_milestone`).
 */
export function setSessionTodoStatus(
  ctx: ProjectContext,
  id: number,
  status: TodoStatus,
  sessionId?: string,
): Promise<TodoResult> {
  return inTransaction(ctx, (tx) => {
    const session = target(tx, ctx, sessionId, 'change a todo of');
    const changed = setTodoStatus(session.state, id, status, tx.now);
    if (!changed.changed)
      return todoResult(done(tx, session, session.state), session.state, false, changed.todo);
    let state = changed.state;
    let checkpoint: CheckpointSummary | undefined;
    if (status === 'completed') {
      ({ state, checkpoint } = withCheckpoint(tx, session, state, 'todo_milestone', {
        todo_completed: { id, content: changed.todo.content },
      }));
    }
    const saved = tx.save(session.dir, session.location, state, { index: false });
    return todoResult(done(tx, session, saved, checkpoint), saved, true, changed.todo);
  });
}

/** `wfs todo sync`: the session's todos become the TodoWrite list; completions are a milestone. */
export function syncSessionTodos(
  ctx: ProjectContext,
  items: readonly TodoWriteItem[],
  sessionId?: string,
): Promise<TodoResult> {
  return inTransaction(ctx, (tx) => {
    const session = target(tx, ctx, sessionId, 'sync the todos of');
    const synced = syncTodos(session.state, items, tx.now);
    if (!synced.changed) return todoResult(done(tx, session, session.state), session.state, false);
    let state = synced.state;
    let checkpoint: CheckpointSummary | undefined;
    if (synced.completedNow > 0) {
      ({ state, checkpoint } = withCheckpoint(tx, session, state, 'todo_milestone', {
        todos_completed: synced.completedNow,
      }));
    }
    const saved = tx.save(session.dir, session.location, state, { index: false });
    return todoResult(done(tx, session, saved, checkpoint), saved, true);
  });
}

/**
 * An agent's task tool changed one task (Claude Code `TaskCreate` / `TaskUpdate`, SPEC 7): the
 * session's todo of that task follows; completing it is a milestone, like `wfs todo done`.
 */
export function applySessionTask(
  ctx: ProjectContext,
  change: TaskChange,
  sessionId?: string,
): Promise<TodoResult> {
  return inTransaction(ctx, (tx) => {
    const session = target(tx, ctx, sessionId, 'change a todo of');
    const applied = applyTaskChange(session.state, change, tx.now);
    if (!applied.changed) return todoResult(done(tx, session, session.state), session.state, false);
    let state = applied.state;
    let checkpoint: CheckpointSummary | undefined;
    if (applied.completed !== undefined) {
      ({ state, checkpoint } = withCheckpoint(tx, session, state, 'todo_milestone', {
        todo_completed: { id: applied.completed.id, content: applied.completed.content },
      }));
    }
    const saved = tx.save(session.dir, session.location, state, { index: false });
    return todoResult(done(tx, session, saved, checkpoint), saved, true, applied.completed);
  });
}

/** `wfs todo list`: read without the lock (which is taken only to repair a damaged state). */
export async function readSessionTodos(
  ctx: ProjectContext,
  sessionId?: string,
): Promise<{ session_id: string; todos: Todo[]; counts: ReturnType<typeof countTodos>; warnings: string[] }> {
  const { session, warnings } = await readTarget(ctx, sessionId);
  const todos = todosOf(session.state);
  return { session_id: session.id, todos, counts: countTodos(todos), warnings };
}

/** One checkpoint of a session, as its file records it; `damaged` when the file cannot be read. */
export interface CheckpointEntry {
  id: string;
  phase: Phase;
  trigger: string | null;
  timestamp: string | null;
  revision: number | null;
  data: Record<string, unknown> | null;
  todos: { total: number; completed: number; in_progress: number } | null;
  damaged?: true;
}

/**
 * A session's checkpoints, oldest first: the timeline of what was recorded and why (at most the
 * newest 50 and the newest of each phase are kept). Read without the lock, like `todo list`.
 */
export async function readSessionCheckpoints(
  ctx: ProjectContext,
  sessionId?: string,
): Promise<{ session_id: string; checkpoints: CheckpointEntry[]; warnings: string[] }> {
  const { session, warnings } = await readTarget(ctx, sessionId);
  const checkpoints = listCheckpoints(session.dir).map(({ id, phase, file }): CheckpointEntry => {
    const record = readCheckpointFile(file);
    if (record === undefined)
      return {
        id,
        phase,
        trigger: null,
        timestamp: null,
        revision: null,
        data: null,
        todos: null,
        damaged: true,
      };
    const todos = record.todos as { total?: unknown; completed?: unknown; in_progress?: unknown } | null;
    return {
      id,
      phase,
      trigger: record.trigger,
      timestamp: record.timestamp,
      revision: record.revision,
      data: record.data,
      todos:
        todos !== null && typeof todos === 'object' && typeof todos.total === 'number'
          ? {
              total: todos.total,
              completed: Number(todos.completed) || 0,
              in_progress: Number(todos.in_progress) || 0,
            }
          : null,
    };
  });
  return { session_id: session.id, checkpoints, warnings };
}

/**
 * A session's whole phase history, oldest first: the entries the session file keeps and those moved
 * out of it into `.process/phase-history.jsonl`. Read without the lock, like `todo list`.
 */
export async function readSessionPhaseHistory(
  ctx: ProjectContext,
  sessionId?: string,
): Promise<{
  session_id: string;
  state_transitions: unknown[];
  context_chain: unknown[];
  warnings: string[];
}> {
  const { session, warnings } = await readTarget(ctx, sessionId);
  const history = readPhaseHistory(session.dir, session.state);
  return {
    session_id: session.id,
    state_transitions: history.state_transitions,
    context_chain: history.context_chain,
    warnings:
      history.missing > 0
        ? [
            ...warnings,
            `${history.missing} earlier phase change(s) are missing from .process/phase-history.jsonl`,
          ]
        : warnings,
  };
}
