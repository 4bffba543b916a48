import * as z from 'zod/mini';
import { WfsError } from './errors.js';
import {
  adoptForeignStatus,
  foreignStatus,
  type MigrationEvidence,
  migrateSession,
  needsMigration,
} from './migrate.js';
import { describeIssues } from './schema-errors.js';

export const SESSION_VERSION = '2.0';
const SESSION_MAJOR = 2;

export const SESSION_TYPES = ['workflow', 'review', 'tdd', 'test', 'docs'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

export const SESSION_STATUSES = ['active', 'paused', 'completed', 'archived'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const PHASES = ['PLAN', 'IMPLEMENT', 'REVIEW'] as const;
export type Phase = (typeof PHASES)[number];

export const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

export const CHECKPOINT_STATUSES = ['pending', 'in_progress', 'completed'] as const;

const timestamp = z.string();
const optionalTimestamp = z.optional(z.nullable(timestamp));

const todoCounts = z.object({ total: z.int(), completed: z.int(), in_progress: z.int() });

// Loose objects keep fields this version does not know (written by a newer minor version or by a
// person), so reading and saving a session never drops data.
const phaseCheckpoint = z.looseObject({
  status: z.enum(CHECKPOINT_STATUSES),
  documents: z.array(z.string()),
  agents_completed: z.array(z.string()),
  current_agent: z.nullable(z.string()),
  todos: todoCounts,
  quality_checks: z.array(z.unknown()),
  timestamp: z.nullable(timestamp),
});

export const TODO_STATUSES = ['pending', 'in_progress', 'completed'] as const;
export type TodoStatus = (typeof TODO_STATUSES)[number];

const todo = z.looseObject({
  id: z.int(),
  content: z.string(),
  status: z.enum(TODO_STATUSES),
  active_form: z.optional(z.nullable(z.string())),
  created_at: timestamp,
  updated_at: timestamp,
  completed_at: optionalTimestamp,
});
export type Todo = z.infer<typeof todo>;

const checkpointRef = z.looseObject({
  id: z.string(),
  trigger: z.string(),
  phase: z.enum(PHASES),
  timestamp,
});
export type CheckpointRef = z.infer<typeof checkpointRef>;

export const sessionSchema = z.looseObject({
  session_id: z.string(),
  session_version: z.string(),
  project: z.string(),
  description: z.string(),
  type: z.enum(SESSION_TYPES),
  complexity: z.enum(COMPLEXITIES),
  status: z.enum(SESSION_STATUSES),
  current_phase: z.enum(PHASES),
  created_at: timestamp,
  updated_at: timestamp,
  revision: z.int(),
  checkpoints: z.looseObject({ plan: phaseCheckpoint, implement: phaseCheckpoint, review: phaseCheckpoint }),
  context_chain: z.array(z.unknown()),
  state_transitions: z.array(z.unknown()),
  activated_at: optionalTimestamp,
  paused_at: optionalTimestamp,
  resumed_at: optionalTimestamp,
  completed_at: optionalTimestamp,
  archived_at: optionalTimestamp,
  // Added with the state layer; sessions written before it have neither and read as empty.
  todos: z.optional(z.array(todo)),
  last_checkpoint: z.optional(z.nullable(checkpointRef)),
});
export type SessionState = z.infer<typeof sessionSchema>;
export type PhaseCheckpoint = z.infer<typeof phaseCheckpoint>;

export function isSessionType(value: string): value is SessionType {
  return (SESSION_TYPES as readonly string[]).includes(value);
}

/** The exact message SPEC 2 gives for a bad `--type`. */
export function parseSessionType(value: string | undefined): SessionType {
  if (value === undefined) return 'workflow';
  if (!isSessionType(value)) {
    throw new WfsError('E_INVALID_TYPE', `Invalid session type. Valid types: ${SESSION_TYPES.join(', ')}`);
  }
  return value;
}

export function parseComplexity(value: string | undefined): Complexity {
  if (value === undefined) return 'medium';
  if (!(COMPLEXITIES as readonly string[]).includes(value)) {
    throw new WfsError('E_INVALID_INPUT', `Invalid complexity. Valid values: ${COMPLEXITIES.join(', ')}`);
  }
  return value as Complexity;
}

export function parseSessionStatus(value: string): SessionStatus {
  if (!(SESSION_STATUSES as readonly string[]).includes(value)) {
    throw new WfsError('E_INVALID_STATUS', `Invalid status. Valid statuses: ${SESSION_STATUSES.join(', ')}`);
  }
  return value as SessionStatus;
}

/** A phase's checkpoint record with nothing recorded yet. */
export function emptyCheckpoint(status: PhaseCheckpoint['status'] = 'pending'): PhaseCheckpoint {
  return {
    status,
    documents: [],
    agents_completed: [],
    current_agent: null,
    todos: { total: 0, completed: 0, in_progress: 0 },
    quality_checks: [],
    timestamp: null,
  };
}

export interface NewSessionInput {
  id: string;
  project: string;
  description: string;
  type: SessionType;
  complexity: Complexity;
  now: string;
}

/** A freshly created session: active, in PLAN, revision 0 (the first save makes it 1). */
export function newSessionState(input: NewSessionInput): SessionState {
  return {
    session_id: input.id,
    session_version: SESSION_VERSION,
    project: input.project,
    description: input.description,
    type: input.type,
    complexity: input.complexity,
    status: 'active',
    current_phase: 'PLAN',
    created_at: input.now,
    updated_at: input.now,
    revision: 0,
    checkpoints: {
      plan: { ...emptyCheckpoint(), status: 'in_progress' },
      implement: emptyCheckpoint(),
      review: emptyCheckpoint(),
    },
    context_chain: [],
    state_transitions: [],
    activated_at: input.now,
    todos: [],
    last_checkpoint: null,
    paused_at: null,
    resumed_at: null,
    completed_at: null,
    archived_at: null,
  };
}

export type SessionParse =
  /** `notice`: what the reader must be told about how an older or foreign file was read (a WARNING). */
  | { ok: true; state: SessionState; migrated?: true; notice?: string }
  | { ok: false; reason: string; futureVersion?: string };

/**
 * Validates a parsed workflow-session.json. A newer major version than this program knows is reported
 * apart from other damage, because it must be refused rather than repaired. With the folder's ID,
 * older schemas are migrated (`evidence` says what is known besides the file; asked for only then).
 */
export function validateSession(
  value: unknown,
  folderId?: string,
  evidence?: () => MigrationEvidence,
): SessionParse {
  if (folderId !== undefined && needsMigration(value)) {
    const migrated = sessionSchema.safeParse(
      migrateSession(value as Record<string, unknown>, folderId, evidence?.()),
    );
    if (migrated.success) return { ok: true, state: migrated.data, migrated: true };
    return {
      ok: false,
      reason: `an older session file that could not be migrated: ${describeIssues(migrated.error)}`,
    };
  }
  if (typeof value === 'object' && value !== null && 'session_version' in value) {
    const version = (value as { session_version: unknown }).session_version;
    if (typeof version === 'string') {
      const major = Number.parseInt(version, 10);
      if (Number.isFinite(major) && major > SESSION_MAJOR) {
        return {
          ok: false,
          reason: `session_version ${version} is newer than this wfs understands`,
          futureVersion: version,
        };
      }
    }
  }
  const result = sessionSchema.safeParse(value);
  if (!result.success) {
    // A status CCW wrote into an otherwise valid file is read, not restored over (see migrate.ts).
    const adopted =
      folderId === undefined || foreignStatus(value) === undefined
        ? undefined
        : adoptForeignStatus(value, evidence?.());
    const again = adopted === undefined ? undefined : sessionSchema.safeParse(adopted.value);
    if (adopted !== undefined && again?.success)
      return { ok: true, state: again.data, migrated: true, notice: adopted.notice(folderId!) };
    return { ok: false, reason: `schema: ${describeIssues(result.error)}` };
  }
  return { ok: true, state: result.data };
}

/** Parses the text of workflow-session.json (migrating older versions when its folder is known); never throws. */
export function parseSessionText(
  text: string,
  folderId?: string,
  evidence?: () => MigrationEvidence,
): SessionParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  return validateSession(value, folderId, evidence);
}
