import fs from 'node:fs';
import { memberOf } from '../coord/entries.js';
import { coordinationSettings, identityOf, withCoordinator } from '../coord/open.js';
import type { Workspace } from '../coord/types.js';
import { errnoCode, faultFromSystemError, isWfsError } from '../core/errors.js';
import { clip, nextStep, TODO_CHARS } from '../core/next-step.js';
import type { Phase, SessionState, Todo } from '../core/session.js';
import { countTodos, todosOf } from '../core/todos.js';
import { callerPid, SESSION_PRESENCE_TTL_MS } from '../session/announcements.js';
import { callingConversation, isLive, listIndexEntries } from '../session/binding.js';
import { readTarget, requestedSession } from '../session/target.js';
import type { ProjectContext } from '../store/project.js';
import { listSessionFolders } from '../store/session-files.js';
import { workspaceOf } from '../store/workspace.js';
import { unfinishedRuns } from '../workflow/runs.js';

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
    /** Workflow runs of this session that neither completed nor failed: `wfs run NAME` resumes one. */
    unfinished_runs: ReturnType<typeof unfinishedRuns>;
  };
  open_sessions: number;
  /** The live agent conversations of this workspace and their sessions (SPEC 2); `you`: the caller. */
  conversations: { agent: string; conversation_id: string; session: string; seen_at: string; you: boolean }[];
  coordination: CoordinationView;
  next_step: string;
  warnings: string[];
}

/** What other sessions are doing, as far as the coordination backend knows (SPEC 5). */
export interface CoordinationView {
  /** `unknown` when the settings themselves cannot be read (a damaged config.json). */
  backend: 'local' | 'redis' | 'unknown';
  location: string | null;
  project_id: string;
  project_id_source: string;
  /** false when the backend could not be reached: `error` says why, the lists are empty. */
  reachable: boolean;
  error?: string;
  /** This workspace (SPEC 2: a session in coordination is its ID in its workspace). */
  workspace?: Workspace;
  other_live_sessions: {
    session: string;
    /** Where it works: another worktree or clone (its folder's name), or this one. */
    workspace?: Workspace;
    host: string;
    pid: number;
    heartbeat_at: string;
  }[];
  locks: {
    name: string;
    session: string | null;
    workspace?: Workspace;
    host: string;
    pid: number;
    fence: number;
    expires_at: string;
  }[];
  recent_events: { id: number; type: string; at: string; session: string | null; workspace?: Workspace }[];
  /** Live sessions' path claims, other than this session's (at most a few paths each). */
  claims: { session: string; workspace?: Workspace; paths: string[]; expires_at: string }[];
}

// At most this many of each, so the summary stays short however busy the project is.
const LIVE_SHOWN = 8;
const LOCKS_SHOWN = 8;
const EVENTS_SHOWN = 8;
const CLAIMS_SHOWN = 8;
const PATHS_SHOWN = 5;
const CONVERSATIONS_SHOWN = 8;

/** The live conversations of this workspace (their index entries), the caller's first. */
function liveConversations(ctx: ProjectContext): ContextSummary['conversations'] {
  const caller = callingConversation(ctx.env);
  const now = ctx.clock().getTime();
  return listIndexEntries(ctx.layout)
    .filter((entry) => isLive(entry, now))
    .map((entry) => ({
      agent: entry.agent,
      conversation_id: entry.conversation_id,
      session: entry.session_id,
      seen_at: new Date(entry.seen_at).toISOString(),
      you: caller?.agent === entry.agent && caller.conversation_id === entry.conversation_id,
    }))
    .sort((a, b) => Number(b.you) - Number(a.you) || (a.seen_at < b.seen_at ? 1 : -1))
    .slice(0, CONVERSATIONS_SHOWN);
}

/**
 * The coordination part of the summary. Also the active session's heartbeat: an agent runs
 * `wfs context` every turn, which is what keeps its session among the live ones. A backend that
 * cannot be reached is shown as such, with a warning; the rest of the summary does not depend on it.
 */
