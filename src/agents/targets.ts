import os from 'node:os';
import path from 'node:path';
import type { AgentName } from '../session/binding.js';
import { AGENT_TITLES } from './answers.js';
import { blockMarkers } from './edits.js';

/**
 * What `wfs install AGENT` gives each agent (SPEC 7), and where, by scope:
 * - `personal` (the default): the project's files only this person uses where the agent has them
 *   (Claude Code's settings.local.json and CLAUDE.local.md); Codex and Gemini CLI have no personal
 *   project files, so there it is the project's own files, as with `shared`;
 * - `shared`: the files a team commits (.claude/settings.json, .mcp.json, CLAUDE.md, .codex/,
 *   AGENTS.md, .gemini/settings.json, GEMINI.md);
 * - `user`: the user's own configuration in their home folder (Claude Code's user MCP servers only
 *   through `claude mcp add --scope user`: ~/.claude.json is never edited by hand).
 */

export type Scope = 'personal' | 'shared' | 'user';

export interface HookGroup {
  matcher?: string;
  hooks: Record<string, unknown>[];
}

export type Piece =
  /** One hook group of wfs per event in a JSON file of hooks (`{"hooks": {Event: [groups]}}`). */
  | { kind: 'hooks'; file: string; groups: Record<string, HookGroup> }
  /** A value of wfs at a path of a JSON file (`mcpServers.wfs`). */
  | { kind: 'json-value'; file: string; path: string[]; value: unknown; what: string }
  /** An item in an array of a JSON file (`enabledMcpjsonServers: ["wfs"]`). */
  | { kind: 'json-item'; file: string; path: string[]; value: string; what: string }
  /** A table of wfs in a TOML file (`[mcp_servers.wfs]`). */
  | { kind: 'toml-table'; file: string; name: string; values: Record<string, string | string[]> }
  /** The agent's instructions block in a Markdown file (its markers name the agent). */
  | { kind: 'block'; file: string; agent: AgentName; text: string }
  /** A command of the agent's own that installs something (and the one that removes it). */
  | { kind: 'command'; argv: string[]; undo: string[]; what: string };

export interface Plan {
  agent: AgentName;
  scope: Scope;
  guard: boolean;
  pieces: Piece[];
  /** What the person must know after the install (a trust step, a shared file). */
  notes: string[];
  /**
   * The files of the plan only this person uses, in the project: kept out of git by the install
   * (agents/exclude.ts). Codex and Gemini CLI have none: their project files are the team's.
   */
  personal: string[];
}

/** The command every hook runs: `wfs` on PATH (wfs doctor says when it is not). */
export function hookCommand(agent: AgentName): string {
  return `wfs hook ${agent}`;
}

/** Whether a hook group is one wfs wrote (every hook in it runs `wfs hook ...`). */
export function isWfsGroup(group: unknown): boolean {
  const hooks = (group as { hooks?: unknown })?.hooks;
  return (
    Array.isArray(hooks) &&
    hooks.length > 0 &&
    hooks.every((h) =>
      /^wfs hook (claude|codex|gemini)(\s|$)/.test(String((h as { command?: unknown })?.command)),
    )
  );
}

export const MCP_SERVER = { command: 'wfs', args: ['mcp'] };

