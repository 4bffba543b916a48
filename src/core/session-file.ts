import {
  adoptForeignStatus,
  foreignStatus,
  type MigrationEvidence,
  migrateSession,
  needsMigration,
} from './migrate.js';
import { describeIssues } from './schema-errors.js';
import { isWellFormedSession, SESSION_MAJOR, type SessionState, sessionSchema } from './session.js';

/**
 * Reading a workflow-session.json: validation against the schema, with older schemas migrated on
 * the way (core/migrate.ts). A file of its own so that the schema (session.ts) and the migration,
 * which needs the schema's vocabulary, do not import each other.
 */
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
    const migrated = sessionSchema().safeParse(
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
  // The file as wfs writes it is read without building the schema (see isWellFormedSession).
  if (isWellFormedSession(value)) return { ok: true, state: value };
  const result = sessionSchema().safeParse(value);
  if (!result.success) {
    // A status CCW wrote into an otherwise valid file is read, not restored over (see migrate.ts).
    const adopted =
      folderId === undefined || foreignStatus(value) === undefined
        ? undefined
        : adoptForeignStatus(value, evidence?.());
    const again = adopted === undefined ? undefined : sessionSchema().safeParse(adopted.value);
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