async function coordinationView(
  ctx: ProjectContext,
  activeId: string | null,
  warnings: string[],
): Promise<CoordinationView> {
  let settings: ReturnType<typeof coordinationSettings>;
  let identity: ReturnType<typeof identityOf>;
  try {
    settings = coordinationSettings(ctx);
    identity = identityOf(ctx);
  } catch (error) {
    // A typo in config.json must not cost an agent its turn-start context: the session part is
    // shown, the coordination part says why it is not.
    const known = isWfsError(error) ? error : faultFromSystemError(error);
    if (known === undefined) throw error;
    warnings.push(`Coordination is not shown: ${known.message}`);
    return {
      backend: 'unknown',
      location: null,
      project_id: '',
      project_id_source: '',
      reachable: false,
      error: known.message,
      other_live_sessions: [],
      locks: [],
      recent_events: [],
      claims: [],
    };
  }
  const workspace = workspaceOf(ctx.layout);
  const view: CoordinationView = {
    workspace,
    backend: settings.backend,
    location: null,
    project_id: identity.id,
    project_id_source: identity.source,
    reachable: true,
    other_live_sessions: [],
    locks: [],
    recent_events: [],
    claims: [],
  };
  try {
    await withCoordinator(ctx, async (c) => {
      view.location = c.location;
      warnings.push(...((await c.diagnose?.()) ?? []));
      const self = (p: { session: string | null; workspace?: Workspace }) =>
        p.session === activeId && (p.workspace?.id ?? workspace.id) === workspace.id;
      const claims = (await c.listClaims()).filter((claim) => !self(claim));
      // Only what is shown: never a read of every live session's record (thousands on a busy Redis
      // or folder). One more than shown, in case this session is among them.
      const live = await c.presenceView({
        limit: LIVE_SHOWN + 1,
        members: [...(activeId === null ? [] : [{ session: activeId, workspace }]), ...claims],
      });
      const ours = live.members.find(self);
      // A heartbeat is a write under the coordination lock: once a minute is plenty for a
      // 30-minute TTL, and an agent may run this before every action.
      if (
        activeId !== null &&
        (ours === undefined || ours.expires_at - Date.now() < SESSION_PRESENCE_TTL_MS - 60_000)
      )
        await c.heartbeat({ session: activeId, workspace, ttlMs: SESSION_PRESENCE_TTL_MS, pid: callerPid() });
      view.other_live_sessions = live.sessions
        .filter((p) => !self(p))
        .slice(0, LIVE_SHOWN)
        .map(({ session, workspace: where, host, pid, heartbeat_at }) => ({
          session,
          ...(where ? { workspace: where } : {}),
          host,
          pid,
          heartbeat_at,
        }));
      view.locks = (await c.list()).slice(0, LOCKS_SHOWN).map((l) => ({
        name: l.name,
        session: l.holder.session,
        ...(l.holder.workspace ? { workspace: l.holder.workspace } : {}),
        host: l.holder.host,
        pid: l.holder.pid,
        fence: l.fence,
        expires_at: new Date(l.expiresAt).toISOString(),
      }));
      const liveMembers = new Set(live.members.map((p) => memberOf(p.session, p.workspace)));
      view.claims = claims
        .filter((claim) => liveMembers.has(memberOf(claim.session, claim.workspace)))
        .slice(0, CLAIMS_SHOWN)
        .map((claim) => ({
          session: claim.session,
          ...(claim.workspace ? { workspace: claim.workspace } : {}),
          paths: claim.paths.slice(0, PATHS_SHOWN),
          expires_at: new Date(claim.expires_at).toISOString(),
        }));
      view.recent_events = (await c.readEvents({ limit: EVENTS_SHOWN })).map(
        ({ id, type, at, session, workspace: where }) => ({
          id,
          type,
          at,
          session,
          ...(where ? { workspace: where } : {}),
        }),
      );
    });
  } catch (error) {
    // The summary is what an agent reads at the start of every turn: a backend that cannot be
    // used (unreachable, a refused password, a coordination folder that cannot be written) is
    // said in it, and the session part stands on its own.
    const known = isWfsError(error) ? error : faultFromSystemError(error);
    if (known === undefined) throw error;
    view.reachable = false;
    view.error = known.message;
    warnings.push(
      `Coordination backend ${known.code === 'E_UNREACHABLE' ? 'unreachable' : 'unusable'}: ${known.message}`,
    );
  }
  return view;
}

// Bounds that keep the summary within ~1,500 tokens (~6,000 characters) whatever the session holds.
const GOAL_CHARS = 600;
const TODOS_SHOWN = 12;

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

