import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import type { Phase, SessionState, Todo } from '../core/session.js';
import { countTodos, todosOf } from '../core/todos.js';
import { listSessionFolders } from '../store/session-files.js';
import type { ProjectContext } from './context.js';
import { readSessionRepairing } from './show.js';

/**
 * `wfs context`: what an agent needs at the start of a turn, kept short (about 1,500 tokens at
 * most): the active session, its phase, its todos, the last checkpoint and the next step. Other
 * live sessions, locks and events join it with cross-session coordination.
 */
export interface ContextSummary {
  root: string;
  active_session: null | {
    id: string;
    title: string;
    goal: string;
    type: string;
    status: string;
    phase: Phase;
    todos: {
      total: number;
      completed: number;
      in_progress: number;
      shown: Pick<Todo, 'id' | 'content' | 'status'>[];
    };
    last_checkpoint: SessionState['last_checkpoint'] | null;
    directory: string;
  };
  open_sessions: number;
  next_step: string;
  warnings: string[];
}

// Bounds that keep the summary within ~1,500 tokens (~6,000 characters) whatever the session holds.
const GOAL_CHARS = 600;
const TODO_CHARS = 160;
const TODOS_SHOWN = 12;

function clip(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}

export function nextStep(state: SessionState, todos: readonly Todo[]): string {
  const current = todos.find((t) => t.status === 'in_progress');
  if (current) return `Continue todo ${current.id}: ${clip(current.content, TODO_CHARS)}`;
  const pending = todos.find((t) => t.status === 'pending');
  if (pending)
    return `Start todo ${pending.id}: ${clip(pending.content, TODO_CHARS)} (wfs todo start ${pending.id})`;
  switch (state.current_phase) {
    case 'PLAN':
      return todos.length === 0
        ? 'Plan the work in planning-notes.md, add todos (wfs todo add "..."), then wfs phase IMPLEMENT'
        : 'The plan is done: wfs phase IMPLEMENT';
    case 'IMPLEMENT':
      return todos.length === 0
        ? 'Add the implementation todos (wfs todo add "...")'
        : 'All todos are done: wfs phase REVIEW';
    case 'REVIEW':
      return 'Review the work, record quality checks (wfs checkpoint --data ...), then wfs session complete';
  }
}

/**
 * How many session folders are open. A directory's link count is 2 + its subdirectories on ext4,
 * xfs and tmpfs, so one stat answers without listing 10,000 names; filesystems that report 1
 * (btrfs) are listed instead.
 */
function countOpen(ctx: ProjectContext): number {
  try {
    const links = fs.statSync(ctx.layout.activeDir).nlink;
    if (links >= 2) return links - 2;
    return listSessionFolders(ctx.layout, 'active').length;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

function todosShown(todos: readonly Todo[]): Pick<Todo, 'id' | 'content' | 'status'>[] {
  // What is being done and what comes next matter; finished work is only counted.
  const open = todos.filter((t) => t.status !== 'completed');
  const ordered = [
    ...open.filter((t) => t.status === 'in_progress'),
    ...open.filter((t) => t.status === 'pending'),
  ];
  return ordered
    .slice(0, TODOS_SHOWN)
    .map((t) => ({ id: t.id, content: clip(t.content, TODO_CHARS), status: t.status }));
}

export async function contextSummary(ctx: ProjectContext): Promise<ContextSummary> {
  const openSessions = fs.existsSync(ctx.layout.activeDir) ? countOpen(ctx) : 0;
  let read: Awaited<ReturnType<typeof readSessionRepairing>>;
  try {
    read = await readSessionRepairing(ctx);
  } catch (error) {
    if ((error as { code?: string }).code !== 'E_NO_ACTIVE_SESSION') throw error;
    return {
      root: ctx.layout.root,
      active_session: null,
      open_sessions: openSessions,
      next_step:
        openSessions > 0
          ? 'No session is active: wfs session resume (the most recently paused), or wfs session start --auto "TASK"'
          : 'Start a session for the task: wfs session start --auto "TASK"',
      warnings: [],
    };
  }
  const { session, warnings } = read;
  const state = session.state;
  const todos = todosOf(state);
  return {
    root: ctx.layout.root,
    active_session: {
      id: session.id,
      title: clip(state.project, 120),
      goal: clip(state.description, GOAL_CHARS),
      type: state.type,
      status: state.status,
      phase: state.current_phase,
      todos: { ...countTodos(todos), shown: todosShown(todos) },
      last_checkpoint: state.last_checkpoint ?? null,
      directory: `.workflow/${session.location}/${session.id}`,
    },
    open_sessions: openSessions,
    next_step: nextStep(state, todos),
    warnings,
  };
}

const MARK: Record<Todo['status'], string> = { pending: '[ ]', in_progress: '[>]', completed: '[x]' };

export function contextMarkdown(summary: ContextSummary): string {
  const lines = ['# wfs context', ''];
  const s = summary.active_session;
  if (s === null) {
    lines.push('No active session.');
  } else {
    lines.push(`- Session: ${s.id} (${s.status}, ${s.type}), phase ${s.phase}`);
    lines.push(`- Goal: ${s.goal}`);
    lines.push(
      `- Todos: ${s.todos.completed}/${s.todos.total} done${s.todos.in_progress ? `, ${s.todos.in_progress} in progress` : ''}`,
    );
    for (const todo of s.todos.shown) lines.push(`  - ${MARK[todo.status]} ${todo.id}. ${todo.content}`);
    const hidden = s.todos.total - s.todos.completed - s.todos.shown.length;
    if (hidden > 0) lines.push(`  - … ${hidden} more open (wfs todo list)`);
    if (s.last_checkpoint)
      lines.push(
        `- Last checkpoint: ${s.last_checkpoint.id} (${s.last_checkpoint.trigger}, ${s.last_checkpoint.phase}, ${s.last_checkpoint.timestamp})`,
      );
    lines.push(`- Files: ${s.directory}/ (planning-notes.md, .task/, .summaries/)`);
  }
  if (summary.open_sessions > (s === null ? 0 : 1))
    lines.push(`- Other open sessions: ${summary.open_sessions - (s === null ? 0 : 1)} (wfs session list)`);
  lines.push('', `Next step: ${summary.next_step}`, '');
  return lines.join('\n');
}
