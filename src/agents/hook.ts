import fs from 'node:fs';
import path from 'node:path';
import { withCoordinator } from '../coord/open.js';
import { describeFault } from '../core/errors.js';
import { clip } from '../core/next-step.js';
import { callerPid, SESSION_PRESENCE_TTL_MS } from '../session/announcements.js';
import {
  type AgentName,
  type BindResult,
  bindConversationIn,
  type Conversation,
  readIndexEntry,
  touchConversation,
  withConversation,
} from '../session/binding.js';
import {
  claimPath,
  claimSessionPaths,
  type PathConflict,
  pathConflicts,
  renewSessionClaims,
} from '../session/claims.js';
import {
  applySessionTask,
  endConversationSession,
  saveCheckpoint,
  syncSessionTodos,
} from '../session/state.js';
import { conversationSessionId } from '../session/target.js';
import { inTransaction } from '../session/transaction.js';
import { openProject, type ProjectContext } from '../store/project.js';
import { workspaceOf } from '../store/workspace.js';
import { contextMarkdown, contextSummary } from '../views/context-summary.js';
import { answerEditGuard, answerStart } from './answers.js';
import { type HookEvent, type ParsedEvent, parseEvent } from './events.js';
import { alreadyDecided, rememberAsked, rememberEdited } from './guard.js';
import { logHookFailure } from './log.js';

/**
 * `wfs hook claude|codex|gemini` (SPEC 7): one hook event of an agent on stdin, what the event
 * needs done to the conversation's session, and the answer the agent accepts on stdout. It never
 * fails the agent: whatever goes wrong is logged under `.workflow/logs/` and the answer is empty
 * (which every agent accepts), so the caller always exits 0. Without a `.workflow/` in reach it
 * does nothing at all.
 */

export interface HookInput {
  agent: AgentName;
  stdin: Buffer;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The largest event read: a Write of a big file carries the file twice (its content and the patch). */
export const HOOK_STDIN_MAX_BYTES = 32 * 1024 * 1024;

/** What SPEC 7 allows a hook's context to be; the summary itself stays far below (~1,500 tokens). */
export const CONTEXT_MAX_CHARS = 9_500;

// A sign of life is a coordination write: once a minute is plenty for a 30-minute TTL, and hooks
// run on every prompt and turn.
const SIGN_OF_LIFE_EVERY_MS = 60_000;

function exists(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where the agent says its project is, in its hooks' environment (Claude Code `CLAUDE_PROJECT_DIR`,
 * Gemini CLI `GEMINI_PROJECT_DIR`); Codex names none.
 */
const PROJECT_DIR_VARIABLE: Record<AgentName, string | undefined> = {
  claude: 'CLAUDE_PROJECT_DIR',
  gemini: 'GEMINI_PROJECT_DIR',
  codex: undefined,
};

/**
 * The project the event is about: where the agent works (its `cwd`), else the agent's project
 * folder, else where the hook runs; the first of them that holds a wfs project. The event's `cwd`
 * follows the agent when it moves into a git worktree of its project (Claude Code's
 * `.claude/worktrees/<name>`, a sibling `../wt-<name>`), which has no `.workflow/` of its own
 * unless one was made there; the project variable stays where the agent was started. Taken only
 * when the `cwd` has no project: a worktree with a `.workflow/` is a workspace of its own.
 */
function projectOf(parsed: ParsedEvent | undefined, input: HookInput): ProjectContext | undefined {
  const variable = PROJECT_DIR_VARIABLE[input.agent];
  const candidates = [parsed?.cwd, variable === undefined ? undefined : input.env[variable], input.cwd];
  for (const cwd of candidates) {
    if (cwd === undefined || !path.isAbsolute(cwd) || !exists(cwd)) continue;
    try {
      const ctx = openProject({ cwd, env: input.env });
      if (exists(ctx.layout.workflowDir)) return ctx;
    } catch {
      // A root that cannot be resolved (WFS_ROOT not a folder): no project of this candidate.
    }
  }
  return undefined;
}

/** The process that stands for the conversation in presence: the agent's, where it says (Claude Code). */
function agentPid(env: NodeJS.ProcessEnv): number {
  const pid = Number(env.CLAUDE_PID);
  return Number.isInteger(pid) && pid > 0 ? pid : callerPid();
}

export async function runHook(input: HookInput): Promise<string> {
  let parsed: ParsedEvent | undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(input.stdin.toString('utf8'));
  } catch {
    payload = undefined;
  }
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload))
    parsed = parseEvent(input.agent, payload as Record<string, unknown>);
  const ctx = projectOf(parsed, input);
  if (ctx === undefined) return '';
  if (parsed === undefined) {
    logHookFailure(ctx.layout, input.agent, '-', 'the event on stdin is not a JSON object');
    return '';
  }
  if (parsed.conversation === undefined || parsed.event.kind === 'ignored') return '';
  try {
    return await handle(withConversation(ctx, parsed.conversation), parsed, parsed.conversation, input);
  } catch (error) {
    logHookFailure(ctx.layout, input.agent, parsed.name, describeFault(error));
    return '';
  }
}

