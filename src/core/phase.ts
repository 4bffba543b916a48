import { WfsError } from './errors.js';
import { DEFAULT_MAX_DEPTH, parseBoundedJson } from './json-input.js';
import { PHASES, type Phase, type PhaseCheckpoint, type SessionState } from './session.js';

/** SPEC 2 phases as pure functions: PLAN -> IMPLEMENT -> REVIEW, each change recorded. */

export const CHECKPOINT_TRIGGERS = [
  'manual',
  'agent_complete',
  'todo_milestone',
  'user_interrupt',
  'phase_transition',
  'file_change',
  'compact',
  'session_end',
] as const;
export type CheckpointTrigger = (typeof CHECKPOINT_TRIGGERS)[number];

/**
 * One rule for every word from a fixed list (phases, triggers, types, statuses): any case is
 * accepted (`review`, `REVIEW`), and the value is stored in the list's own case.
 */
export function parseTrigger(value: string | undefined, fallback: CheckpointTrigger): CheckpointTrigger {
  if (value === undefined) return fallback;
  value = value.toLowerCase();
  if (!(CHECKPOINT_TRIGGERS as readonly string[]).includes(value)) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid trigger. Valid triggers: ${CHECKPOINT_TRIGGERS.join(', ')}`,
    );
  }
  return value as CheckpointTrigger;
}

export function parsePhase(value: string | undefined): Phase {
  const upper = value?.toUpperCase();
  if (upper === undefined || !(PHASES as readonly string[]).includes(upper)) {
    throw new WfsError('E_INVALID_INPUT', `Invalid phase. Valid phases: ${PHASES.join(', ')}`);
  }
  return upper as Phase;
}

/**
 * Bounds of the JSON options (SPEC 4). A handoff is copied into the state twice (the transition and
 * the context chain), once per phase change, so it stays small; checkpoint data lives in the
 * checkpoint's own file.
 */
export const HANDOFF_MAX_BYTES = 16 * 1024;
export const CHECKPOINT_DATA_MAX_BYTES = 64 * 1024;

export function parseJsonObject(
  text: string | undefined,
  option: string,
  maxBytes = CHECKPOINT_DATA_MAX_BYTES,
): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  const value = parseBoundedJson(text, { what: option, maxBytes, maxDepth: DEFAULT_MAX_DEPTH });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WfsError('E_INVALID_INPUT', `${option} must be a JSON object, e.g. '{"summary": "..."}'`);
  }
  return value as Record<string, unknown>;
}

const KEY: Record<Phase, 'plan' | 'implement' | 'review'> = {
  PLAN: 'plan',
  IMPLEMENT: 'implement',
  REVIEW: 'review',
};

export function phaseKey(phase: Phase): 'plan' | 'implement' | 'review' {
  return KEY[phase];
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Folds what a checkpoint reports into the current phase's record: `documents` (plan), `agent` /
 * `current_agent` and `agents_completed` / `agent_completed` (implement), `quality_checks` (review).
 * Every other key is kept only in the checkpoint file.
 */
export function applyCheckpointData(
  record: PhaseCheckpoint,
  data: Record<string, unknown> | undefined,
  now: string,
): PhaseCheckpoint {
  if (data === undefined) return { ...record, timestamp: now };
  const unique = (list: string[]) => [...new Set(list)];
  const completedAgents = [...strings(data.agents_completed), ...strings(data.agent_completed)];
  const currentAgent =
    typeof data.current_agent === 'string'
      ? data.current_agent
      : typeof data.agent === 'string'
        ? data.agent
        : undefined;
  const checks = Array.isArray(data.quality_checks)
    ? data.quality_checks
    : data.quality_check !== undefined
      ? [data.quality_check]
      : [];
  return {
    ...record,
    documents: unique([...record.documents, ...strings(data.documents)]),
    agents_completed: unique([...record.agents_completed, ...completedAgents]),
    current_agent:
      completedAgents.includes(record.current_agent ?? '\u0000') && currentAgent === undefined
        ? null
        : (currentAgent ?? record.current_agent),
    quality_checks: [...record.quality_checks, ...checks],
    timestamp: now,
  };
}

export interface PhaseChange {
  state: SessionState;
  from: Phase;
  changed: boolean;
  warnings: string[];
}

/**
 * Moves a session to `to`: records the transition, marks the phase left `completed` when moving
 * forward (left `in_progress` when going back, e.g. REVIEW -> IMPLEMENT to fix findings), the phase
 * entered `in_progress`, and extends the context chain. The checkpoint is saved by the caller, whose
 * ID goes into the chain entry.
 */
export function changePhase(
  state: SessionState,
  to: Phase,
  input: { now: string; trigger: string; handoff?: Record<string, unknown>; checkpointId: string },
): PhaseChange {
  if (state.status !== 'active') {
    throw new WfsError(
      'E_INVALID_STATE',
      `Cannot change the phase of ${state.session_id}: it is ${state.status} (resume it first)`,
    );
  }
  const from = state.current_phase;
  if (from === to) return { state, from, changed: false, warnings: [] };
  const forward = PHASES.indexOf(to) > PHASES.indexOf(from);
  const warnings: string[] = [];
  if (PHASES.indexOf(to) - PHASES.indexOf(from) > 1)
    warnings.push(`Skipping ${PHASES.slice(PHASES.indexOf(from) + 1, PHASES.indexOf(to)).join(', ')}`);
  const left = state.checkpoints[phaseKey(from)];
  const entered = state.checkpoints[phaseKey(to)];
  const handoff = input.handoff ?? null;
  return {
    state: {
      ...state,
      current_phase: to,
      checkpoints: {
        ...state.checkpoints,
        [phaseKey(from)]: { ...left, status: forward ? 'completed' : left.status, timestamp: input.now },
        [phaseKey(to)]: { ...entered, status: 'in_progress', timestamp: input.now },
      },
      state_transitions: [
        ...state.state_transitions,
        { from, to, timestamp: input.now, trigger: input.trigger, handoff_data: handoff },
      ],
      context_chain: [
        ...state.context_chain,
        {
          phase: to,
          from,
          entered_at: input.now,
          trigger: input.trigger,
          handoff_data: handoff,
          checkpoint_id: input.checkpointId,
        },
      ],
    },
    from,
    changed: true,
    warnings,
  };
}

/** Checkpoint retention: how many a session keeps. */
export const CHECKPOINTS_KEPT = 50;

/**
 * Which checkpoints to drop, given all of them oldest first: the oldest beyond `keep`, but never the
 * newest checkpoint of any phase (a resume needs the latest state of every phase it may go back to).
 */
export function checkpointsToPrune(
  all: readonly { id: string; phase: Phase }[],
  keep = CHECKPOINTS_KEPT,
): string[] {
  if (all.length <= keep) return [];
  const newestOfPhase = new Set<string>();
  for (const phase of PHASES) {
    const newest = [...all].reverse().find((c) => c.phase === phase);
    if (newest) newestOfPhase.add(newest.id);
  }
  const prune: string[] = [];
  let excess = all.length - keep;
  for (const checkpoint of all) {
    if (excess === 0) break;
    if (newestOfPhase.has(checkpoint.id)) continue;
    prune.push(checkpoint.id);
    excess--;
  }
  return prune;
}

/**
 * Phase history kept in the session file: the newest PHASE_HISTORY_KEPT entries of
 * `state_transitions` and of `context_chain`. Once a list holds PHASE_HISTORY_SLACK more, its
 * oldest entries move to `.process/phase-history.jsonl` (a batch per move, not a line per change),
 * so the file, and every save and read of it, stays the same size after a thousand phase changes.
 */
export const PHASE_HISTORY_KEPT = 20;
const PHASE_HISTORY_SLACK = 10;

export const PHASE_HISTORY_LISTS = ['state_transitions', 'context_chain'] as const;
export type PhaseHistoryList = (typeof PHASE_HISTORY_LISTS)[number];

/** How many entries of each list were moved out: the position of the first one still in the file. */
export type PhaseHistoryCounts = Record<PhaseHistoryList, number>;

/**
 * A line of the history file: entry number `seq` (from 0, the session's first) of a list. A crash
 * after a move was written but before the state that drops the entries was saved leaves lines
 * whose seq is not below the state's count; they are moved again later, so a reader keeps one line
 * per (list, seq) and only those below the state's count.
 */
export interface PhaseHistoryLine {
  list: PhaseHistoryList;
  seq: number;
  entry: unknown;
}

/** `phase_history` in the state: absent until a first move. */
export function movedCounts(state: SessionState): PhaseHistoryCounts {
  const recorded = (state as { phase_history?: Partial<Record<PhaseHistoryList, unknown>> }).phase_history;
  const count = (list: PhaseHistoryList) => {
    const value = recorded?.[list];
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
  };
  return { state_transitions: count('state_transitions'), context_chain: count('context_chain') };
}

/** Moves the oldest entries of a list past the bound out of the state: the lines to write first. */
export function trimPhaseHistory(
  state: SessionState,
  keep = PHASE_HISTORY_KEPT,
  slack = PHASE_HISTORY_SLACK,
): { state: SessionState; moved: PhaseHistoryLine[] } {
  const counts = movedCounts(state);
  const moved: PhaseHistoryLine[] = [];
  let next = state;
  for (const list of PHASE_HISTORY_LISTS) {
    const entries = state[list];
    if (entries.length <= keep + slack) continue;
    const cut = entries.length - keep;
    entries.slice(0, cut).forEach((entry, i) => {
      moved.push({ list, seq: counts[list] + i, entry });
    });
    counts[list] += cut;
    next = { ...next, [list]: entries.slice(cut), phase_history: { ...counts } };
  }
  return { state: next, moved };
}
