import { ExitCode } from '../../core/errors.js';
import { parseSessionId } from '../../core/ids.js';
import { parseSessionStatus } from '../../core/session.js';
import { listSessions } from '../../session/list.js';
import { readTarget } from '../../session/target.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { LIST_JSON_KEYS, printSessionTable, project, shortTime, stringOption } from './shared.js';

export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const statusOption = stringOption(values, 'status');
  const status = statusOption === undefined ? undefined : parseSessionStatus(statusOption);
  const sessions = listSessions(project(io, values), {
    includeArchived: values.all === true,
    ...(status ? { status } : {}),
  });
  if (out.json) {
    out.document({ sessions }, LIST_JSON_KEYS);
    return ExitCode.ok;
  }
  if (sessions.length === 0) {
    out.line(
      values.all || status ? 'No sessions.' : 'No open sessions. Start one: wfs session start --new "DESC"',
    );
    return ExitCode.ok;
  }
  printSessionTable(out, sessions);
  return ExitCode.ok;
}

export async function show(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  const { session, warnings } = await readTarget(
    project(io, values),
    id === undefined ? undefined : parseSessionId(id),
  );
  out.warnAll(warnings);
  const directory = `.workflow/${session.location}/${session.id}`;
  if (out.json) {
    out.document({ session: session.state, directory });
    return ExitCode.ok;
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
  if (s.last_checkpoint) {
    out.line(
      `Last checkpoint: ${s.last_checkpoint.id} (${s.last_checkpoint.trigger}, ${s.last_checkpoint.phase}, ${shortTime(s.last_checkpoint.timestamp)})`,
    );
  }
  out.line(`Directory: ${directory}`);
  return ExitCode.ok;
}
