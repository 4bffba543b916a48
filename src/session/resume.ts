import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { nextStep } from '../core/next-step.js';
import { phaseKey } from '../core/phase.js';
import { renderPlanningNotes } from '../core/planning-notes.js';
import { PHASES, type Phase, type SessionState } from '../core/session.js';
import { countTodos, todosOf } from '../core/todos.js';
import { readTextIfExists, writeFileAtomic } from '../store/atomic.js';
import { listCheckpoints, readCheckpointFile } from '../store/checkpoints.js';
import { ensureSessionFolders } from '../store/gitignore.js';
import { ARCHIVING_MARKER, PLANNING_NOTES_FILE, sessionLayout } from '../store/layout.js';
import type { LoadedSession } from '../store/session-files.js';

/**
 * Resume validates before it acts (SPEC 4): required artifacts exist, the files agree with the
 * state, the todos agree with their counts, the phase's prerequisites are met. It repairs what it
 * can, says what it cannot, and picks a strategy:
 * - `complete`: nothing to say;
 * - `partial`: resumed as it was, with warnings (repairs made, prerequisites not met);
 * - `degraded`: the state was restored from an older backup or its last checkpoint is gone, so the
 *   phase restarts with what was retained (its record back to in progress, started todos pending);
 * - `manual`: it cannot be resumed safely; a person decides (exit 3), nothing is changed.
 */
export type ResumeStrategy = 'complete' | 'partial' | 'degraded' | 'manual';

export interface ResumePlan {
  strategy: ResumeStrategy;
  phase: Phase;
  done: string[];
  next: string;
  warnings: string[];
  retained?: string[];
}

export function planResume(
  session: LoadedSession,
  input: { restored: boolean; now: string },
): { state: SessionState; plan: ResumePlan; changed: boolean } {
  const warnings: string[] = [];
  let state = session.state;
  let changed = false;
  let degraded = input.restored;

  const marker = readTextIfExists(sessionLayout(session.dir).archivingMarker);
  if (marker !== undefined) {
    // `archive` finishes wfs's own marker (it holds the manifest entry) or archives a completed
    // session; anything else (CCW leaves an empty marker) is completed and archived by `complete`.
    let ours = false;
    try {
      const value = JSON.parse(marker) as { entry?: unknown } | null;
      ours = typeof value?.entry === 'object' && value.entry !== null;
    } catch {
      // Not JSON: not wfs's marker.
    }
    const finish =
      ours || state.status === 'completed'
        ? `wfs session archive ${session.id}`
        : `wfs session complete ${session.id}`;
    throw new WfsError(
      'E_NEEDS_DECISION',
      `Session ${session.id} was being archived when it was interrupted: finish that (${finish}) or, to keep working in it, move ${ARCHIVING_MARKER} out of its folder`,
      { details: { strategy: 'manual', session_id: session.id } },
    );
  }

  // Required artifacts.
  for (const sub of ensureSessionFolders(session.dir))
    warnings.push(`${sub}/ was missing: recreated empty (what it held is lost)`);
  const notes = sessionLayout(session.dir).planningNotes;
  if (!fs.existsSync(notes)) {
    writeFileAtomic(
      notes,
      renderPlanningNotes({ id: session.id, description: state.description, created: state.created_at }),
    );
    // wfs writes the notes when it creates a session; a migrated one (CCW's CLI never wrote them)
    // lost nothing unless wfs had written them since (recorded below).
    const wroteThem = state.migrated_from === undefined || state.planning_notes_written_at !== undefined;
    warnings.push(
      wroteThem
        ? `${PLANNING_NOTES_FILE} was missing: recreated from the template with the goal (the notes written in it are lost)`
        : `${PLANNING_NOTES_FILE} did not exist: created from the template with the goal`,
    );
    if (state.migrated_from !== undefined) {
      state = { ...state, planning_notes_written_at: input.now };
      changed = true;
    }
  }

  // The files agree with the state.
  const last = state.last_checkpoint;
  if (last) {
    const file = listCheckpoints(session.dir).find((c) => c.id === last.id)?.file;
    if (file === undefined) {
      warnings.push(`The last checkpoint ${last.id} is missing from .process/checkpoints/`);
      degraded = true;
    } else if (readCheckpointFile(file) === undefined) {
      warnings.push(`The last checkpoint ${last.id} is damaged (${path.basename(file)} cannot be read)`);
      degraded = true;
    }
  }
  for (const phase of PHASES) {
    const record = state.checkpoints[phaseKey(phase)];
    for (const document of record.documents) {
      const candidates = [
        path.join(session.dir, document),
        path.join(session.dir, '..', '..', '..', document),
      ];
      if (!candidates.some((file) => fs.existsSync(file)))
        warnings.push(`${phase} lists the document ${document}, which does not exist`);
    }
  }

  // The todos agree with their counts.
  const todos = todosOf(state);
  const counts = countTodos(todos);
  const recorded = state.checkpoints.implement.todos;
  if (
    recorded.total !== counts.total ||
    recorded.completed !== counts.completed ||
    recorded.in_progress !== counts.in_progress
  ) {
    warnings.push(
      `The todo counts (${recorded.completed}/${recorded.total} done) did not match the todos (${counts.completed}/${counts.total}): corrected from the todos`,
    );
    state = {
      ...state,
      checkpoints: { ...state.checkpoints, implement: { ...state.checkpoints.implement, todos: counts } },
    };
    changed = true;
  }

  // The phase's prerequisites.
  const phaseIndex = PHASES.indexOf(state.current_phase);
  if (phaseIndex >= 1 && state.checkpoints.plan.status !== 'completed')
    warnings.push('The session is past PLAN, but the plan was never completed');
  if (phaseIndex >= 2) {
    const open = counts.total - counts.completed;
    if (open > 0) warnings.push(`The session is in REVIEW with ${open} todo(s) still open`);
  }

  const retained: string[] = [];
  if (degraded) {
    // Restart the phase with what was retained: its record in progress again, started work pending.
    const key = phaseKey(state.current_phase);
    const restarted = todos.map((t) =>
      t.status === 'in_progress' ? { ...t, status: 'pending' as const, updated_at: input.now } : t,
    );
    const record = state.checkpoints[key];
    const checkpoints = {
      ...state.checkpoints,
      [key]: { ...record, status: 'in_progress' as const, current_agent: null },
    };
    checkpoints.implement = { ...checkpoints.implement, todos: countTodos(restarted) };
    state = { ...state, todos: restarted, checkpoints };
    changed = true;
    retained.push(`${counts.completed}/${counts.total} todos done`);
    if (record.documents.length > 0) retained.push(`documents: ${record.documents.join(', ')}`);
    const newest = listCheckpoints(session.dir).at(-1);
    if (newest) retained.push(`checkpoint ${newest.id}`);
  }

  const done = PHASES.filter((p) => state.checkpoints[phaseKey(p)].status === 'completed').map(
    (p) => `${p} completed`,
  );
  if (counts.total > 0) done.push(`${counts.completed}/${counts.total} todos done`);
  const strategy: ResumeStrategy = degraded ? 'degraded' : warnings.length > 0 ? 'partial' : 'complete';
  return {
    state,
    changed,
    plan: {
      strategy,
      phase: state.current_phase,
      done,
      next: degraded
        ? `Restart ${state.current_phase} from what was retained; then: ${nextStep(state, todosOf(state))}`
        : nextStep(state, todosOf(state)),
      warnings,
      ...(degraded ? { retained } : {}),
    },
  };
}
