import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { ConversationBinding, SessionState } from '../core/session.js';
import { removeFileIfExists, writeFileAtomic } from '../store/atomic.js';
import type { Layout } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import { type LoadedSession, listSessionFolders, readSessionAt } from '../store/session-files.js';
import type { SessionTransaction } from './transaction.js';

/**
 * Agent conversations bound to sessions (SPEC 2). A Claude Code, Codex or Gemini CLI conversation
 * (`{agent, conversation_id}`) works on one session at a time; the session it is bound to is the one
 * its commands, MCP calls and hooks act on, whatever else is active, so three agents on one
 * repository each keep to their own session.
 *
 * The truth is the session's state (`conversations[]` in workflow-session.json, saved under the
 * project lock like every change). Hooks run on every prompt and tool call and must find their
 * session without the lock, so each conversation also has a small index file,
 * `.workflow/.conversations/<agent>.<conversation_id>.json`, naming its session; the index is
 * written after the state and checked against it by whoever loads the session, so a stale index
 * entry (a crash between the two writes, a session archived since) binds nothing. The index file's
 * modification time is the conversation's last sign of life (its hooks touch it), which tells a
 * live conversation from one that went away without saying so.
 */

export const AGENTS = ['claude', 'codex', 'gemini'] as const;
export type AgentName = (typeof AGENTS)[number];

export interface Conversation {
  agent: AgentName;
  conversation_id: string;
}

/** Conversation IDs are UUIDs in practice; anything that could leave the index folder is refused. */
const CONVERSATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A conversation named by an agent and an ID, or undefined when either is not one wfs accepts. */
export function parseConversation(agent: unknown, id: unknown): Conversation | undefined {
  if (typeof agent !== 'string' || !(AGENTS as readonly string[]).includes(agent)) return undefined;
  if (typeof id !== 'string' || !CONVERSATION_ID.test(id) || id.includes('..')) return undefined;
  return { agent: agent as AgentName, conversation_id: id };
}

/**
 * The conversation a process runs for, from its environment: `WFS_CONVERSATION` (`agent:id`, which
 * `wfs hook` sets for itself from the event, and which a person may set), else the variables the
 * agents set for their commands and MCP servers (Claude Code `CLAUDE_CODE_SESSION_ID`, Gemini CLI
 * `GEMINI_SESSION_ID`). Codex sets none: its conversations are known to wfs through its hooks only.
 */
export function callingConversation(env: NodeJS.ProcessEnv): Conversation | undefined {
  const named = env.WFS_CONVERSATION;
  if (named) {
    const colon = named.indexOf(':');
    return colon < 0 ? undefined : parseConversation(named.slice(0, colon), named.slice(colon + 1));
  }
  if (env.CLAUDE_CODE_SESSION_ID) return parseConversation('claude', env.CLAUDE_CODE_SESSION_ID);
  if (env.GEMINI_SESSION_ID) return parseConversation('gemini', env.GEMINI_SESSION_ID);
  return undefined;
}

/** The project as seen by a conversation (a hook names it from its event). */
export function withConversation(ctx: ProjectContext, conversation: Conversation): ProjectContext {
  return {
    ...ctx,
    env: { ...ctx.env, WFS_CONVERSATION: `${conversation.agent}:${conversation.conversation_id}` },
  };
}

export function describeConversation(c: Conversation): string {
  return `${c.agent} conversation ${c.conversation_id}`;
}

function sameConversation(a: Conversation, b: Conversation): boolean {
  return a.agent === b.agent && a.conversation_id === b.conversation_id;
}

// ---------------------------------------------------------------- the index

export function conversationsDir(layout: Layout): string {
  return path.join(layout.workflowDir, '.conversations');
}

function indexFile(layout: Layout, c: Conversation): string {
  return path.join(conversationsDir(layout), `${c.agent}.${c.conversation_id}.json`);
}

export interface IndexEntry extends Conversation {
  session_id: string;
  bound_at: string;
  ended_at: string | null;
  /** Epoch milliseconds of the last sign of life (the file's modification time). */
  seen_at: number;
}

