import { ExitCode, WfsError } from '../../core/errors.js';
import { type Complexity, parseComplexity, parseSessionType, type SessionType } from '../../core/session.js';
import { ensureProjectInitialized } from '../../project/ensure.js';
import { switchSession } from '../../session/lifecycle.js';
import { listSessions } from '../../session/list.js';
import { type StartResult, startAutoSession, startNewSession } from '../../session/start.js';
import type { ProjectContext } from '../../store/project.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { LIST_JSON_KEYS, printLifecycle, printSessionTable, project, stringOption } from './shared.js';

export async function start(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const auto = stringOption(values, 'auto');
  const fresh = stringOption(values, 'new');
  if (auto !== undefined && fresh !== undefined)
    throw new WfsError('E_USAGE', 'Use either --auto or --new, not both');
  const type = parseSessionType(stringOption(values, 'type'));
  const complexity = parseComplexity(stringOption(values, 'complexity'));
  const ctx = project(io, values);
  if (auto === undefined && fresh === undefined) return discover(io, out, ctx, { type, complexity });

  const result =
    auto !== undefined
      ? await startAutoSession(ctx, { description: auto, type, complexity })
      : await startNewSession(ctx, { description: fresh!, type, complexity });
  printStart(out, result, auto !== undefined);
  return ExitCode.ok;
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
      ...(result.bound_conversation ? { bound_conversation: result.bound_conversation } : {}),
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
  if (result.bound_conversation)
    out.line(
      `BOUND: ${result.bound_conversation.agent} conversation ${result.bound_conversation.conversation_id}`,
    );
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
  defaults: { type: SessionType; complexity: Complexity },
): Promise<number> {
  // Step 0 of every mode: the project state exists before anything else happens.
  const init = await ensureProjectInitialized(ctx);
  out.warnAll(init?.warnings ?? []);
  if (init !== undefined && !out.json) out.line('PROJECT_STATE: created');
  const sessions = listSessions(ctx);
  if (out.json) {
    out.document(
      {
        sessions,
        active: sessions.find((s) => s.status === 'active' && !s.corrupt)?.id ?? null,
        project_initialized: init !== undefined,
      },
      [...LIST_JSON_KEYS, 'active', 'project_initialized'],
    );
    return ExitCode.ok;
  }
  if (sessions.length === 0) out.line('No open sessions.');
  else printSessionTable(out, sessions);
  if (!(io.stdinIsTTY && io.stdoutIsTTY)) {
    out.line('');
    out.line(
      'Use one: wfs session switch ID | new work: wfs session start --new "DESC" | let wfs decide: wfs session start --auto "DESC"',
    );
    return ExitCode.ok;
  }
  const prompts = await import('@clack/prompts');
  const usable = sessions.filter((s) => !s.corrupt && s.status !== 'completed');
  const NEW = '\u0000new';
  const active = usable.find((s) => s.status === 'active');
  const choice = await prompts.select({
    message: 'Which session do you want to work in?',
    ...(active ? { initialValue: active.id } : {}),
    options: [
      ...usable.map((s) => ({ value: s.id, label: s.id, hint: `${s.status}, ${s.phase}: ${s.project}` })),
      { value: NEW, label: 'Create a new session' },
    ],
  });
  // Cancelled (Ctrl-C, Esc): nothing was chosen, which a script must not take for success.
  if (prompts.isCancel(choice)) {
    out.line('Cancelled; nothing changed.');
    return ExitCode.failure;
  }
  if (choice === NEW) {
    const description = await prompts.text({
      message: 'What is the task?',
      validate: (v) => (v?.trim() ? undefined : 'A description is required'),
    });
    if (prompts.isCancel(description)) {
      out.line('Cancelled; nothing changed.');
      return ExitCode.failure;
    }
    printStart(out, await startNewSession(ctx, { description, ...defaults }), false);
    return ExitCode.ok;
  }
  printLifecycle(out, await switchSession(ctx, choice));
  return ExitCode.ok;
}
