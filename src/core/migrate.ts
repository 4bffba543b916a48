import {
  COMPLEXITIES,
  emptyCheckpoint,
  PHASES,
  type Phase,
  type PhaseCheckpoint,
  SESSION_TYPES,
  SESSION_VERSION,
  type SessionStatus,
  type Todo,
  type TodoStatus,
} from './session.js';
import { countTodos, TODO_MAX_LENGTH, TODOS_MAX } from './todos.js';

/**
 * Session files written by the CCW tools our users come from ("Claude Code Workflow": its `ccw
 * session` CLI and the layouts its prompt commands made, old and new), brought to session_version
 * 2.0 in memory; the next save writes 2.0. The rule is to keep what CCW wrote: every field stays
 * where it was, and a value that cannot stay (a status that was really a phase, a `type` that was
 * really the complexity, a checkpoint field of another shape) is kept in `migrated_from`.
 *
 * What a file does not say is taken from the evidence around it (`MigrationEvidence`): the folder
 * it is in (a session in `archives/` is archived), whether the active-session pointer names it, the
 * times CCW recorded elsewhere, and its tasks (`.task/*.json`), which become its todos.
 */

/** What is known about a session besides its file, gathered by whoever read it (see store/). */
export interface MigrationEvidence {
  /** The folder it is in: a session in `archives/` is archived whatever its file says. */
  location?: 'active' | 'archives';
  /** It may be the active session: the active-session pointer names it (or `wfs migrate` chose it). */
  active?: boolean;
  /** Its `created` in CCW's registry (`session_status.jsonl`). */
  registryCreated?: string;
  /** Its `archived_at` in CCW's archive manifest. */
  manifestArchivedAt?: string;
  /** The session folder's own time (birth, else last change), for a session that recorded none. */
  folderTime?: string;
  /** Its `.task/*.json` files, parsed (files that are not JSON are left out). */
  tasks?: readonly { name: string; value: unknown }[];
  /** The folder's name before `wfs migrate` had to give it a usable ID. */
  renamedFrom?: string;
}

// The statuses CCW used that were really phases (its CLI: planning, implementing, reviewing; its
// session_manager: initialized; older prompt commands: the rest).
const PHASE_OF_OLD_STATUS: Record<string, Phase> = {
  planning: 'PLAN',
  initialized: 'PLAN',
  plan: 'PLAN',
  implementing: 'IMPLEMENT',
  implementation: 'IMPLEMENT',
  executing: 'IMPLEMENT',
  reviewing: 'REVIEW',
  review: 'REVIEW',
  testing: 'REVIEW',
};

// Phase names older files used in `current_phase` or `final_phase` (v2.0 started in INIT).
const PHASE_NAMES: Record<string, Phase> = {
  PLAN: 'PLAN',
  INIT: 'PLAN',
  PLANNING: 'PLAN',
  IMPLEMENT: 'IMPLEMENT',
  IMPLEMENTATION: 'IMPLEMENT',
  IMPLEMENTING: 'IMPLEMENT',
  EXECUTE: 'IMPLEMENT',
  EXECUTION: 'IMPLEMENT',
  REVIEW: 'REVIEW',
  REVIEWING: 'REVIEW',
  TESTING: 'REVIEW',
};

// CCW's `workflow_type` values beside the session types of SPEC 2.
const TYPE_OF_WORKFLOW_TYPE: Record<string, string> = { test_session: 'test', implementation: 'workflow' };

// Only when nothing at all recorded a time (an old backup read on its own): never a guess dressed as a fact.
const EPOCH = '1970-01-01T00:00:00.000Z';

type Json = Record<string, unknown>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value);
}

