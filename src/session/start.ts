import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import { nextFreeSessionId, sessionIdFor, slugify } from '../core/ids.js';
import { validateDescription } from '../core/input.js';
import { renderPlanningNotes, userContent } from '../core/planning-notes.js';
import { judgeRelevance, type Relevance, shouldReuse } from '../core/relevance.js';
import { type Complexity, newSessionState, type SessionType } from '../core/session.js';
import { ensureProjectInitialized } from '../project/ensure.js';
import type { InitResult } from '../project/init.js';
import { readTextIfExists, syncDirectory, writeFileAtomic } from '../store/atomic.js';
import type { CheckReporter } from '../store/checks.js';
import { ensureSessionFolders, writeWorkflowGitignoreIfMissing } from '../store/gitignore.js';
import { CREATING_DIR, SESSION_FILE, sessionDir, sessionLayout } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import { listSessionFolders, readSessionAt, saveSession } from '../store/session-files.js';
import { uniqueSuffix } from '../store/unique.js';
import { bindToSession, callingConversation, describeConversation, liveConversationsOn } from './binding.js';
import { applyChange, type Change } from './change.js';
import { listSessions, type SessionSummary } from './list.js';
import type { SessionTransaction } from './transaction.js';

export interface StartInput {
  description: string;
  type?: SessionType;
  complexity?: Complexity;
}

export interface StartResult {
  session_id: string;
  decision: 'created' | 'reused';
  relevance?: Relevance;
  /** Keywords the task shares with the reused or judged session (with `--auto`). */
  shared_keywords?: string[];
  /** Sessions paused to keep one active. */
  paused: string[];
  warnings: string[];
  /** True when this start initialised the project state first. */
  project_initialized: boolean;
  /** The agent conversation the session was bound to (a start made from a conversation, SPEC 2). */
  bound_conversation?: { agent: string; conversation_id: string };
}

/** The first line of the description, short enough for a table: the session's title. */
function titleOf(description: string): string {
  const firstLine = description.split(/\r?\n/)[0]!.trim();
  return firstLine.length > 100 ? `${firstLine.slice(0, 99)}…` : firstLine;
}

// Probing the next few names costs a stat each; past this many, one listing of the folders finds
// the highest suffix instead (a description reused thousands of times).
const PROBES_BEFORE_LISTING = 32;

/** Whether a session of this ID exists, open or archived (or anything else stands at its name). */
function taken(tx: SessionTransaction, id: string): boolean {
  return (
    fs.lstatSync(sessionDir(tx.layout, id, 'active'), { throwIfNoEntry: false }) !== undefined ||
    fs.lstatSync(sessionDir(tx.layout, id, 'archives'), { throwIfNoEntry: false }) !== undefined
  );
}

/** Free IDs for a description, in order: `WFS-<slug>`, else `-2`, `-3`, ... among open and archived. */
function* candidateIds(tx: SessionTransaction, description: string): Generator<string> {
  const slug = slugify(description);
  for (let ordinal = 1; ordinal <= PROBES_BEFORE_LISTING; ordinal++) {
    const id = sessionIdFor(slug, ordinal);
    if (!taken(tx, id)) yield id;
  }
  const existing = new Set([
    ...listSessionFolders(tx.layout, 'active'),
    ...listSessionFolders(tx.layout, 'archives'),
  ]);
  for (;;) {
    const id = nextFreeSessionId(slug, existing);
    existing.add(id);
    if (!taken(tx, id)) yield id;
  }
}

/**
 * Creates a session so that it exists whole or not at all (SPEC 4: a creation that never finished
 * is no session). Everything is made in a staging folder, `.workflow/.creating/<nonce>/`, written
 * durably, and then renamed into `active/WFS-<id>` in one step. A kill at any instant leaves either
 * a complete session or a staging folder that no command reads (`wfs doctor --fix` moves it aside).
 * The active-session pointer names the new ID before the rename (see active-pointer.ts): a kill in
 * between leaves a pointer to a folder that does not exist, which reads as no active session.
 *
 * The rename cannot take a name that is in use: a session folder is never empty, and rename onto a
 * non-empty folder fails (ENOTEMPTY), so even outside the project lock two processes could never
 * get the same ID; under it, the first free name is taken on the first try.
 */