/**
 * The session the hook acts on: `$WFS_SESSION_ID` when the agent runs inside `wfs exec`, else the
 * conversation's own; unbound, it is bound to the active session when that one is free (a
 * conversation whose session was started from a Codex shell, which names no conversation).
 */
async function sessionOf(ctx: ProjectContext, conversation: Conversation): Promise<string | undefined> {
  if (ctx.env.WFS_SESSION_ID) return ctx.env.WFS_SESSION_ID;
  const bound = conversationSessionId(ctx);
  if (bound !== undefined) return bound;
  const result = await inTransaction(ctx, (tx) => bindConversationIn(tx, conversation));
  return result.session_id ?? undefined;
}

/** A sign of life of the conversation and its session: presence, and its claims renewed. */
async function signOfLife(
  ctx: ProjectContext,
  conversation: Conversation,
  session: string,
  input: HookInput,
): Promise<void> {
  const now = ctx.clock();
  const entry = readIndexEntry(ctx.layout, conversation);
  if (entry !== undefined && now.getTime() - entry.seen_at < SIGN_OF_LIFE_EVERY_MS) return;
  touchConversation(ctx.layout, conversation, now);
  const workspace = workspaceOf(ctx.layout);
  await withCoordinator(ctx, (c) =>
    c.batch(async () => {
      await c.heartbeat({ session, workspace, ttlMs: SESSION_PRESENCE_TTL_MS, pid: agentPid(input.env) });
      await renewSessionClaims(c, session, workspace);
    }),
  );
}

async function handle(
  ctx: ProjectContext,
  parsed: ParsedEvent,
  conversation: Conversation,
  input: HookInput,
): Promise<string> {
  const event: HookEvent = parsed.event;
  switch (event.kind) {
    case 'start':
      return start(ctx, parsed, conversation);
    case 'prompt':
    case 'stop': {
      const session = await sessionOf(ctx, conversation);
      if (session !== undefined) await signOfLife(ctx, conversation, session, input);
      return '';
    }
    case 'pre_edit':
      return preEdit(ctx, parsed, event, conversation);
    case 'post_edit': {
      const session = await sessionOf(ctx, conversation);
      const paths = insideProject(ctx, event.paths, parsed.cwd);
      if (session === undefined || paths.length === 0) return '';
      rememberEdited(ctx.layout, conversation, paths, ctx.clock().getTime());
      // The paths are the project's already (relative to the worktree that holds each).
      await claimSessionPaths(ctx, { paths, session, cwd: ctx.layout.root });
      return '';
    }
    case 'todo_list': {
      const session = await sessionOf(ctx, conversation);
      if (session !== undefined) await syncSessionTodos(ctx, event.items, session);
      return '';
    }
    case 'task': {
      const session = await sessionOf(ctx, conversation);
      if (session === undefined) return '';
      const key = `${conversation.agent}:${conversation.conversation_id}:${event.taskId}`;
      await applySessionTask(ctx, { ...event.change, key }, session);
      return '';
    }
    case 'compact': {
      // Gemini CLI fires PreCompress with trigger "auto" before every model call, compressing or
      // not: only a compression asked for is one there.
      if (parsed.agent === 'gemini' && event.trigger !== 'manual') return '';
      const session = await sessionOf(ctx, conversation);
      if (session === undefined) return '';
      await saveCheckpoint(ctx, {
        trigger: 'compact',
        session,
        data: {
          agent: parsed.agent,
          conversation_id: conversation.conversation_id,
          compaction: event.trigger,
          ...(event.instructions === null ? {} : { instructions: clip(event.instructions, 500) }),
        },
      });
      return '';
    }
    case 'end':
      await end(ctx, parsed, event.reason, conversation);
      return '';
    case 'ignored':
      return '';
  }
}

