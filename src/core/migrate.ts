import {
  COMPLEXITIES,
  emptyCheckpoint,
  PHASES,
  type Phase,
  SESSION_TYPES,
  SESSION_VERSION,
} from './session.js';

/**
 * Older session files, brought to session_version 2.0 in memory (the next save writes 2.0). The
 * shapes are those of the CCW tools our users come from: no `session_version` (or 1.x), a status
 * that was really a phase (`planning`, `initialized`, `implementing`, `reviewing`), a `type` of
 * `simple|medium|complex` that was really the complexity, and `project` holding the description.
 */

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

const EPOCH = '1970-01-01T00:00:00.000Z';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const version = v.session_version;
  const older = version === undefined || (typeof version === 'string' && Number.parseInt(version, 10) < 2);
  if (!older) return false;
  const identified = typeof v.session_id === 'string' || typeof v.id === 'string';
  return identified && OLDER_SCHEMA_FIELDS.some((field) => typeof v[field] === 'string' && v[field] !== '');
}

/** Returns the 2.0 form of an older session file; fields it does not know are kept. */
export function migrateSession(value: Record<string, unknown>, folderId: string): Record<string, unknown> {
  const oldStatus = text(value.status)?.toLowerCase() ?? '';
  const oldType = text(value.type)?.toLowerCase();
  const description = text(value.description) ?? text(value.project) ?? text(value.title) ?? folderId;
  const phase: Phase =
    (text(value.current_phase)?.toUpperCase() as Phase | undefined) &&
    (PHASES as readonly string[]).includes(String(value.current_phase).toUpperCase())
      ? (String(value.current_phase).toUpperCase() as Phase)
      : (PHASE_OF_OLD_STATUS[oldStatus] ?? 'PLAN');
  // Whether it is the active session was recorded outside the file (`.active-*` markers): `wfs
  // migrate` reads those; a file read on its own is paused, never made active behind anyone's back.
  const status =
    oldStatus === 'completed' || oldStatus === 'archived'
      ? oldStatus
      : oldStatus === 'active'
        ? 'active'
        : 'paused';
  const complexityFromType =
    oldType && (COMPLEXITIES as readonly string[]).includes(oldType) ? oldType : undefined;
  const created = text(value.created_at) ?? text(value.created) ?? text(value.timestamp) ?? EPOCH;
  const phaseIndex = PHASES.indexOf(phase);
  const record = (p: Phase) =>
    emptyCheckpoint(
      PHASES.indexOf(p) < phaseIndex || status === 'completed'
        ? 'completed'
        : p === phase
          ? 'in_progress'
          : 'pending',
    );
  const firstLine = description.split(/\r?\n/)[0]!.trim();
  return {
    ...value,
    session_id: folderId,
    session_version: SESSION_VERSION,
    project: firstLine.length > 100 ? `${firstLine.slice(0, 99)}…` : firstLine,
    description,
    type: oldType && (SESSION_TYPES as readonly string[]).includes(oldType) ? oldType : 'workflow',
    complexity:
      complexityFromType ??
      (text(value.complexity) && (COMPLEXITIES as readonly string[]).includes(String(value.complexity))
        ? value.complexity
        : 'medium'),
    status,
    current_phase: phase,
    created_at: created,
    updated_at: text(value.updated_at) ?? text(value.updated) ?? created,
    revision: typeof value.revision === 'number' && Number.isInteger(value.revision) ? value.revision : 0,
    checkpoints: { plan: record('PLAN'), implement: record('IMPLEMENT'), review: record('REVIEW') },
    context_chain: Array.isArray(value.context_chain) ? value.context_chain : [],
    state_transitions: Array.isArray(value.state_transitions) ? value.state_transitions : [],
    migrated_from: {
      session_version: typeof value.session_version === 'string' ? value.session_version : null,
      status: value.status ?? null,
      type: value.type ?? null,
    },
  };
}