function instructions(agent: AgentName, eol = '\n'): string {
  const todo =
    agent === 'claude'
      ? 'Your todo tool (TodoWrite, or TaskCreate/TaskUpdate) is copied into the session; `wfs_todos` (or `wfs todo`) reads and changes it.'
      : agent === 'gemini'
        ? 'Your write_todos list is copied into the session; `wfs_todos` (or `wfs todo`) reads and changes it.'
        : 'Keep the todos in the session with `wfs_todos` (or `wfs todo`); pass the session ID the hook names to wfs commands.';
  const { begin, end } = blockMarkers(agent);
  // The heading names the agent: where two agents read one file, each finds which block is its.
  return [
    begin,
    `## wfs (${AGENT_TITLES[agent]}): this project keeps its work in sessions`,
    '',
    'wfs keeps each task as a session in `.workflow/` (phase, todos, checkpoints) and keeps parallel sessions from colliding. Its hooks bind this conversation to a session and give its context at the start; its MCP tools (`wfs_*`) and the `wfs` command act on that session.',
    '',
    '- No session yet: `wfs_session` with action start (or `wfs session start --auto "TASK"`).',
    `- ${todo}`,
    '- Record progress: `wfs_phase` (PLAN, IMPLEMENT, REVIEW) and `wfs_checkpoint`.',
    '- Before changing files another session may be changing: `wfs_claim` with action acquire and the paths; an edit of a file another live session claims is asked about first.',
    '- `wfs_context` tells what this session and the others are doing.',
    end,
    '',
  ].join(eol);
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

function claudeHooks(guard: boolean): Record<string, HookGroup> {
  const hook = { type: 'command', command: hookCommand('claude'), timeout: 10 };
  const edits = 'Edit|Write|MultiEdit|NotebookEdit';
  return {
    SessionStart: { hooks: [hook] },
    UserPromptSubmit: { hooks: [hook] },
    ...(guard ? { PreToolUse: { matcher: edits, hooks: [hook] } } : {}),
    PostToolUse: { matcher: `TodoWrite|TaskCreate|TaskUpdate${guard ? `|${edits}` : ''}`, hooks: [hook] },
    PreCompact: { hooks: [hook] },
    Stop: { hooks: [hook] },
    // SessionEnd hooks share 1.5 s unless given a timeout of their own: the checkpoint needs its own.
    SessionEnd: { hooks: [hook] },
  };
}

function codexHooks(guard: boolean): Record<string, HookGroup> {
  const hook = { type: 'command', command: hookCommand('codex') };
  return {
    SessionStart: { hooks: [hook] },
    UserPromptSubmit: { hooks: [hook] },
    ...(guard
      ? {
          PreToolUse: { matcher: 'apply_patch', hooks: [hook] },
          PostToolUse: { matcher: 'apply_patch', hooks: [hook] },
        }
      : {}),
    PreCompact: { hooks: [hook] },
    Stop: { hooks: [hook] },
    SessionEnd: { hooks: [hook] },
  };
}

function geminiHooks(guard: boolean): Record<string, HookGroup> {
  // Gemini CLI wants a name on each hook and its timeout in milliseconds.
  const hook = (event: string) => ({
    name: `wfs-${event}`,
    type: 'command',
    command: hookCommand('gemini'),
    timeout: 10_000,
  });
  const edits = 'replace|write_file';
  return {
    SessionStart: { hooks: [hook('SessionStart')] },
    BeforeAgent: { hooks: [hook('BeforeAgent')] },
    ...(guard ? { BeforeTool: { matcher: edits, hooks: [hook('BeforeTool')] } } : {}),
    AfterTool: { matcher: `write_todos${guard ? `|${edits}` : ''}`, hooks: [hook('AfterTool')] },
    AfterAgent: { hooks: [hook('AfterAgent')] },
    PreCompress: { hooks: [hook('PreCompress')] },
    SessionEnd: { hooks: [hook('SessionEnd')] },
  };
}

export function planFor(
  agent: AgentName,
  scope: Scope,
  options: { root: string; env: NodeJS.ProcessEnv; guard: boolean },
): Plan {
  const { root, env, guard } = options;
  const at = (...parts: string[]) => path.join(root, ...parts);
  const userHome = home(env);
  const notes: string[] = [];
  const pieces: Piece[] = [];
  const personal: string[] = [];
  if (agent === 'claude') {
    const settings =
      scope === 'user'
        ? path.join(userHome, '.claude', 'settings.json')
        : at('.claude', scope === 'shared' ? 'settings.json' : 'settings.local.json');
    pieces.push({ kind: 'hooks', file: settings, groups: claudeHooks(guard) });
    if (scope === 'user') {
      pieces.push({
        kind: 'command',
        argv: ['claude', 'mcp', 'add', '--scope', 'user', 'wfs', '--', 'wfs', 'mcp'],
        undo: ['claude', 'mcp', 'remove', '--scope', 'user', 'wfs'],
        what: 'the user MCP server wfs (claude mcp add --scope user)',
      });
    } else {
      pieces.push({
        kind: 'json-value',
        file: at('.mcp.json'),
        path: ['mcpServers', 'wfs'],
        value: { type: 'stdio', ...MCP_SERVER },
        what: 'mcpServers.wfs',
      });
      // Claude Code asks before it starts a project's MCP server; the person installing wfs said yes.
      pieces.push({
        kind: 'json-item',
        file: settings,
        path: ['enabledMcpjsonServers'],
        value: 'wfs',
        what: 'enabledMcpjsonServers wfs',
      });
      if (scope === 'personal')
        notes.push(
          ".mcp.json is the project's file (Claude Code reads a project's MCP servers only there): wfs added its own mcpServers.wfs entry and nothing else.",
        );
    }
    pieces.push({
      kind: 'json-item',
      file: settings,
      path: ['permissions', 'allow'],
      value: 'mcp__wfs',
      what: 'permissions.allow mcp__wfs',
    });
    const memory =
      scope === 'user'
        ? path.join(userHome, '.claude', 'CLAUDE.md')
        : at(scope === 'shared' ? 'CLAUDE.md' : 'CLAUDE.local.md');
    pieces.push({ kind: 'block', file: memory, agent, text: instructions(agent) });
    if (scope === 'personal') personal.push(settings, memory);
  } else if (agent === 'codex') {
    const codexHome = scope === 'user' ? env.CODEX_HOME || path.join(userHome, '.codex') : at('.codex');
    pieces.push({ kind: 'hooks', file: path.join(codexHome, 'hooks.json'), groups: codexHooks(guard) });
    pieces.push({
      kind: 'toml-table',
      file: path.join(codexHome, 'config.toml'),
      name: 'mcp_servers.wfs',
      values: MCP_SERVER,
    });
    pieces.push({
      kind: 'block',
      file: scope === 'user' ? path.join(codexHome, 'AGENTS.md') : at('AGENTS.md'),
      agent,
      text: instructions(agent),
    });
    notes.push('Codex runs hooks only once they are trusted: open /hooks in Codex and trust the wfs hooks.');
    if (scope !== 'user')
      notes.push(
        "Codex reads the project's .codex/config.toml (the wfs MCP server) only in a trusted project; Codex has no personal project files, so these are the project's.",
      );
  } else {
    const settings =
      scope === 'user' ? path.join(userHome, '.gemini', 'settings.json') : at('.gemini', 'settings.json');
    pieces.push({ kind: 'hooks', file: settings, groups: geminiHooks(guard) });
    pieces.push({
      kind: 'json-value',
      file: settings,
      path: ['mcpServers', 'wfs'],
      value: MCP_SERVER,
      what: 'mcpServers.wfs',
    });
    pieces.push({
      kind: 'block',
      file: scope === 'user' ? path.join(userHome, '.gemini', 'GEMINI.md') : at('GEMINI.md'),
      agent,
      text: instructions(agent),
    });
    if (scope !== 'user')
      notes.push(
        "Gemini CLI has no personal project files: .gemini/settings.json and GEMINI.md are the project's.",
      );
  }
  return { agent, scope, guard, pieces, notes, personal };
}