function parseEntry(text: string, seenAt: number): IndexEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<IndexEntry>;
    const conversation = parseConversation(value.agent, value.conversation_id);
    if (conversation === undefined || typeof value.session_id !== 'string') return undefined;
    return {
      ...conversation,
      session_id: value.session_id,
      bound_at: String(value.bound_at ?? ''),
      ended_at: typeof value.ended_at === 'string' ? value.ended_at : null,
      seen_at: seenAt,
    };
  } catch {
    return undefined;
  }
}

/** The index entry of a conversation, read without any lock; undefined when none (or unreadable). */
export function readIndexEntry(layout: Layout, c: Conversation): IndexEntry | undefined {
  let fd: number;
  try {
    // O_NOFOLLOW: a link planted at the index's name is no entry of ours.
    fd = fs.openSync(indexFile(layout, c), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const seen = fs.fstatSync(fd).mtimeMs;
    return parseEntry(fs.readFileSync(fd, 'utf8'), seen);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function writeIndexEntry(layout: Layout, entry: Omit<IndexEntry, 'seen_at'>): void {
  const { agent, conversation_id, session_id, bound_at, ended_at } = entry;
  ensureDirectory(conversationsDir(layout));
  // Not fsynced: the index is rebuilt from the sessions' states (the truth) whenever it misses.
  writeFileAtomic(
    indexFile(layout, entry),
    `${JSON.stringify({ agent, conversation_id, session_id, bound_at, ended_at })}\n`,
    { durable: false },
  );
}

/**
 * How long a conversation counts as live after its last sign of life: as long as a session's
 * presence (SESSION_PRESENCE_TTL_MS, whose module announces and so cannot be imported here).
 */
export const CONVERSATION_TTL_MS = 30 * 60 * 1000;

export function isLive(entry: IndexEntry, now: number): boolean {
  return entry.ended_at === null && now - entry.seen_at < CONVERSATION_TTL_MS;
}

/**
 * A sign of life of the conversation (its hooks give one on prompts, stops and tool calls): the
 * index file's times, set without rewriting it (lutimes: never through a link). Returns false when
 * the conversation has no index entry.
 */
export function touchConversation(layout: Layout, c: Conversation, now: Date): boolean {
  try {
    fs.lutimesSync(indexFile(layout, c), now, now);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Every index entry (for `wfs context` and the doctor), unreadable ones left out. */
export function listIndexEntries(layout: Layout): IndexEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(conversationsDir(layout));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const entries: IndexEntry[] = [];
  for (const name of names) {
    const match = /^([a-z]+)\.(.+)\.json$/.exec(name);
    const conversation = match ? parseConversation(match[1], match[2]) : undefined;
    if (conversation === undefined) continue;
    const entry = readIndexEntry(layout, conversation);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

// ---------------------------------------------------------------- the bindings in a session's state

function bindingsOf(state: SessionState): ConversationBinding[] {
  return state.conversations ?? [];
}

/** Whether the session's state lists the conversation (ended or not). */
export function listsConversation(state: SessionState, c: Conversation): boolean {
  return bindingsOf(state).some((b) => sameConversation(b as Conversation, c));
}

/** Sessions a conversation may be bound to: open ones (an archived or completed one takes no new work). */
function isOpen(session: LoadedSession): boolean {
  return (
    session.location === 'active' && (session.state.status === 'active' || session.state.status === 'paused')
  );
}

/**
 * The live conversations bound to a session, other than `except`: listed in its state, not ended,
 * their index naming this session, and a sign of life within the TTL.
 */
export function liveConversationsOn(
  layout: Layout,
  state: SessionState,
  now: number,
  except?: Conversation,
): IndexEntry[] {
  const live: IndexEntry[] = [];
  for (const binding of bindingsOf(state)) {
    if (binding.ended_at != null) continue;
    const c = parseConversation(binding.agent, binding.conversation_id);
    if (c === undefined || (except !== undefined && sameConversation(c, except))) continue;
    const entry = readIndexEntry(layout, c);
    if (entry !== undefined && entry.session_id === state.session_id && isLive(entry, now)) live.push(entry);
  }
  return live;
}

/** At most this many ended bindings are kept in a state: /clear and forks make new conversations. */
const ENDED_KEPT = 20;

function withBindings(state: SessionState, bindings: ConversationBinding[]): SessionState {
  const open = bindings.filter((b) => b.ended_at == null);
  const ended = bindings.filter((b) => b.ended_at != null).slice(-ENDED_KEPT);
  const kept = new Set([...open, ...ended]);
  return { ...state, conversations: bindings.filter((b) => kept.has(b)) };
}

function bound(state: SessionState, c: Conversation, now: string): SessionState {
  const others = bindingsOf(state).filter((b) => !sameConversation(b as Conversation, c));
  return withBindings(state, [
    ...others,
    { agent: c.agent, conversation_id: c.conversation_id, bound_at: now, ended_at: null },
  ]);
}

function ended(state: SessionState, c: Conversation, now: string): SessionState {
  return withBindings(
    state,
    bindingsOf(state).map((b) =>
      sameConversation(b as Conversation, c) && b.ended_at == null ? { ...b, ended_at: now } : b,
    ),
  );
}

// ---------------------------------------------------------------- binding and ending

/** The session a conversation is bound to, found through its index and checked against the state. */
function boundSessionIn(tx: SessionTransaction, c: Conversation): LoadedSession | undefined {
  const entry = readIndexEntry(tx.layout, c);
  if (entry !== undefined) {
    const read = readSessionAt(tx.layout, entry.session_id, 'active');
    if (read.kind === 'ok' && isOpen(read) && listsConversation(read.state, c))
      return tx.load(entry.session_id);
  }
  // The index missed (lost, pruned, or written by a crash-interrupted bind): the states are the
  // truth. Only binding looks here, so the hot path never lists the sessions.
  for (const id of listSessionFolders(tx.layout, 'active')) {
    if (id === entry?.session_id) continue;
    const read = readSessionAt(tx.layout, id, 'active');
    if (read.kind === 'ok' && isOpen(read) && listsConversation(read.state, c)) return tx.load(id);
  }
  return undefined;
}

export interface BindResult {
  conversation: Conversation;
  /** The session the conversation is bound to now; null when none (`held` or `no_session`). */
  session_id: string | null;
  /**
   * `bound`: newly bound; `kept`: it already was; `held`: the active session is bound to another
   * live conversation, so this one was not bound (`held_by` says which); `no_session`: nothing to bind to.
   */
  status: 'bound' | 'kept' | 'held' | 'no_session';
  held_by?: { session_id: string; agent: AgentName; conversation_id: string; seen_at: string };
  warnings: string[];
}

/** Records the binding: the state (the truth) first, then the index. */
function record(tx: SessionTransaction, session: LoadedSession, c: Conversation): void {
  const previous = readIndexEntry(tx.layout, c);
  if (previous !== undefined && previous.session_id !== session.id) {
    // Moving on from another session: that one's binding ends.
    const read = readSessionAt(tx.layout, previous.session_id, 'active');
    if (read.kind === 'ok' && listsConversation(read.state, c)) {
      const old = tx.load(previous.session_id);
      tx.save(old.dir, old.location, ended(old.state, c, tx.now), { index: false });
    }
  }
  tx.save(session.dir, session.location, bound(session.state, c, tx.now), { index: false });
  writeIndexEntry(tx.layout, {
    ...c,
    session_id: session.id,
    bound_at: tx.now,
    ended_at: null,
  });
}

/**
 * Binds `c` to the session `sessionId` names (a start, switch or resume made from the conversation):
 * an explicit choice, made even when another live conversation is bound there too, with a warning.
 */
export function bindToSession(tx: SessionTransaction, session: LoadedSession, c: Conversation): string[] {
  const warnings: string[] = [];
  const others = liveConversationsOn(tx.layout, session.state, Date.parse(tx.now), c);
  for (const other of others)
    warnings.push(
      `${session.id} is also the session of the live ${describeConversation(other)}: two conversations write into it`,
    );
  const entry = readIndexEntry(tx.layout, c);
  const current = session.state.conversations?.find(
    (b) => sameConversation(b as Conversation, c) && b.ended_at == null,
  );
  if (current === undefined || entry?.session_id !== session.id || entry.ended_at !== null)
    record(tx, session, c);
  return warnings;
}

/**
 * Binds a conversation at its start (SPEC 7, a session-start hook): to the session it is already
 * bound to when that one is still open, else to the active session, unless the active session is
 * bound to another live conversation: then it is not bound, and the result says by whom (the
 * caller tells the agent how to start a session of its own).
 */
export function bindConversationIn(tx: SessionTransaction, c: Conversation): BindResult {
  const base = { conversation: c, warnings: tx.warnings };
  const existing = boundSessionIn(tx, c);
  if (existing !== undefined) {
    const entry = readIndexEntry(tx.layout, c);
    const listed = existing.state.conversations?.find((b) => sameConversation(b as Conversation, c));
    const fresh = entry?.session_id === existing.id && entry.ended_at === null && listed?.ended_at == null;
    if (!fresh) record(tx, existing, c);
    else touchConversation(tx.layout, c, new Date(tx.now));
    return { ...base, session_id: existing.id, status: fresh ? 'kept' : 'bound' };
  }
  const active = tx.activeSessions();
  if (active.length === 0) return { ...base, session_id: null, status: 'no_session' };
  const session = [...active].sort((a, b) => (a.state.updated_at < b.state.updated_at ? 1 : -1))[0]!;
  const other = liveConversationsOn(tx.layout, session.state, Date.parse(tx.now), c)[0];
  if (other !== undefined)
    return {
      ...base,
      session_id: null,
      status: 'held',
      held_by: {
        session_id: session.id,
        agent: other.agent,
        conversation_id: other.conversation_id,
        seen_at: new Date(other.seen_at).toISOString(),
      },
    };
  record(tx, session, c);
  return { ...base, session_id: session.id, status: 'bound' };
}

export interface EndResult {
  conversation: Conversation;
  /** The session it was bound to, if any. */
  session_id: string | null;
  /** Other live conversations still bound to that session (its presence stays while there are). */
  others_live: number;
}

/**
 * A conversation ended (SPEC 7, the end of a conversation): its index entry says so, which is what
 * liveness is read from. The session's state keeps listing it (as bound there last), so a resumed
 * conversation finds its session again; the state is saved only when a binding moves. Costs no
 * save of the state.
 */
export function endConversation(
  layout: Layout,
  c: Conversation,
  now: Date,
  /** The state of an open session the caller has just read or saved: not read again if it is the one. */
  known?: SessionState,
): EndResult {
  // No project lock needed: only the conversation's own hooks write its entry after its bind, and
  // the rename is atomic; the end must fit in the agent's SessionEnd budget.
  const entry = readIndexEntry(layout, c);
  if (entry === undefined || entry.ended_at !== null)
    return { conversation: c, session_id: entry?.session_id ?? null, others_live: 0 };
  writeIndexEntry(layout, { ...entry, ended_at: now.toISOString() });
  let state = known?.session_id === entry.session_id ? known : undefined;
  if (state === undefined) {
    const read = readSessionAt(layout, entry.session_id, 'active');
    if (read.kind === 'ok') state = read.state;
  }
  const othersLive = state === undefined ? 0 : liveConversationsOn(layout, state, now.getTime(), c).length;
  return { conversation: c, session_id: entry.session_id, others_live: othersLive };
}

/** Index entries older than this that name no open session are removed when the doctor repairs. */
export const INDEX_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

export function removeIndexEntry(layout: Layout, c: Conversation): void {
  removeFileIfExists(indexFile(layout, c));
}
