import * as z from 'zod/mini';
import { WfsError } from './errors.js';

export const SESSION_VERSION = '2.0';
export const SESSION_MAJOR = 2;

export const SESSION_TYPES = ['workflow', 'review', 'tdd', 'test', 'docs'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

export const SESSION_STATUSES = ['active', 'paused', 'completed', 'archived'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const PHASES = ['PLAN', 'IMPLEMENT', 'REVIEW'] as const;
export type Phase = (typeof PHASES)[number];

export const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

export const CHECKPOINT_STATUSES = ['pending', 'in_progress', 'completed'] as const;

// The schemas are built on first use, not when the module loads: every command loads this module,
// and building them is ~3 ms of zod that `wfs session list` and the hooks' quick exits never need.
// The helpers are functions (a schema is data once built); sessionSchema() builds the whole once.
const timestamp = () => z.string();
const optionalTimestamp = () => z.optional(z.nullable(timestamp()));

const todoCounts = () => z.object({ total: z.int(), completed: z.int(), in_progress: z.int() });

// Loose objects keep fields this version does not know (written by a newer minor version or by a
// person), so reading and saving a session never drops data.
const phaseCheckpoint = () =>
  z.looseObject({
    status: z.enum(CHECKPOINT_STATUSES),
    documents: z.array(z.string()),
    agents_completed: z.array(z.string()),
    current_agent: z.nullable(z.string()),
    todos: todoCounts(),
    quality_checks: z.array(z.unknown()),
    timestamp: z.nullable(timestamp()),
  });

export const TODO_STATUSES = ['pending', 'in_progress', 'completed'] as const;
export type TodoStatus = (typeof TODO_STATUSES)[number];

const todo = () =>
  z.looseObject({
    id: z.int(),
    content: z.string(),
    status: z.enum(TODO_STATUSES),
    active_form: z.optional(z.nullable(z.string())),
    created_at: timestamp(),
    updated_at: timestamp(),
    completed_at: optionalTimestamp(),
  });
export type Todo = z.infer<ReturnType<typeof todo>>;

const checkpointRef = () =>
  z.looseObject({
    id: z.string(),
    trigger: z.string(),
    phase: z.enum(PHASES),
    timestamp: timestamp(),
  });
export type CheckpointRef = z.infer<ReturnType<typeof checkpointRef>>;

/** An agent conversation working on the session (SPEC 2); `ended_at` once it ended or moved on. */
const conversationBinding = () =>
  z.looseObject({
    agent: z.string(),
    conversation_id: z.string(),
    bound_at: timestamp(),
    ended_at: optionalTimestamp(),
  });
export type ConversationBinding = z.infer<ReturnType<typeof conversationBinding>>;

const buildSessionSchema = () => {
  const checkpoint = phaseCheckpoint();
  return z.looseObject({
    session_id: z.string(),
    session_version: z.string(),
    project: z.string(),
    description: z.string(),
    type: z.enum(SESSION_TYPES),
    complexity: z.enum(COMPLEXITIES),
    status: z.enum(SESSION_STATUSES),
    current_phase: z.enum(PHASES),
    created_at: timestamp(),
    updated_at: timestamp(),
    revision: z.int(),
    checkpoints: z.looseObject({ plan: checkpoint, implement: checkpoint, review: checkpoint }),
    context_chain: z.array(z.unknown()),
    state_transitions: z.array(z.unknown()),
    activated_at: optionalTimestamp(),
    paused_at: optionalTimestamp(),
    resumed_at: optionalTimestamp(),
    completed_at: optionalTimestamp(),
    archived_at: optionalTimestamp(),
    // Added with the state layer; sessions written before it have neither and read as empty.
    todos: z.optional(z.array(todo())),
    last_checkpoint: z.optional(z.nullable(checkpointRef())),
    // Added with the agents' front doors: the conversations bound to the session (the truth; the
    // index in .workflow/.conversations/ only finds them fast).
    conversations: z.optional(z.array(conversationBinding())),
  });
};
let built: ReturnType<typeof buildSessionSchema> | undefined;
/** The schema of workflow-session.json, built the first time it is asked for. */
export function sessionSchema(): ReturnType<typeof buildSessionSchema> {
  built ??= buildSessionSchema();
  return built;
}
export type SessionState = z.infer<ReturnType<typeof buildSessionSchema>>;

// What the schema accepts, checked by hand for the file as wfs writes it: building the schema and
// its first parse cost ~2 ms of zod in every command that reads a session (measured with
// --cpu-prof: 1.3-1.5 ms to build, 0.6-0.8 ms to parse, against ~0.05 ms for this), and agents call
// wfs before every action. It is only a shortcut: it must never accept what the schema refuses
// (test/core/session-quick.test.ts mutates every field of a full session and checks exactly that),
// and whatever it does not accept goes to the schema, which gives the verdict and the message.
// Objects holding a `__proto__` key go to the schema too: zod drops that key, this would keep it.
type Check = (value: unknown) => boolean;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(value, '__proto__');
const isString: Check = (value) => typeof value === 'string';
const isInt: Check = (value) => Number.isSafeInteger(value);
const isNullableString: Check = (value) => value === null || typeof value === 'string';
const isOptionalNullableString: Check = (value) => value === undefined || isNullableString(value);
const oneOf =
  (values: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && values.includes(value);
const arrayOf =
  (item: Check): Check =>
  (value) =>
    Array.isArray(value) && value.every(item);
const isArray: Check = (value) => Array.isArray(value);
const objectOf =
  (fields: Record<string, Check>): Check =>
  (value) => {
    if (!isRecord(value)) return false;
    for (const key in fields) if (!fields[key]!(value[key])) return false;
    return true;
  };
/** Like objectOf, for a zod `z.object` (not loose): it drops keys it does not name, so an object with one goes to the schema. */
const exactObjectOf = (fields: Record<string, Check>): Check => {
  const loose = objectOf(fields);
  const count = Object.keys(fields).length;
  return (value) => loose(value) && Object.keys(value as object).length === count;
};
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const nullable =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);

let quickCheck: Check | undefined;
function buildQuickCheck(): Check {
  const checkpoint = objectOf({
    status: oneOf(CHECKPOINT_STATUSES),
    documents: arrayOf(isString),
    agents_completed: arrayOf(isString),
    current_agent: isNullableString,
    todos: exactObjectOf({ total: isInt, completed: isInt, in_progress: isInt }),
    quality_checks: isArray,
    timestamp: isNullableString,
  });
  return objectOf({
    session_id: isString,
    session_version: isString,
    project: isString,
    description: isString,
    type: oneOf(SESSION_TYPES),
    complexity: oneOf(COMPLEXITIES),
    status: oneOf(SESSION_STATUSES),
    current_phase: oneOf(PHASES),
    created_at: isString,
    updated_at: isString,
    revision: isInt,
    checkpoints: objectOf({ plan: checkpoint, implement: checkpoint, review: checkpoint }),
    context_chain: isArray,
    state_transitions: isArray,
    activated_at: isOptionalNullableString,
    paused_at: isOptionalNullableString,
    resumed_at: isOptionalNullableString,
    completed_at: isOptionalNullableString,
    archived_at: isOptionalNullableString,
    todos: optional(
      arrayOf(
        objectOf({
          id: isInt,
          content: isString,
          status: oneOf(TODO_STATUSES),
          active_form: isOptionalNullableString,
          created_at: isString,
          updated_at: isString,
          completed_at: isOptionalNullableString,
        }),
      ),
    ),
    last_checkpoint: optional(
      nullable(objectOf({ id: isString, trigger: isString, phase: oneOf(PHASES), timestamp: isString })),
    ),
    conversations: optional(
      arrayOf(
        objectOf({
          agent: isString,
          conversation_id: isString,
          bound_at: isString,
          ended_at: isOptionalNullableString,
        }),
      ),
    ),
  });
}

/** True only for a value the session schema accepts as it is (see above); false means "ask the schema". */
export function isWellFormedSession(value: unknown): value is SessionState {
  quickCheck ??= buildQuickCheck();
  return quickCheck(value);
}
export type PhaseCheckpoint = z.infer<ReturnType<typeof phaseCheckpoint>>;

export function isSessionType(value: string): value is SessionType {
  return (SESSION_TYPES as readonly string[]).includes(value);
}

/** The exact message SPEC 2 gives for a bad `--type`. */
export function parseSessionType(value: string | undefined): SessionType {
  if (value === undefined) return 'workflow';
  // Any case, like phases and triggers (see parseTrigger in phase.ts).
  value = value.toLowerCase();
  if (!isSessionType(value)) {
    throw new WfsError('E_INVALID_TYPE', `Invalid session type. Valid types: ${SESSION_TYPES.join(', ')}`);
  }
  return value;
}

export function parseComplexity(value: string | undefined): Complexity {
  if (value === undefined) return 'medium';
  value = value.toLowerCase();
  if (!(COMPLEXITIES as readonly string[]).includes(value)) {
    throw new WfsError('E_INVALID_INPUT', `Invalid complexity. Valid values: ${COMPLEXITIES.join(', ')}`);
  }
  return value as Complexity;
}

export function parseSessionStatus(value: string): SessionStatus {
  value = value.toLowerCase();
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
