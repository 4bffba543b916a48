import type { TaskChange, TodoWriteItem } from '../core/todos.js';
import { type AgentName, type Conversation, parseConversation } from '../session/binding.js';

/**
 * The agents' hook events (SPEC 7), each agent's own JSON, read into one shape. What wfs does not
 * know (an event, a field, a tool) is accepted and ignored: agents add events and fields between
 * releases, and a hook must never fail because of them.
 */

export type HookEvent =
  | { kind: 'start'; source: string }
  /** A prompt was submitted, or a turn ended: signs of life. */
  | { kind: 'prompt' }
  | { kind: 'stop' }
  /** An edit is about to happen: the paths it changes (absolute, or relative to `cwd`). */
  | { kind: 'pre_edit'; tool: string; paths: string[] }
  /** An edit happened. */
  | { kind: 'post_edit'; tool: string; paths: string[] }
  /** The agent's whole todo list (Claude Code TodoWrite, Gemini CLI write_todos). */
  | { kind: 'todo_list'; items: TodoWriteItem[] }
  /** One task of the agent's task tools (Claude Code TaskCreate / TaskUpdate). */
  | { kind: 'task'; change: Omit<TaskChange, 'key'>; taskId: string }
  | { kind: 'compact'; trigger: string; instructions: string | null }
  | { kind: 'end'; reason: string }
  | { kind: 'ignored'; name: string };

export interface ParsedEvent {
  agent: AgentName;
  /** The hook event's own name (`PreToolUse`, `BeforeTool`, ...): the answer names it. */
  name: string;
  conversation: Conversation | undefined;
  /** Where the agent works (the event's `cwd`), if it said. */
  cwd: string | undefined;
  event: HookEvent;
}

type Json = Record<string, unknown>;

function object(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The file an edit tool names (`file_path`, or `notebook_path` for notebooks). */
function editedFile(input: Json): string[] {
  const file = text(input.file_path) ?? text(input.notebook_path) ?? text(input.path);
  return file === undefined ? [] : [file];
}

/**
 * The files an `apply_patch` patch touches (Codex): its `*** Add File:`, `*** Update File:`,
 * `*** Delete File:` and `*** Move to:` lines, relative to the agent's working directory.
 */
export function patchFiles(patch: string): string[] {
  const files = new Set<string>();
  for (const match of patch.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)) {
    const file = match[1]!.trim();
    if (file !== '') files.add(file);
  }
  return [...files];
}

const TODO_STATUSES = new Set(['pending', 'in_progress', 'completed']);

/** A todo list of TodoWrite (`content`) or write_todos (`description`); dropped and cancelled items left out. */
function todoItems(list: unknown): TodoWriteItem[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const items: TodoWriteItem[] = [];
  for (const raw of list) {
    const item = object(raw);
    const content = text(item.content) ?? text(item.description);
    const status = text(item.status);
    if (content === undefined || status === undefined || !TODO_STATUSES.has(status)) continue;
    items.push({
      content,
      status: status as TodoWriteItem['status'],
      ...(text(item.activeForm) ? { activeForm: text(item.activeForm)! } : {}),
    });
  }
  return items;
}

const CLAUDE_EDITS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const GEMINI_EDITS = new Set(['replace', 'write_file']);

function claudeTool(pre: boolean, payload: Json): HookEvent {
  const tool = String(payload.tool_name ?? '');
  const input = object(payload.tool_input);
  if (CLAUDE_EDITS.has(tool)) return { kind: pre ? 'pre_edit' : 'post_edit', tool, paths: editedFile(input) };
  if (pre) return { kind: 'ignored', name: `PreToolUse:${tool}` };
  if (tool === 'TodoWrite') {
    const items = todoItems(input.todos);
    if (items !== undefined) return { kind: 'todo_list', items };
  }
  if (tool === 'TaskCreate') {
    // The new task's ID is only in the tool's response.
    const id = text(object(object(payload.tool_response).task).id);
    const subject = text(input.subject);
    if (id !== undefined && subject !== undefined)
      return {
        kind: 'task',
        taskId: id,
        change: {
          content: subject,
          ...(text(input.activeForm) ? { activeForm: text(input.activeForm)! } : {}),
        },
      };
  }
  if (tool === 'TaskUpdate') {
    const id = text(input.taskId) ?? text(object(payload.tool_response).taskId);
    const status = text(input.status);
    if (id !== undefined)
      return {
        kind: 'task',
        taskId: id,
        change: {
          ...(status !== undefined && (TODO_STATUSES.has(status) || status === 'deleted')
            ? { status: status as NonNullable<TaskChange['status']> }
            : {}),
          ...(text(input.subject) ? { content: text(input.subject)! } : {}),
          ...(text(input.activeForm) ? { activeForm: text(input.activeForm)! } : {}),
        },
      };
  }
  return { kind: 'ignored', name: `PostToolUse:${tool}` };
}

function claudeOrCodex(agent: 'claude' | 'codex', name: string, payload: Json): HookEvent {
  switch (name) {
    case 'SessionStart':
      return { kind: 'start', source: String(payload.source ?? 'startup') };
    case 'UserPromptSubmit':
      return { kind: 'prompt' };
    case 'Stop':
      return { kind: 'stop' };
    case 'PreCompact':
      return {
        kind: 'compact',
        trigger: String(payload.trigger ?? 'auto'),
        instructions: text(payload.custom_instructions) ?? null,
      };
    case 'SessionEnd':
      return { kind: 'end', reason: String(payload.reason ?? 'other') };
    case 'PreToolUse':
    case 'PostToolUse': {
      if (agent === 'claude') return claudeTool(name === 'PreToolUse', payload);
      const tool = String(payload.tool_name ?? '');
      if (tool !== 'apply_patch') return { kind: 'ignored', name: `${name}:${tool}` };
      const patch = text(object(payload.tool_input).command) ?? '';
      return { kind: name === 'PreToolUse' ? 'pre_edit' : 'post_edit', tool, paths: patchFiles(patch) };
    }
    default:
      return { kind: 'ignored', name };
  }
}

function gemini(name: string, payload: Json): HookEvent {
  switch (name) {
    case 'SessionStart':
      return { kind: 'start', source: String(payload.source ?? 'startup') };
    case 'BeforeAgent':
      return { kind: 'prompt' };
    case 'AfterAgent':
      return { kind: 'stop' };
    case 'PreCompress':
      return { kind: 'compact', trigger: String(payload.trigger ?? 'auto'), instructions: null };
    case 'SessionEnd':
      return { kind: 'end', reason: String(payload.reason ?? 'other') };
    case 'BeforeTool':
    case 'AfterTool': {
      const tool = String(payload.tool_name ?? '');
      const input = object(payload.tool_input);
      if (GEMINI_EDITS.has(tool))
        return { kind: name === 'BeforeTool' ? 'pre_edit' : 'post_edit', tool, paths: editedFile(input) };
      if (tool === 'write_todos' && name === 'AfterTool') {
        const items = todoItems(input.todos);
        if (items !== undefined) return { kind: 'todo_list', items };
      }
      return { kind: 'ignored', name: `${name}:${tool}` };
    }
    default:
      return { kind: 'ignored', name };
  }
}

/** The event of a payload already parsed as a JSON object. */
export function parseEvent(agent: AgentName, payload: Json): ParsedEvent {
  const name = String(payload.hook_event_name ?? '');
  return {
    agent,
    name,
    conversation: parseConversation(agent, payload.session_id),
    cwd: text(payload.cwd),
    event: agent === 'gemini' ? gemini(name, payload) : claudeOrCodex(agent, name, payload),
  };
}