function createSession(
  tx: SessionTransaction,
  input: Required<StartInput>,
): { id: string; paused: string[] } {
  // Pause first: a crash between the two steps leaves no active session, never two.
  const paused = tx.pauseActive();
  // A project's first session, in a project nobody ran `wfs init` in: the same .gitignore init writes.
  if (!fs.existsSync(tx.layout.activeDir) && !fs.existsSync(tx.layout.archivesDir))
    writeWorkflowGitignoreIfMissing(tx.layout);
  const staging = path.join(tx.layout.workflowDir, CREATING_DIR, uniqueSuffix());
  ensureDirectory(staging);
  try {
    ensureSessionFolders(staging);
    for (const id of candidateIds(tx, input.description)) {
      // Written for this ID (the notes and the state name it): again if the ID must change.
      writeFileAtomic(
        sessionLayout(staging).planningNotes,
        renderPlanningNotes({ id, description: input.description, created: tx.now }),
      );
      const state = newSessionState({
        id,
        project: titleOf(input.description),
        description: input.description,
        type: input.type,
        complexity: input.complexity,
        now: tx.now,
      });
      tx.pointActiveTo(id);
      const saved = saveSession(staging, state, tx.now);
      const dir = sessionDir(tx.layout, id, 'active');
      ensureDirectory(tx.layout.activeDir);
      try {
        fs.renameSync(staging, dir);
      } catch (error) {
        // Taken behind the lock's back (by a person, say): the next free ID, written afresh.
        const code = errnoCode(error);
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') continue;
        throw error;
      }
      // The rename is the creation: durable before it is acknowledged.
      syncDirectory(tx.layout.activeDir);
      tx.recordCreated(saved);
      return { id, paused };
    }
    throw new WfsError('E_INTERNAL', 'No free session ID was found'); // the generator never ends
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function normalise(input: StartInput): Required<StartInput> {
  return {
    description: validateDescription(input.description),
    type: input.type ?? 'workflow',
    complexity: input.complexity ?? 'medium',
  };
}

/** The result of a start, with the warnings of project initialisation and of the transaction. */
function result(
  tx: SessionTransaction,
  init: InitResult | undefined,
  fields: Pick<StartResult, 'session_id' | 'decision' | 'paused'> & Partial<StartResult>,
): StartResult {
  return {
    project_initialized: init !== undefined,
    ...fields,
    warnings: [...(fields.warnings ?? []), ...(init?.warnings ?? []), ...tx.warnings],
  };
}

/**
 * A start made from an agent conversation binds the session it gives to that conversation (SPEC
 * 2), in the same transaction, so the conversation's next command finds it.
 */
function bindCaller(tx: SessionTransaction, ctx: ProjectContext, result: StartResult): StartResult {
  const conversation = callingConversation(ctx.env);
  if (conversation === undefined) return result;
  const warnings = bindToSession(tx, tx.load(result.session_id), conversation);
  return {
    ...result,
    bound_conversation: { agent: conversation.agent, conversation_id: conversation.conversation_id },
    warnings: [...result.warnings, ...warnings.filter((w) => !result.warnings.includes(w))],
  };
}

/** What a start announces: the sessions it paused, and the one it created or reused. */
function announced(result: StartResult, input: StartInput): Change<StartResult> {
  return {
    result,
    announce: [
      ...result.paused.map((id) => ({
        type: 'session.paused',
        session: id,
        data: { by: result.session_id },
      })),
      result.decision === 'created'
        ? { type: 'session.started', session: result.session_id, data: { type: input.type ?? 'workflow' } }
        : {
            type: 'session.resumed',
            session: result.session_id,
            data: { reused_for: input.description.slice(0, 200) },
          },
    ],
  };
}

/** `session start --new`: always a new session, which becomes the active one; announced. */
export async function startNewSession(ctx: ProjectContext, input: StartInput): Promise<StartResult> {
  const normalised = normalise(input);
  const init = await ensureProjectInitialized(ctx);
  return applyChange(ctx, (tx) => {
    const { id, paused } = createSession(tx, normalised);
    return announced(
      bindCaller(tx, ctx, result(tx, init, { session_id: id, decision: 'created', paused })),
      normalised,
    );
  });
}

/** What `--auto` compares a task with: the session's title, description and planning notes. */
function sessionText(ctx: ProjectContext, session: SessionSummary): string {
  const notes =
    readTextIfExists(sessionLayout(sessionDir(ctx.layout, session.id, 'active')).planningNotes) ?? '';
  const read = readSessionAt(ctx.layout, session.id, 'active');
  const description = read.kind === 'ok' ? read.state.description : '';
  return `${session.project}\n${description}\n${userContent(notes)}`;
}

/**
 * `session start --auto`: no open session, create one; one, judge how relevant the task is to it
 * and reuse it (activating it) or create a new one; several, warn, judge the task against each and
 * reuse the most relevant when its relevance is high, else the active one (or the most recently
 * updated). Completed sessions are finished work and never reused. Announced.
 */
export async function startAutoSession(ctx: ProjectContext, input: StartInput): Promise<StartResult> {
  const normalised = normalise(input);
  const init = await ensureProjectInitialized(ctx);
  return applyChange(ctx, (tx) => {
    const create = (extra: Partial<StartResult> = {}): StartResult => {
      const { id, paused } = createSession(tx, normalised);
      return result(tx, init, { ...extra, session_id: id, decision: 'created', paused });
    };
    const reuse = (session: SessionSummary, extra: Partial<StartResult> = {}): StartResult => {
      const read = readSessionAt(ctx.layout, session.id, 'active');
      if (read.kind !== 'ok') {
        // It was readable a moment ago under the same lock: only an outside edit can do this.
        return create({
          ...extra,
          warnings: [
            ...(extra.warnings ?? []),
            `Session ${session.id} became unreadable; created a new session`,
          ],
        });
      }
      const { paused } = tx.activate(read);
      return result(tx, init, { ...extra, session_id: session.id, decision: 'reused', paused });
    };
    const judge = (session: SessionSummary) =>
      judgeRelevance(normalised.description, sessionText(ctx, session));
    const judged = (j: ReturnType<typeof judge>) => ({ relevance: j.relevance, shared_keywords: j.shared });

    // From an agent conversation, a session another live conversation is bound to is not reused:
    // two agents writing into one session is what the binding exists to prevent (SPEC 2).
    const conversation = callingConversation(ctx.env);
    const skipped: string[] = [];
    const candidates = listSessions(ctx).filter((s) => {
      if (s.corrupt || (s.status !== 'active' && s.status !== 'paused')) return false;
      if (conversation === undefined) return true;
      const read = readSessionAt(ctx.layout, s.id, 'active');
      if (read.kind !== 'ok') return true;
      const other = liveConversationsOn(ctx.layout, read.state, Date.parse(tx.now), conversation)[0];
      if (other === undefined) return true;
      skipped.push(`${s.id} is the session of the live ${describeConversation(other)}: not reused`);
      return false;
    });
    const finish = (start: StartResult) =>
      announced(bindCaller(tx, ctx, { ...start, warnings: [...skipped, ...start.warnings] }), normalised);
    if (candidates.length === 0) return finish(create());
    if (candidates.length === 1) {
      const judgement = judge(candidates[0]!);
      return finish(
        shouldReuse(judgement.relevance)
          ? reuse(candidates[0]!, judged(judgement))
          : create(judged(judgement)),
      );
    }
    const warning = { warnings: ['Multiple active sessions detected'] };
    // The most relevant first; among equals the listing's order (most recently updated first).
    const ranked = candidates
      .map((session) => ({ session, judgement: judge(session) }))
      .sort((a, b) => b.judgement.score - a.judgement.score);
    const best = ranked[0]!;
    if (best.judgement.relevance === 'high')
      return finish(reuse(best.session, { ...warning, ...judged(best.judgement) }));
    const fallback =
      ranked.find((r) => r.session.status === 'active') ?? ranked.find((r) => r.session === candidates[0])!;
    return finish(reuse(fallback.session, { ...warning, ...judged(fallback.judgement) }));
  });
}

/**
 * SPEC 4: a session whose creation never finished is no session. Its remains (a staging folder
 * in .workflow/.creating/, or a folder in active/ with no state, backups or checkpoints, left by a
 * wfs from before creations were staged) are moved aside, never deleted.
 */
export function checkUnfinishedCreations(report: CheckReporter): void {
  const creating = path.join(report.layout.workflowDir, CREATING_DIR);
  let staged: string[] = [];
  try {
    staged = fs.readdirSync(creating);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  for (const name of staged) {
    const dir = path.join(creating, name);
    report.problem(
      'creation',
      `${report.rel(dir)}: a session creation that never finished${!report.locked ? ' (or one in progress right now)' : ''}`,
      () => `moved aside to ${report.moveAside(dir)}`,
    );
  }
  for (const id of listSessionFolders(report.layout, 'active')) {
    const read = readSessionAt(report.layout, id, 'active');
    if (read.kind !== 'missing' || read.unfinished === undefined) continue;
    report.problem(
      'creation',
      `${id}: the remains of a session creation that never finished (no ${SESSION_FILE}, no backups): it is no session`,
      () => `moved aside to ${report.moveAside(read.unfinished!)}`,
    );
  }
}