function isTodoCounts(value: unknown): value is PhaseCheckpoint['todos'] {
  return isObject(value) && isCount(value.total) && isCount(value.completed) && isCount(value.in_progress);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function phaseNamed(value: unknown): Phase | undefined {
  return typeof value === 'string' ? PHASE_NAMES[value.trim().toUpperCase()] : undefined;
}

// Fields every older writer put in a session file beside its ID (CCW's CLI and prompt layers).
const OLDER_SCHEMA_FIELDS = ['status', 'project', 'description', 'title', 'type', 'current_phase', 'phase'];

/**
 * True for a parsed file that predates session_version 2, recognised by positive evidence (SPEC 4):
 * no session_version (or 1.x), the session's ID, and at least one field an older writer always
 * wrote. Anything else that does not validate (`{}`, `[]`, a truncated 2.0 file) is damage, restored
 * from a backup, never "migrated" into an empty session.
 */
export function needsMigration(value: unknown): boolean {
  if (!isObject(value)) return false;
  const version = value.session_version;
  const older = version === undefined || (typeof version === 'string' && Number.parseInt(version, 10) < 2);
  if (!older) return false;
  const identified = typeof value.session_id === 'string' || typeof value.id === 'string';
  return (
    identified && OLDER_SCHEMA_FIELDS.some((field) => typeof value[field] === 'string' && value[field] !== '')
  );
}

/** CCW's created time encoded in a session name (`WFS-x-20251128172537`, `WFS-x-20251120-170640`), as its dashboard reads it. */
function timeInName(name: string): string | undefined {
  const joined = /(\d{4})(\d{2})(\d{2})-?(\d{2})(\d{2})(\d{2})$/.exec(name);
  if (joined === null) return undefined;
  const [, y, mo, d, h, mi, s] = joined;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

function latest(...times: unknown[]): string | undefined {
  const valid = times.filter(
    (t): t is string => text(t) !== undefined && !Number.isNaN(Date.parse(t as string)),
  );
  return valid.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
}

/** IMPL-2 before IMPL-10, IMPL-1 before IMPL-1.1: the order CCW numbers its tasks in. */
function compareTaskIds(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (i % 2 === 1 && Number.isFinite(nx) && Number.isFinite(ny) && nx !== ny) return nx - ny;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

// CCW task statuses (its CLI: pending, in_progress, completed, blocked, cancelled; its prompt layer:
// pending, active, completed, blocked, container). A todo is open or done: blocked work is still to
// do, cancelled work is not. `container` is a parent whose status is derived from its subtasks, which
// are todos of their own, so it is not one.
const TODO_STATUS_OF_TASK: Record<string, TodoStatus> = {
  pending: 'pending',
  blocked: 'pending',
  active: 'in_progress',
  in_progress: 'in_progress',
  completed: 'completed',
  done: 'completed',
  cancelled: 'completed',
  canceled: 'completed',
};

/**
 * The todos of a session's CCW tasks (`.task/*.json` with an `id` and a `status`), in task order. The
 * task files stay as they are; each todo names its task (`task_id`, `task_file`) and, where a todo
 * cannot say it, the task's own status (`task_status`). At most TODOS_MAX; `skipped` counts the rest.
 */
export function todosFromTasks(
  tasks: readonly { name: string; value: unknown }[],
  sessionCreated: string,
): { todos: Todo[]; skipped: number } {
  const found = tasks
    .filter((t) => isObject(t.value) && typeof t.value.status === 'string' && t.value.status !== 'container')
    .map((t) => ({
      file: t.name,
      task: t.value as Json,
      id: text((t.value as Json).id) ?? t.name.replace(/\.json$/, ''),
    }))
    .sort((a, b) => compareTaskIds(a.id, b.id) || (a.file < b.file ? -1 : 1));
  const todos = found.slice(0, TODOS_MAX).map(({ file, task, id }, index): Todo => {
    const raw = String(task.status);
    const status = TODO_STATUS_OF_TASK[raw.toLowerCase()] ?? 'pending';
    const meta = isObject(task.meta) ? task.meta : {};
    const created = text(task.created_at) ?? text(meta.created) ?? sessionCreated;
    const updated = text(task.updated_at) ?? text(meta.updated) ?? text(task.completed_at) ?? created;
    const title = text(task.title) ?? text(task.name) ?? text(task.description)?.split(/\r?\n/)[0];
    // wfs todos are one line without control characters (todos.ts): the task file keeps the rest.
    const content = (title === undefined ? id : `${id}: ${title}`)
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim()
      .slice(0, TODO_MAX_LENGTH);
    return {
      id: index + 1,
      content,
      status,
      active_form: null,
      created_at: created,
      updated_at: updated,
      completed_at: status === 'completed' ? (text(task.completed_at) ?? updated) : null,
      task_id: id,
      task_file: `.task/${file}`,
      ...(raw === status ? {} : { task_status: raw }),
    };
  });
  return { todos, skipped: found.length - todos.length };
}

/** Returns the 2.0 form of an older session file; every field it does not know is kept as it is. */
export function migrateSession(value: Json, folderId: string, evidence: MigrationEvidence = {}): Json {
  /** What CCW wrote at a path whose 2.0 value had to differ (its original is never dropped). */
  const replaced: Json = {};
  const keep = (field: string, next: unknown): unknown => {
    if (value[field] !== undefined && !sameJson(value[field], next)) replaced[field] = value[field];
    return next;
  };
  const meta = isObject(value.meta) ? value.meta : {};
  const oldStatus = text(value.status)?.trim().toLowerCase() ?? '';
  const oldType = text(value.type)?.trim().toLowerCase();

  const description = text(value.description) ?? text(value.project) ?? text(value.title) ?? folderId;
  const firstLine = description.split(/\r?\n/)[0]!.trim();
  const project = text(value.project) ?? (firstLine.length > 100 ? `${firstLine.slice(0, 99)}…` : firstLine);
  const workflowType = text(value.workflow_type)?.toLowerCase();
  const type =
    oldType && (SESSION_TYPES as readonly string[]).includes(oldType)
      ? oldType
      : workflowType &&
          (SESSION_TYPES as readonly string[]).includes(TYPE_OF_WORKFLOW_TYPE[workflowType] ?? workflowType)
        ? (TYPE_OF_WORKFLOW_TYPE[workflowType] ?? workflowType)
        : 'workflow';
  const complexity =
    oldType && (COMPLEXITIES as readonly string[]).includes(oldType)
      ? oldType
      : typeof value.complexity === 'string' && (COMPLEXITIES as readonly string[]).includes(value.complexity)
        ? value.complexity
        : 'medium';

  // Where the session is says more than its file: CCW's archive commands left `completed` (its
  // CLI) or even `active` (its prompt layer) on sessions they moved to archives/. Whether it is the
  // active one was recorded outside the file (markers, the pointer): without that, it is paused,
  // never made active behind anyone's back.
  const status: SessionStatus =
    evidence.location === 'archives'
      ? 'archived'
      : oldStatus === 'completed' || oldStatus === 'archived'
        ? oldStatus
        : evidence.active === true
          ? 'active'
          : 'paused';
  const phase: Phase =
    phaseNamed(value.current_phase) ??
    phaseNamed(value.phase) ??
    phaseNamed(value.final_phase) ??
    PHASE_OF_OLD_STATUS[oldStatus] ??
    'PLAN';

  const created =
    text(value.created_at) ??
    text(value.created) ??
    text(meta.created) ??
    text(value.initialized_at) ??
    text(value.started_at) ??
    text(value.timestamp) ??
    text(evidence.registryCreated) ??
    timeInName(folderId) ??
    text(evidence.folderTime) ??
    EPOCH;
  const updated =
    text(value.updated_at) ??
    text(value.updated) ??
    text(meta.updated) ??
    latest(value.completed_at, value.archived_at, value.paused_at, value.resumed_at, created) ??
    created;

  const out: Json = { ...value };
  out.session_id = keep('session_id', folderId);
  out.session_version = SESSION_VERSION;
  out.project = keep('project', project);
  out.description = keep('description', description);
  out.type = type;
  out.complexity = keep('complexity', complexity);
  out.status = status;
  out.current_phase = keep('current_phase', phase);
  out.created_at = keep('created_at', created);
  out.updated_at = keep('updated_at', updated);
  out.revision = keep('revision', isCount(value.revision) ? value.revision : 0);
  out.context_chain = keep('context_chain', Array.isArray(value.context_chain) ? value.context_chain : []);
  out.state_transitions = keep(
    'state_transitions',
    Array.isArray(value.state_transitions) ? value.state_transitions : [],
  );
  for (const field of ['activated_at', 'paused_at', 'resumed_at', 'completed_at', 'archived_at']) {
    const time = value[field];
    if (time !== undefined && time !== null && typeof time !== 'string') {
      replaced[field] = time;
      delete out[field];
    }
  }
  if (status === 'archived' && text(out.archived_at) === undefined) {
    out.archived_at =
      text(evidence.manifestArchivedAt) ?? text(value.completed_at) ?? text(value.updated_at) ?? updated;
  }
  if (value.last_checkpoint !== undefined && value.last_checkpoint !== null) {
    const ref = value.last_checkpoint;
    const valid =
      isObject(ref) &&
      typeof ref.id === 'string' &&
      typeof ref.trigger === 'string' &&
      typeof ref.timestamp === 'string' &&
      (PHASES as readonly unknown[]).includes(ref.phase);
    if (!valid) {
      replaced.last_checkpoint = ref;
      delete out.last_checkpoint;
    }
  }

  // Todos: an older file has none of wfs's; its CCW tasks are the work it tracked.
  let todos: Todo[] | undefined;
  let skippedTasks = 0;
  if (Array.isArray(value.todos)) todos = value.todos as Todo[];
  else {
    if (value.todos !== undefined) replaced.todos = value.todos;
    const fromTasks = todosFromTasks(evidence.tasks ?? [], created);
    todos = fromTasks.todos;
    skippedTasks = fromTasks.skipped;
  }
  out.todos = todos;

  out.checkpoints = migrateCheckpoints(value.checkpoints, { phase, status, todos, replaced });

  const migratedFrom: Json = {
    session_version: typeof value.session_version === 'string' ? value.session_version : null,
    status: value.status ?? null,
    type: value.type ?? null,
  };
  if (value.migrated_from !== undefined) replaced.migrated_from = value.migrated_from;
  if (Object.keys(replaced).length > 0) migratedFrom.replaced = replaced;
  if (evidence.renamedFrom !== undefined) migratedFrom.folder = evidence.renamedFrom;
  if (skippedTasks > 0) migratedFrom.tasks_not_imported = skippedTasks;
  out.migrated_from = migratedFrom;
  return out;
}

const PHASE_KEYS = { PLAN: 'plan', IMPLEMENT: 'implement', REVIEW: 'review' } as const;

/**
 * The checkpoint records of SPEC 2, keeping what an older file recorded in them (v2.0 wrote
 * documents, agents, todo counts and quality checks): a field of the wrong shape is kept under
 * `migrated_from.replaced["checkpoints.<phase>.<field>"]`, v2.0's quality checks object
 * (`{code_quality: "passed"}`) becomes a list of `{name, result}`, and the todo counts follow the
 * todos (SPEC 2 keeps them equal; the counts CCW wrote stay in `replaced` when they differ).
 */
function migrateCheckpoints(
  old: unknown,
  input: { phase: Phase; status: SessionStatus; todos: readonly Todo[]; replaced: Json },
): Json {
  const { phase, status, todos, replaced } = input;
  const oldRecords = isObject(old) ? old : {};
  if (old !== undefined && !isObject(old)) replaced.checkpoints = old;
  const phaseIndex = PHASES.indexOf(phase);
  const finished = status === 'completed' || status === 'archived';
  const records: Json = { ...oldRecords };
  for (const p of PHASES) {
    const key = PHASE_KEYS[p];
    const derived: PhaseCheckpoint['status'] =
      PHASES.indexOf(p) < phaseIndex || finished ? 'completed' : p === phase ? 'in_progress' : 'pending';
    const base = emptyCheckpoint(derived);
    const was = oldRecords[key];
    if (was !== undefined && !isObject(was)) replaced[`checkpoints.${key}`] = was;
    const record: Json = isObject(was) ? { ...was } : {};
    const field = (name: keyof PhaseCheckpoint, fits: (v: unknown) => boolean, fallback: unknown) => {
      if (record[name] === undefined) record[name] = fallback;
      else if (!fits(record[name])) {
        replaced[`checkpoints.${key}.${name}`] = record[name];
        record[name] = fallback;
      }
    };
    field('status', (v) => v === 'pending' || v === 'in_progress' || v === 'completed', base.status);
    field('documents', isStringArray, []);
    field('agents_completed', isStringArray, []);
    field('current_agent', (v) => v === null || typeof v === 'string', null);
    field('timestamp', (v) => v === null || typeof v === 'string', null);
    const checks = record.quality_checks;
    if (isObject(checks)) {
      replaced[`checkpoints.${key}.quality_checks`] = checks;
      record.quality_checks = Object.entries(checks).map(([name, result]) => ({ name, result }));
    } else field('quality_checks', Array.isArray, []);
    field('todos', isTodoCounts, base.todos);
    if (key === 'implement') {
      const counts = countTodos(todos);
      if (!sameJson(record.todos, counts)) {
        if (isObject(was) && was.todos !== undefined) replaced['checkpoints.implement.todos'] = was.todos;
        record.todos = counts;
      }
    }
    records[key] = record;
  }
  return records;
}

/**
 * A status CCW wrote into a wfs file (`ccw session <id> status implementing` rewrites `status` in a
 * 2.0 file and nothing else): one of its phase-like statuses, which wfs reads rather than treating
 * the whole file as damage. Anything else that does not validate is still damage (SPEC 4).
 */
export function foreignStatus(value: unknown): string | undefined {
  if (!isObject(value) || typeof value.status !== 'string') return undefined;
  return Object.hasOwn(PHASE_OF_OLD_STATUS, value.status) ? value.status : undefined;
}

/**
 * The file with a foreign status read as wfs would have recorded it: the session's phase becomes
 * the one the status meant (recorded as a transition, as a phase change is), and its wfs status is
 * kept as it was (active if the active-session pointer names it, else paused; archived in
 * `archives/`). Each such write is kept in `foreign_status`. Returns undefined when `value` has none.
 */
export function adoptForeignStatus(
  value: unknown,
  evidence: MigrationEvidence = {},
): { value: Json; notice: (id: string) => string } | undefined {
  const written = foreignStatus(value);
  if (written === undefined) return undefined;
  const v = value as Json;
  const to = PHASE_OF_OLD_STATUS[written]!;
  const from = phaseNamed(v.current_phase) ?? to;
  const status: SessionStatus =
    evidence.location === 'archives' ? 'archived' : evidence.active === true ? 'active' : 'paused';
  const at = text(v.updated_at) ?? null;
  const out: Json = {
    ...v,
    status,
    foreign_status: [
      ...(Array.isArray(v.foreign_status) ? v.foreign_status : []),
      { status: written, written_at: at, phase_before: v.current_phase ?? null },
    ],
  };
  if (from !== to && PHASES.includes(v.current_phase as Phase) && isObject(v.checkpoints)) {
    const forward = PHASES.indexOf(to) > PHASES.indexOf(from);
    const checkpoints = v.checkpoints;
    const left = isObject(checkpoints[PHASE_KEYS[from]]) ? (checkpoints[PHASE_KEYS[from]] as Json) : {};
    const entered = isObject(checkpoints[PHASE_KEYS[to]]) ? (checkpoints[PHASE_KEYS[to]] as Json) : {};
    out.current_phase = to;
    out.checkpoints = {
      ...checkpoints,
      [PHASE_KEYS[from]]: { ...left, status: forward ? 'completed' : left.status },
      [PHASE_KEYS[to]]: { ...entered, status: 'in_progress' },
    };
    out.state_transitions = [
      ...(Array.isArray(v.state_transitions) ? v.state_transitions : []),
      {
        from,
        to,
        timestamp: at ?? text(v.updated_at) ?? EPOCH,
        trigger: 'foreign_status',
        handoff_data: { status: written },
      },
    ];
  }
  return {
    value: out,
    notice: (id) =>
      `Session ${id}: its status was set to "${written}" by another tool (CCW); read as phase ${to}, status ${status}, and saved so at its next change`,
  };
}