async function start(ctx: ProjectContext, parsed: ParsedEvent, conversation: Conversation): Promise<string> {
  let bind: BindResult | undefined;
  const kept = ctx.env.WFS_SESSION_ID ? undefined : conversationSessionId(ctx);
  if (kept !== undefined) {
    // Bound already and not ended (a compaction, a clear's successor is new): no lock to take.
    touchConversation(ctx.layout, conversation, ctx.clock());
    bind = { conversation, session_id: kept, status: 'kept', warnings: [] };
  } else if (!ctx.env.WFS_SESSION_ID)
    bind = await inTransaction(ctx, (tx) => bindConversationIn(tx, conversation));
  const session = ctx.env.WFS_SESSION_ID || bind?.session_id;
  // The summary is the session's heartbeat too (views/context-summary.ts): the start needs no other.
  const summary = await contextSummary(ctx);
  return answerStart(parsed, {
    bind,
    session: session || null,
    context: contextMarkdown(summary),
    maxChars: CONTEXT_MAX_CHARS,
  });
}

/** The paths of an edit that lie inside the project, relative to its root; others are not ours to guard. */
function insideProject(ctx: ProjectContext, paths: readonly string[], cwd: string | undefined): string[] {
  const inside: string[] = [];
  for (const p of paths) {
    try {
      inside.push(claimPath(ctx, p, cwd));
    } catch {
      // outside the project: no claim of any session can cover it
    }
  }
  return [...new Set(inside)];
}

/**
 * Before an edit (SPEC 7): the paths another live session claims (or has edited) are reported to
 * the agent, which asks its person (Codex, which cannot ask, refuses once); a path nobody else
 * claims becomes this session's claim.
 */
async function preEdit(
  ctx: ProjectContext,
  parsed: ParsedEvent,
  event: Extract<HookEvent, { kind: 'pre_edit' }>,
  conversation: Conversation,
): Promise<string> {
  const paths = insideProject(ctx, event.paths, parsed.cwd);
  if (paths.length === 0) return '';
  const session = await sessionOf(ctx, conversation);
  const conflicts: PathConflict[] = await pathConflicts(ctx, {
    paths,
    session: session ?? null,
    cwd: ctx.layout.root,
  });
  const now = ctx.clock().getTime();
  if (conflicts.length > 0) {
    const mine = [...new Set(conflicts.map((c) => c.ours))];
    if (!alreadyDecided(ctx.layout, conversation, mine, now, parsed.agent === 'codex')) {
      rememberAsked(ctx.layout, conversation, mine, now);
      return answerEditGuard(parsed, conflicts, session ?? null);
    }
  }
  if (session !== undefined) await claimSessionPaths(ctx, { paths, session, cwd: ctx.layout.root });
  return '';
}

/** The end of a conversation: a `session_end` checkpoint, its binding ended, and its presence too when it was the last. */
async function end(
  ctx: ProjectContext,
  parsed: ParsedEvent,
  reason: string,
  conversation: Conversation,
): Promise<void> {
  const done = await endConversationSession(ctx, {
    conversation,
    data: { agent: parsed.agent, conversation_id: conversation.conversation_id, reason },
  });
  const ended = done?.ended;
  if (ended !== undefined && ended.session_id !== null && ended.others_live === 0) {
    const session = ended.session_id;
    await withCoordinator(ctx, (c) => c.leave(session, workspaceOf(ctx.layout)));
  }
}
