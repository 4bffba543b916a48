import { WfsError } from './errors.js';
import { DEFAULT_MAX_DEPTH, parseBoundedJson } from './json-input.js';
import type { SessionState, Todo, TodoStatus } from './session.js';

/**
 * The session's todo list, as pure functions of the state: each returns the next state, with the
 * counts in `checkpoints.implement.todos` kept equal to the list (SPEC 2).
 */

export const TODO_MAX_LENGTH = 2_000;
/**
 * Todos a session holds at most (SPEC 4: inputs are bounded). The whole list is rewritten on every
 * save, so it bounds the cost of every command; an agent's todo list holds tens.
 */
export const TODOS_MAX = 1_000;
/** A TodoWrite list on stdin: TODOS_MAX todos of TODO_MAX_LENGTH characters fit, with room for JSON. */
export const TODO_LIST_MAX_BYTES = 4 * 1024 * 1024;

function checkCount(count: number): void {
  if (count > TODOS_MAX)
    throw new WfsError(
      'E_INVALID_INPUT',
      `Too many todos: ${count} (a session holds at most ${TODOS_MAX}); complete or remove some first`,
    );
}

export function todosOf(state: SessionState): Todo[] {
  return state.todos ?? [];
}

export function countTodos(todos: readonly Todo[]): {
  total: number;
  completed: number;
  in_progress: number;
} {
  let completed = 0;
  let inProgress = 0;
  for (const todo of todos) {
    if (todo.status === 'completed') completed++;
    else if (todo.status === 'in_progress') inProgress++;
  }
  return { total: todos.length, completed, in_progress: inProgress };
}

function withTodos(state: SessionState, todos: Todo[]): SessionState {
  const implement = state.checkpoints.implement;
  return {
    ...state,
    todos,
    checkpoints: { ...state.checkpoints, implement: { ...implement, todos: countTodos(todos) } },
  };
}

function validText(text: string | undefined): string {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '')
    throw new WfsError('E_INVALID_INPUT', 'A todo needs a text (e.g. wfs todo add "write the migration")');
  if (trimmed.length > TODO_MAX_LENGTH) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Todo too long: ${trimmed.length} characters (at most ${TODO_MAX_LENGTH})`,
    );
  }
  // One line: `wfs todo list` shows a todo a line, and a newline in one would break the list.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    throw new WfsError(
      'E_INVALID_INPUT',
      'A todo is one line of text: no line breaks, tabs or other control characters',
    );
  }
  return trimmed;
}

export function addTodo(state: SessionState, text: string, now: string): { state: SessionState; todo: Todo } {
  const todos = todosOf(state);
  checkCount(todos.length + 1);
  const id = todos.reduce((max, t) => Math.max(max, t.id), 0) + 1;
  const todo: Todo = {
    id,
    content: validText(text),
    status: 'pending',
    active_form: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
  };
  return { state: withTodos(state, [...todos, todo]), todo };
}

/** Parses a todo number typed by a user. */
export function parseTodoId(input: string | undefined): number {
  const id = Number(input);
  if (input === undefined || !/^[0-9]{1,9}$/.test(input) || id < 1) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid todo number ${JSON.stringify(input ?? '')}: expected 1, 2, ... (see wfs todo list)`,
    );
  }
  return id;
}

export function setTodoStatus(
  state: SessionState,
  id: number,
  status: TodoStatus,
  now: string,
): { state: SessionState; todo: Todo; changed: boolean } {
  const todos = todosOf(state);
  const index = todos.findIndex((t) => t.id === id);
  if (index < 0)
    throw new WfsError('E_NOT_FOUND', `No todo ${id} in ${state.session_id} (see wfs todo list)`);
  const current = todos[index]!;
  if (current.status === status) return { state, todo: current, changed: false };
  const todo: Todo = {
    ...current,
    status,
    updated_at: now,
    completed_at: status === 'completed' ? now : null,
  };
  const next = [...todos];
  next[index] = todo;
  return { state: withTodos(state, next), todo, changed: true };
}

/** One item of a Claude Code TodoWrite list. */
export interface TodoWriteItem {
  content: string;
  status: TodoStatus;
  activeForm?: string;
}

