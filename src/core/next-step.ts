import type { SessionState, Todo } from './session.js';

/** What a one-line summary keeps of a todo: enough to recognise it, short enough for a turn's context. */
export const TODO_CHARS = 160;

/** Text on one line, at most `max` characters (an ellipsis says it was cut). */
export function clip(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}

/** The next thing to do in a session, as the context summary and the resume plan say it. */
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
