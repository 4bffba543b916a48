import { WfsError } from '../../core/errors.js';
import { parseSessionId } from '../../core/ids.js';
import { parseComplexity, parseSessionStatus, parseSessionType } from '../../core/session.js';
import { archiveCompletedSession, type CompleteResult, completeSession } from '../../session/archive.js';
import { openProject, type ProjectContext } from '../../session/context.js';
import { type LifecycleResult, pauseSession, resumeSession, switchSession } from '../../session/lifecycle.js';
import { listSessions, type SessionSummary } from '../../session/list.js';
import { showSession } from '../../session/show.js';
import { type StartResult, startAutoSession, startNewSession } from '../../session/start.js';
import type { CliIo, CommonOptions, Output } from '../io.js';

function project(io: CliIo, options: CommonOptions): ProjectContext {
  return openProject({ root: options.root, cwd: io.cwd, env: io.env });
}

function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function listJson(sessions: readonly SessionSummary[]) {
  return sessions.map((s) => ({
    id: s.id,
    status: s.status,
    type: s.type,
    phase: s.phase,
    project: s.project,
    updated: s.updated,
    ...(s.corrupt ? { corrupt: true, reason: s.reason } : {}),
  }));
}

function printTable(out: Output, sessions: readonly SessionSummary[]): void {
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

export type StartOptions = CommonOptions & {
  auto?: string;
  new?: string;
  type?: string;
  complexity?: string;
};

export async function start(io: CliIo, out: Output, options: StartOptions): Promise<number> {
  if (options.auto !== undefined && options.new !== undefined) {
    throw new WfsError('E_USAGE', 'Use either --auto or --new, not both');
  }
  const type = parseSessionType(options.type);
  const complexity = parseComplexity(options.complexity);
  const ctx = project(io, options);
  if (options.auto === undefined && options.new === undefined)
    return discover(io, out, ctx, { type, complexity });

  const result =
    options.auto !== undefined
      ? await startAutoSession(ctx, { description: options.auto, type, complexity })
      : await startNewSession(ctx, { description: options.new!, type, complexity });
  printStart(out, result, options.auto !== undefined);
  return 0;
}

function printStart(out: Output, result: StartResult, auto: boolean): void {
  out.warnAll(result.warnings);
  if (out.json) {
    out.document({
      session_id: result.session_id,
      decision: result.decision,
      ...(result.relevance ? { relevance: result.relevance } : {}),
      ...(result.shared_keywords ? { shared_keywords: result.shared_keywords } : {}),
      paused: result.paused,
      project_initialized: result.project_initialized,
      warnings: result.warnings,
    });
    return;
  }
  if (result.project_initialized) out.line('PROJECT_STATE: created');
  if (result.relevance) out.line(`ANALYSIS: Task relevance = ${result.relevance}`);
  if (auto)
    out.line(
      `DECISION: ${result.decision === 'reused' ? 'Reusing existing session' : 'Creating new session'}`,
    );
  for (const id of result.paused) out.line(`PAUSED: ${id}`);
  out.line(`SESSION_ID: ${result.session_id}`);
}

/**
 * `session start` without a mode: lists the open sessions; on a terminal it asks which one to use
 * (or to create one). The prompt library is loaded only here, never on the hot path.
 */
async function discover(
  io: CliIo,
  out: Output,
  ctx: ProjectContext,
  defaults: { type: ReturnType<typeof parseSessionType>; complexity: ReturnType<typeof parseComplexity> },
): Promise<number> {
  const sessions = listSessions(ctx);
  if (out.json) {
    out.document({
      sessions: listJson(sessions),
      active: sessions.find((s) => s.status === 'active' && !s.corrupt)?.id ?? null,
    });
    return 0;
  }
  if (sessions.length === 0) out.line('No open sessions.');
  else printTable(out, sessions);
  if (!(io.stdinIsTTY && io.stdoutIsTTY)) {
    out.line('');
    out.line(
      'Use one: wfs session switch ID | new work: wfs session start --new "DESC" | let wfs decide: wfs session start --auto "DESC"',
    );
    return 0;
  }
  const prompts = await import('@clack/prompts');
  const usable = sessions.filter((s) => !s.corrupt && s.status !== 'completed');
  const NEW = '\u0000new';
  const choice = await prompts.select({
    message: 'Which session do you want to work in?',
    options: [
      ...usable.map((s) => ({ value: s.id, label: s.id, hint: `${s.status}, ${s.phase}: ${s.project}` })),
      { value: NEW, label: 'Create a new session' },
    ],
  });
  if (prompts.isCancel(choice)) {
    out.line('Cancelled; nothing changed.');
    return 0;
  }
  if (choice === NEW) {
    const description = await prompts.text({
      message: 'What is the task?',
      validate: (v) => (v?.trim() ? undefined : 'A description is required'),
    });
    if (prompts.isCancel(description)) {
      out.line('Cancelled; nothing changed.');
      return 0;
    }
    printStart(out, await startNewSession(ctx, { description, ...defaults }), false);
    return 0;
  }
  const switched = await switchSession(ctx, choice);
  printLifecycle(out, switched);
  return 0;
}

export type ListOptions = CommonOptions & { status?: string; all?: boolean };
export type CompleteOptions = ManifestOptions & { archive?: boolean };

export async function list(io: CliIo, out: Output, options: ListOptions): Promise<number> {
  const status = options.status === undefined ? undefined : parseSessionStatus(options.status);
  const sessions = listSessions(project(io, options), {
    includeArchived: options.all === true,
    ...(status ? { status } : {}),
  });
  if (out.json) {
    out.document({ sessions: listJson(sessions) });
    return 0;
  }
  if (sessions.length === 0) {
    out.line(
      options.all || status ? 'No sessions.' : 'No open sessions. Start one: wfs session start --new "DESC"',
    );
    return 0;
  }
  printTable(out, sessions);
  return 0;
}

export async function show(
  io: CliIo,
  out: Output,
  options: CommonOptions,
  id: string | undefined,
): Promise<number> {
  const session = showSession(project(io, options), id === undefined ? undefined : parseSessionId(id));
  const directory = `.workflow/${session.location}/${session.id}`;
  if (out.json) {
    out.document({ session: session.state, directory });
    return 0;
  }
  const s = session.state;
  out.line(`SESSION_ID: ${s.session_id}`);
  out.line(`Status: ${s.status}   Phase: ${s.current_phase}   Type: ${s.type}   Complexity: ${s.complexity}`);
  out.line(`Project: ${s.project}`);
  if (s.description !== s.project) out.line(`Description: ${s.description}`);
  out.line(
    `Created: ${shortTime(s.created_at)}   Updated: ${shortTime(s.updated_at)}   Revision: ${s.revision}`,
  );
  const checkpoints = (['plan', 'implement', 'review'] as const).map(
    (phase) => `${phase} ${s.checkpoints[phase].status}`,
  );
  out.line(`Checkpoints: ${checkpoints.join(', ')}`);
  const todos = s.checkpoints.implement.todos;
  if (todos.total > 0)
    out.line(`Todos: ${todos.completed}/${todos.total} done, ${todos.in_progress} in progress`);
  out.line(`Directory: ${directory}`);
  return 0;
}

function printLifecycle(out: Output, result: LifecycleResult): void {
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

export async function lifecycle(
  io: CliIo,
  out: Output,
  options: CommonOptions,
  action: 'switch' | 'pause' | 'resume',
  id: string | undefined,
): Promise<number> {
  const ctx = project(io, options);
  const sessionId = id === undefined ? undefined : parseSessionId(id);
  const result =
    action === 'switch'
      ? await switchSession(ctx, sessionId!)
      : action === 'pause'
        ? await pauseSession(ctx, sessionId)
        : await resumeSession(ctx, sessionId);
  printLifecycle(out, result);
  return 0;
}

function printComplete(out: Output, result: CompleteResult): void {
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return;
  }
  if (result.resumed_archiving) out.line('Finished an interrupted archiving.');
  out.line(`SESSION_ID: ${result.session_id}`);
  out.line(`STATUS: ${result.status}`);
  if (result.archive_path) out.line(`ARCHIVE_PATH: ${result.archive_path}`);
}

export type ManifestOptions = CommonOptions & { tag?: string[]; lesson?: string[] };

export async function complete(
  io: CliIo,
  out: Output,
  options: CompleteOptions,
  id: string | undefined,
): Promise<number> {
  const result = await completeSession(
    project(io, options),
    id === undefined ? undefined : parseSessionId(id),
    {
      archive: options.archive !== false,
      tags: options.tag ?? [],
      lessons: options.lesson ?? [],
    },
  );
  printComplete(out, result);
  return 0;
}

export async function archive(io: CliIo, out: Output, options: ManifestOptions, id: string): Promise<number> {
  const result = await archiveCompletedSession(project(io, options), parseSessionId(id), {
    tags: options.tag ?? [],
    lessons: options.lesson ?? [],
  });
  printComplete(out, result);
  return 0;
}
