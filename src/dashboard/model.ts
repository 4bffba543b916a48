import path from 'node:path';
import {
  type Claim,
  type Coordinator,
  coordinationSettings,
  identityOf,
  isWfsError,
  type LeaseInfo,
  listSessions,
  type Presence,
  type ProjectContext,
  type ProjectFileRead,
  readProjectFiles,
  type SessionState,
  type SessionSummary,
  type SharedResult,
  showSession,
  type WfsEvent,
  type Workspace,
} from '../index.js';

/**
 * What the page shows, read through the library (src/index.ts) and nothing else: the dashboard
 * decides how things look, never what they mean.
 */

/** Open sessions shown (the most recently updated); more are counted, and `wfs session list` shows all. */
export const OPEN_SHOWN = 100;
/** Archived sessions shown, the most recently archived first. */
export const ARCHIVED_SHOWN = 20;
/** Events the page starts with; the feed keeps this many as new ones arrive. */
export const EVENTS_SHOWN = 60;

export interface SessionCard {
  summary: SessionSummary;
  /** Undefined when the session is damaged (`summary.corrupt`) or could not be read (`error`). */
  state?: SessionState;
  error?: string;
  warnings: string[];
}

export interface SessionsView {
  open: SessionCard[];
  openTotal: number;
  archived: SessionSummary[];
  archivedTotal: number;
}

export interface ProjectView {
  root: string;
  /** How the root was found: `--root`, `WFS_ROOT`, a `.workflow/` above, the git top-level, the working directory. */
  rootSource: ProjectContext['rootSource'];
  workflowExists: boolean;
  /** project-tech.json's name, else the root folder's. */
  name: string;
  tech: ProjectFileRead<unknown>['status'];
  techReason?: string;
  techSummary?: string;
  guidelines: ProjectFileRead<unknown>['status'];
  guidelinesReason?: string;
}

export interface CoordinationState {
  backend: string;
  location: string | null;
  projectId: string;
  projectIdSource: string;
  /** Why the backend cannot be shown (a damaged config.json, a server that cannot be reached). */
  error?: string;
  /** Conditions of the backend that put its guarantees at risk (an evicting Redis). */
  warnings: string[];
  live: Presence[];
  locks: LeaseInfo[];
  claims: Claim[];
  results: ResultRow[];
}

/** A shared result without its value (which may be large, or bytes): its size and a short preview. */
export interface ResultRow {
  key: string;
  session: string | null;
  workspace?: Workspace;
  host: string;
  put_at: string;
  expires_at: number;
  bytes: number;
  /** Whether the value is bytes that are not UTF-8 (shown as "binary" and its size, never as text). */
  binary: boolean;
  preview: string | null;
}

/** The workspace an entry of coordination was left by, as people read it: its folder's name. */
export function workspaceOf(entry: { workspace?: Workspace | null }): string | undefined {
  return entry.workspace?.name;
}

/** The agent conversations bound to a session (SPEC 2). */
export function conversationsOf(state: SessionState): { agent: string; conversation_id: string }[] {
  return (state.conversations ?? []).map(({ agent, conversation_id }) => ({ agent, conversation_id }));
}