/** `wfs context`: the summary for the session SPEC 2's resolution gives (`session` names one). */
export async function contextSummary(
  ctx: ProjectContext,
  options: { session?: string } = {},
): Promise<ContextSummary> {
  const openSessions = fs.existsSync(ctx.layout.activeDir) ? countOpen(ctx) : 0;
  let read: Awaited<ReturnType<typeof readTarget>>;
  const early: string[] = [];
  try {
    read = await readTarget(ctx, options.session).catch((error: unknown) => {
      // The turn-start context of a command run for a session of another project (wfs exec with
      // --root elsewhere): that session is not here; this project's active session is shown.
      const fromEnv = options.session === undefined ? requestedSession(ctx) : undefined;
      if (!isWfsError(error) || error.code !== 'E_SESSION_NOT_FOUND' || fromEnv?.source !== 'WFS_SESSION_ID')
        throw error;
      early.push(
        `WFS_SESSION_ID names ${fromEnv.id}, which is not a session of ${ctx.layout.root}: the active session is shown`,
      );
      const { WFS_SESSION_ID: _unused, ...env } = ctx.env;
      return readTarget({ ...ctx, env });
    });
  } catch (error) {
    if ((error as { code?: string }).code !== 'E_NO_ACTIVE_SESSION') throw error;
    const warnings: string[] = [...early];
    return {
      root: ctx.layout.root,
      active_session: null,
      open_sessions: openSessions,
      conversations: liveConversations(ctx),
      coordination: await coordinationView(ctx, null, warnings),
      next_step:
        openSessions > 0
          ? 'No session is active: wfs session resume (the most recently paused), or wfs session start --auto "TASK"'
          : 'Start a session for the task: wfs session start --auto "TASK"',
      warnings,
    };
  }
  const { session } = read;
  const warnings = [...early, ...read.warnings];
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
      unfinished_runs: unfinishedRuns(session.dir),
    },
    open_sessions: openSessions,
    conversations: liveConversations(ctx),
    coordination: await coordinationView(ctx, session.id, warnings),
    next_step: nextStep(state, todos),
    warnings,
  };
}

function coordinationMarkdown(view: CoordinationView): string[] {
  if (view.backend === 'unknown') return ['', '## Other sessions', '', `- Not shown: ${view.error}`];
  const lines = ['', `## Other sessions (${view.backend} coordination, project ${view.project_id})`, ''];
  if (!view.reachable) return [...lines, `- Unreachable: ${view.error}`];
  if (view.other_live_sessions.length === 0) lines.push('- No other live session.');
  const where = (w: Workspace | undefined) =>
    w === undefined ? '' : w.id === view.workspace?.id ? ' in this workspace' : ` in ${w.name}`;
  for (const p of view.other_live_sessions)
    lines.push(
      `- Live: ${p.session}${where(p.workspace)} (pid ${p.pid} on ${p.host}, last seen ${p.heartbeat_at})`,
    );
  for (const claim of view.claims)
    lines.push(
      `- ${claim.session}${where(claim.workspace)} claims ${claim.paths.join(', ')} (until ${claim.expires_at})`,
    );
  for (const l of view.locks)
    lines.push(
      `- Lock ${l.name}: held by ${l.session ?? 'no session'}${where(l.workspace)} (pid ${l.pid} on ${l.host}) until ${l.expires_at}`,
    );
  if (view.recent_events.length > 0) {
    lines.push('- Recent events:');
    for (const e of view.recent_events)
      lines.push(`  - ${e.at} ${e.type} ${e.session ?? '-'}${where(e.workspace)}`);
  }
  return lines;
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
    for (const run of s.unfinished_runs)
      lines.push(
        `- Unfinished workflow run: ${run.workflow} ${run.run_id} (${run.status} at ${run.updated_at}; done: ${run.completed_steps.join(', ') || 'nothing'}): wfs run ${run.workflow} resumes it`,
      );
  }
  if (summary.open_sessions > (s === null ? 0 : 1))
    lines.push(`- Other open sessions: ${summary.open_sessions - (s === null ? 0 : 1)} (wfs session list)`);
  const others = summary.conversations.filter((c) => !c.you);
  if (others.length > 0) {
    lines.push('- Agent conversations in this workspace:');
    for (const c of summary.conversations)
      lines.push(
        `  - ${c.agent} ${c.conversation_id}${c.you ? ' (this one)' : ''} on ${c.session}, last seen ${c.seen_at}`,
      );
  }
  lines.push(...coordinationMarkdown(summary.coordination));
  lines.push('', `Next step: ${summary.next_step}`, '');
  return lines.join('\n');
}
