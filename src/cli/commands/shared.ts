import type { LifecycleResult } from '../../session/lifecycle.js';
import type { SessionSummary } from '../../session/list.js';
import { actingSessionId } from '../../session/target.js';
import { openProject, type ProjectContext } from '../../store/project.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';

export function project(io: CliIo, values: OptionValues): ProjectContext {
  return openProject({ root: values.root as string | undefined, cwd: io.cwd, env: io.env });
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A `duration` or `count` option, already parsed and checked by the argument parser. */
export function numberOption(values: OptionValues, name: string, fallback: number): number {
  const value = values[name];
  return typeof value === 'number' ? value : fallback;
}

export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}

export function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/**
 * The SPEC's `session list` shape, as the keys JSON.stringify keeps: filtering while serialising
 * needs no copy of 10,000 rows.
 */
export const LIST_JSON_KEYS = [
  'sessions',
  'id',
  'status',
  'type',
  'phase',
  'project',
  'updated',
  'corrupt',
  'reason',
];

export function printSessionTable(out: Output, sessions: readonly SessionSummary[]): void {
  out.table(
    ['', 'ID', 'STATUS', 'PHASE', 'TYPE', 'UPDATED', 'PROJECT'],
    sessions.map((s) => [
      s.status === 'active' && !s.corrupt ? '*' : ' ',
      s.id,
      s.corrupt ? 'CORRUPT' : s.status,
      s.phase,
      s.type,
      shortTime(s.updated),
      s.corrupt ? `${s.project ? `${s.project} ` : ''}(${s.reason})` : s.project,
    ]),
  );
}

export function printLifecycle(out: Output, result: LifecycleResult): void {
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return;
  }
  for (const id of result.paused) out.line(`PAUSED: ${id}`);
  out.line(`SESSION_ID: ${result.session_id}`);
  out.line(`STATUS: ${result.status}${result.changed ? '' : ' (unchanged)'}`);
  out.line(`PHASE: ${result.phase}`);
}

/** The session a shell command acts for (a lock's holder, a result's author): SPEC 2's resolution, else none. */
export function actingSession(ctx: ProjectContext): string | null {
  return actingSessionId(ctx);
}