/** Reads and checks a TodoWrite list (`[{content, status, activeForm}]`, or `{todos: [...]}`). */
export function parseTodoWrite(text: string): TodoWriteItem[] {
  const value = parseBoundedJson(text, {
    what: 'The todo list on stdin',
    maxBytes: TODO_LIST_MAX_BYTES,
    maxDepth: DEFAULT_MAX_DEPTH,
  });
  const list = Array.isArray(value) ? value : (value as { todos?: unknown } | null)?.todos;
  if (!Array.isArray(list))
    throw new WfsError(
      'E_INVALID_INPUT',
      'Expected a TodoWrite list on stdin: [{"content", "status", "activeForm"}]',
    );
  checkCount(list.length);
  return list.map((item, index) => {
    const it = item as Record<string, unknown>;
    if (
      typeof it?.content !== 'string' ||
      !['pending', 'in_progress', 'completed'].includes(it.status as string)
    ) {
      throw new WfsError(
        'E_INVALID_INPUT',
        `Todo ${index + 1} on stdin needs "content" and a "status" of pending, in_progress or completed`,
      );
    }
    return {
      // An agent's list may wrap a todo over lines: the same todo, on one line.
      content: validText(it.content.replace(/[\t\r\n]+/g, ' ')),
      status: it.status as TodoStatus,
      ...(typeof it.activeForm === 'string' ? { activeForm: it.activeForm } : {}),
    };
  });
}

/**
 * Replaces the list with a TodoWrite list. A todo with the same text keeps its number and its
 * times, so `wfs todo done 3` still means the same todo after a sync.
 */
export function syncTodos(
  state: SessionState,
  items: readonly TodoWriteItem[],
  now: string,
): { state: SessionState; completedNow: number; changed: boolean } {
  checkCount(items.length);
  const previous = new Map(todosOf(state).map((t) => [t.content, t]));
  let nextId = todosOf(state).reduce((max, t) => Math.max(max, t.id), 0) + 1;
  let completedNow = 0;
  const todos = items.map((item) => {
    const before = previous.get(item.content);
    previous.delete(item.content);
    if (item.status === 'completed' && before?.status !== 'completed') completedNow++;
    if (before && before.status === item.status && (before.active_form ?? null) === (item.activeForm ?? null))
      return before;
    return {
      id: before?.id ?? nextId++,
      content: item.content,
      status: item.status,
      active_form: item.activeForm ?? null,
      created_at: before?.created_at ?? now,
      updated_at: now,
      completed_at: item.status === 'completed' ? (before?.completed_at ?? now) : null,
    };
  });
  // The same list (every todo the same object as before, in the same order) changes nothing: a hook
  // that syncs after every todo tool call must not bump the revision each time.
  const before = todosOf(state);
  const changed = todos.length !== before.length || todos.some((todo, i) => todo !== before[i]);
  return { state: changed ? withTodos(state, todos) : state, completedNow, changed };
}

/**
 * One task of an agent's task tools (Claude Code `TaskCreate` / `TaskUpdate`), which name tasks by
 * an ID of their own instead of sending the whole list: the todo keeps that ID as `agent_task`.
 */
export interface TaskChange {
  /** The task's ID, unique across agents and conversations (`claude:<conversation>:<id>`). */
  key: string;
  /** `deleted` removes the todo. */
  status?: TodoStatus | 'deleted';
  /** The task's subject: required to create it. */
  content?: string;
  activeForm?: string;
}

/**
 * Applies a task change: creates the todo when the key is new (and a subject is given), updates its
 * status, text or active form, or removes it. A change that changes nothing writes nothing.
 */
export function applyTaskChange(
  state: SessionState,
  change: TaskChange,
  now: string,
): { state: SessionState; changed: boolean; completed?: Todo } {
  const todos = todosOf(state);
  const index = todos.findIndex((t) => t.agent_task === change.key);
  if (index < 0) {
    if (change.status === 'deleted' || change.content === undefined) return { state, changed: false };
    checkCount(todos.length + 1);
    const status = change.status ?? 'pending';
    const todo: Todo = {
      id: todos.reduce((max, t) => Math.max(max, t.id), 0) + 1,
      content: validText(change.content.replace(/[\t\r\n]+/g, ' ')),
      status,
      active_form: change.activeForm ?? null,
      created_at: now,
      updated_at: now,
      completed_at: status === 'completed' ? now : null,
      agent_task: change.key,
    };
    return {
      state: withTodos(state, [...todos, todo]),
      changed: true,
      ...(status === 'completed' ? { completed: todo } : {}),
    };
  }
  const current = todos[index]!;
  if (change.status === 'deleted')
    return {
      state: withTodos(
        state,
        todos.filter((_, i) => i !== index),
      ),
      changed: true,
    };
  const content =
    change.content === undefined ? current.content : validText(change.content.replace(/[\t\r\n]+/g, ' '));
  const status = change.status ?? current.status;
  const activeForm = change.activeForm ?? current.active_form ?? null;
  if (
    content === current.content &&
    status === current.status &&
    activeForm === (current.active_form ?? null)
  )
    return { state, changed: false };
  const todo: Todo = {
    ...current,
    content,
    status,
    active_form: activeForm,
    updated_at: now,
    completed_at: status === 'completed' ? (current.completed_at ?? now) : null,
  };
  const next = [...todos];
  next[index] = todo;
  return {
    state: withTodos(state, next),
    changed: true,
    ...(status === 'completed' && current.status !== 'completed' ? { completed: todo } : {}),
  };
}
