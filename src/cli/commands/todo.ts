import { ExitCode } from '../../core/errors.js';
import type { Todo } from '../../core/session.js';
import { parseTodoId, parseTodoWrite, TODO_LIST_MAX_BYTES } from '../../core/todos.js';
import {
  addSessionTodo,
  readSessionTodos,
  setSessionTodoStatus,
  syncSessionTodos,
  type TodoResult,
} from '../../session/state.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project } from './shared.js';
import { sessionOption } from './state.js';

const MARK: Record<Todo['status'], string> = { pending: '[ ]', in_progress: '[>]', completed: '[x]' };

function printTodos(out: Output, sessionId: string, todos: readonly Todo[]): void {
  const done = todos.filter((t) => t.status === 'completed').length;
  const active = todos.filter((t) => t.status === 'in_progress').length;
  out.line(`${sessionId}: ${done}/${todos.length} done${active ? `, ${active} in progress` : ''}`);
  for (const todo of todos) out.line(`  ${String(todo.id).padStart(3)} ${MARK[todo.status]} ${todo.content}`);
}

function printResult(out: Output, result: TodoResult, summary: string): number {
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return ExitCode.ok;
  }
  out.line(summary);
  if (result.checkpoint) out.line(`CHECKPOINT: ${result.checkpoint.id} (${result.checkpoint.trigger})`);
  return ExitCode.ok;
}

export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const result = await readSessionTodos(project(io, values), sessionOption(values));
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return ExitCode.ok;
  }
  printTodos(out, result.session_id, result.todos);
  return ExitCode.ok;
}

export async function add(io: CliIo, out: Output, values: OptionValues, [text]: string[]): Promise<number> {
  const result = await addSessionTodo(project(io, values), text ?? '', sessionOption(values));
  return printResult(out, result, `TODO: ${result.todo!.id} ${result.todo!.content}`);
}

export async function start(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  const result = await setSessionTodoStatus(
    project(io, values),
    parseTodoId(id),
    'in_progress',
    sessionOption(values),
  );
  return printResult(
    out,
    result,
    `TODO: ${result.todo!.id} in progress${result.changed ? '' : ' (unchanged)'}`,
  );
}

export async function done(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  const result = await setSessionTodoStatus(
    project(io, values),
    parseTodoId(id),
    'completed',
    sessionOption(values),
  );
  return printResult(out, result, `TODO: ${result.todo!.id} done${result.changed ? '' : ' (unchanged)'}`);
}

/** Reads a TodoWrite list (`[{content, status, activeForm}]`) from stdin. */
export async function sync(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  if (io.stdinIsTTY)
    io.stderr(
      'Reading a TodoWrite list (JSON: [{"content": "...", "status": "pending"}]) from the terminal; end it with Ctrl-D.\n',
    );
  const items = parseTodoWrite(io.readStdin(TODO_LIST_MAX_BYTES, 'The todo list on stdin').toString('utf8'));
  const result = await syncSessionTodos(project(io, values), items, sessionOption(values));
  const counts = result.todos.filter((t) => t.status === 'completed').length;
  return printResult(out, result, `TODOS: ${counts}/${result.todos.length} done`);
}