export function readProject(ctx: ProjectContext, workflowExists: boolean): ProjectView {
  const files = readProjectFiles(ctx);
  const view: ProjectView = {
    root: ctx.layout.root,
    rootSource: ctx.rootSource,
    workflowExists,
    name: path.basename(ctx.layout.root),
    tech: files.tech.status,
    guidelines: files.guidelines.status,
  };
  if (files.tech.status === 'ok') {
    const tech = files.tech.value;
    view.name = tech.project_name || view.name;
    view.techSummary = [tech.primary_language, ...tech.frameworks.slice(0, 4)].filter(Boolean).join(' · ');
  } else if (files.tech.status === 'damaged') view.techReason = files.tech.reason;
  if (files.guidelines.status === 'damaged') view.guidelinesReason = files.guidelines.reason;
  return view;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The sessions, open and archived, as `session list --all` lists them (a damaged one is listed and
 * marked). The open ones shown are read whole; `cache` keeps the cards of sessions not changed
 * since (same `updated`, not among `changed`), so a change to one session re-reads one file.
 */
export async function readSessions(
  ctx: ProjectContext,
  cache: Map<string, SessionCard>,
  changed: ReadonlySet<string> | 'all',
): Promise<SessionsView> {
  const all = listSessions(ctx, { includeArchived: true });
  const open = all.filter((s) => s.location === 'active');
  const archived = all.filter((s) => s.location === 'archives');
  const cards: SessionCard[] = [];
  for (const summary of open.slice(0, OPEN_SHOWN)) {
    const cached = cache.get(summary.id);
    if (
      cached !== undefined &&
      changed !== 'all' &&
      !changed.has(summary.id) &&
      cached.summary.updated === summary.updated &&
      cached.summary.corrupt === summary.corrupt
    ) {
      cards.push({ ...cached, summary });
      continue;
    }
    // A damaged session is shown as `session list` shows it: reading it whole (showSession) would
    // restore it from its backup, a write that a viewer must not make behind a person's back.
    if (summary.corrupt) {
      cards.push({ summary, warnings: [] });
      continue;
    }
    try {
      const { session, warnings } = await showSession(ctx, summary.id);
      cards.push({ summary, state: session.state, warnings });
    } catch (error) {
      if (!isWfsError(error)) throw error;
      // Archived or removed since it was listed: the next change of the folders lists it anew.
      cards.push({ summary, error: error.message, warnings: [] });
    }
  }
  cache.clear();
  for (const card of cards) cache.set(card.summary.id, card);
  // Shown in the order they were created: a card keeps its place while its session changes.
  cards.sort((a, b) => {
    const at = a.state?.created_at ?? '';
    const bt = b.state?.created_at ?? '';
    return at < bt ? -1 : at > bt ? 1 : a.summary.id < b.summary.id ? -1 : 1;
  });
  return {
    open: cards,
    openTotal: open.length,
    archived: archived.slice(0, ARCHIVED_SHOWN),
    archivedTotal: archived.length,
  };
}

/** Which backend, where, and for which project identity; the settings' error when they cannot be read. */
export function coordinationHeader(
  ctx: ProjectContext,
): Pick<CoordinationState, 'backend' | 'projectId' | 'projectIdSource' | 'error'> {
  try {
    const settings = coordinationSettings(ctx);
    const identity = identityOf(ctx);
    return { backend: settings.backend, projectId: identity.id, projectIdSource: identity.source };
  } catch (error) {
    if (!isWfsError(error)) throw error;
    return { backend: 'unknown', projectId: '', projectIdSource: '', error: error.message };
  }
}

const PREVIEW_CHARS = 120;

function preview(text: string | undefined): string | null {
  if (text === undefined) return null;
  // Text with control characters (escapes) is shown by its size alone.
  const head = text.slice(0, PREVIEW_CHARS + 1);
  if (/[\u0000-\u0008\u000e-\u001f\u007f]/.test(head)) return null;
  const line = head.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

export function resultRow(result: SharedResult): ResultRow {
  return {
    key: result.key,
    session: result.session,
    ...(result.workspace ? { workspace: result.workspace } : {}),
    host: result.host,
    put_at: result.put_at,
    expires_at: result.expires_at,
    bytes: result.value.length,
    binary: result.text === undefined,
    preview: preview(result.text),
  };
}

/** Presence, leases and claims: small, read often (what a person watches change). */
export async function readLiveEntries(
  c: Coordinator,
): Promise<Pick<CoordinationState, 'live' | 'locks' | 'claims'>> {
  const live = await c.liveSessions();
  const locks = await c.list();
  const claims = await c.listClaims();
  return { live, locks, claims };
}

export async function readResults(c: Coordinator): Promise<ResultRow[]> {
  const results = await c.listResults();
  return results.map(resultRow).sort((a, b) => (a.put_at < b.put_at ? 1 : a.put_at > b.put_at ? -1 : 0));
}

export type { WfsEvent };
export { message as errorMessage };
