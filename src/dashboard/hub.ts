import fs from 'node:fs';
import os from 'node:os';
import {
  type Coordinator,
  isWfsError,
  openCoordinator,
  type ProjectContext,
  type ProjectWatch,
  readSessionCheckpoints,
  readSessionPhaseHistory,
  reloadProject,
  showSession,
  type WfsEvent,
  watchProject,
} from '../index.js';
import { ACTIONS, type ActionInput, type ActionOutcome } from './actions.js';
import {
  type CoordinationState,
  coordinationHeader,
  EVENTS_SHOWN,
  errorMessage,
  type ProjectView,
  readLiveEntries,
  readProject,
  readResults,
  readSessions,
  type SessionCard,
  type SessionsView,
} from './model.js';
import {
  archivedSection,
  claimsSection,
  damagedFragment,
  eventItem,
  historyFragment,
  liveSection,
  locksSection,
  type Notice,
  noticesSection,
  projectSection,
  resultsSection,
  type SectionId,
  sessionsSection,
} from './render.js';

/**
 * The dashboard's live state: one reader of everything the page shows, shared by every open page.
 * It watches `.workflow/` (the library's watchProject), follows the coordination backend's events
 * (followEvents), and reads presence, leases and claims every POLL_MS (nothing announces a lock
 * taken or a claim made) and at once when the backend tells of a change (watchChanges: the
 * embedded one does). Each change re-renders the sections it touches; a section whose HTML is
 * new goes to every page as a Server-Sent Event. A page that (re)connects gets the sections that
 * changed since it was rendered and every event after the last one it saw (`Last-Event-ID`).
 */

/** What a page is sent: sections to replace, or one event of the feed (its ID for Last-Event-ID). */
export type Message =
  | { event: 'sections'; data: string }
  | { event: 'wfs'; id: string; data: string }
  | { event: 'state'; data: string };

export interface Subscriber {
  send(message: Message): void;
}

interface Client {
  subscriber: Subscriber;
  /** The last event sent to it: nothing at or below is sent again. */
  lastId: number;
  /** Messages held while its backlog of events is read. */
  held: Message[] | undefined;
}

interface Pending {
  sessions: Set<string>;
  listing: boolean;
  project: boolean;
  live: boolean;
  results: boolean;
}

// How often presence, leases and claims are read while a page is open: a lock taken by another
// process shows within this (plus the render), well within the second a person expects.
const POLL_MS = 250;
// With no page open, only enough to keep the first render of the next page fresh.
const IDLE_POLL_MS = 2_000;
// Shared results change with a `result.shared` event, which triggers a read at once; this catches
// a result put without one, and expiries. Every value is read, so not every POLL_MS.
const RESULTS_EVERY_MS = 5_000;
// After the backend failed (unreachable, refused), how long before it is tried again.
const RETRY_MS = 1_000;
// When some folder cannot be watched, the sessions are read this often instead (said on the page).
const UNWATCHED_POLL_MS = 2_000;
// Events read per request when a page catches up after a reconnect.
const BACKLOG_PAGE = 1_000;

const emptyPending = (): Pending => ({
  sessions: new Set(),
  listing: false,
  project: false,
  live: false,
  results: false,
});

export class DashboardHub {
  readonly host = os.hostname();
  readonly sections = new Map<SectionId, string>();
  /** Increases with every change of a section: a page rendered at this version needs nothing sent. */
  version = 0;
  /** The newest events, oldest first (the feed a page starts with). */
  readonly recentEvents: WfsEvent[] = [];
  lastEventId = 0;

  private readonly clients = new Set<Client>();
  private readonly cards = new Map<string, SessionCard>();
  private sessions: SessionsView = { open: [], openTotal: 0, archived: [], archivedTotal: 0 };
  private project!: ProjectView;
  private coordination!: CoordinationState;
  private sessionsError: string | undefined;
  /** Why the last reading failed as a whole (a fault of the machine, or of ours). */
  private failure: string | undefined;
  private watchProblems = new Map<string, string>();
  private coordinator: Coordinator | undefined;
  private opening: Promise<void> | undefined;
  private watch: ProjectWatch | undefined;
  private pending = emptyPending();
  private chain: Promise<void> = Promise.resolve();
  /** The link of the chain that has not started reading yet, if any. */
  private queued: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private pollTimer: NodeJS.Timeout | undefined;
  /** A poll is reading: it schedules the next one when it is done. */
  private polling = false;
  private unwatchedTimer: NodeJS.Timeout | undefined;
  private lastResultsRead = 0;
  private lastPoll = 0;
  /** Ends the following of the open backend's events (when it is closed, or the hub). */
  private following: AbortController | undefined;
  /** Stops the open backend's change notices (its watchChanges), where it has them. */
  private unwatchCoordination: (() => void) | undefined;

  /** Settles when the hub closes: open event streams end with it. */
  readonly closed: Promise<void>;

  // Replaced by a fresh one (reloadProject) when the project's files change: the context reads
  // config.json once, and a changed one may name another backend.
  constructor(private ctx: ProjectContext) {
    this.closed = new Promise((resolve) =>
      this.stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }

  get projectName(): string {
    return this.project.name;
  }

  hasAction(name: string): boolean {
    return Object.hasOwn(ACTIONS, name);
  }

  /** Reads everything once (the first page is rendered from it), then starts watching. */
  async start(): Promise<void> {
    this.project = readProject(this.ctx, fs.existsSync(this.ctx.layout.workflowDir));
    const header = coordinationHeader(this.ctx);
    this.coordination = {
      ...header,
      location: null,
      warnings: [],
      live: [],
      locks: [],
      claims: [],
      results: [],
    };
    this.watch = watchProject(
      this.ctx,
      (change) =>
        void this.request((p) => {
          for (const id of change.sessions) p.sessions.add(id);
          p.listing ||= change.membership || change.sessions.size > 0;
          p.project ||= change.project;
        }),
      (folder, reason) => {
        this.watchProblems.set(folder, reason);
        void this.request((p) => (p.project = true));
      },
    );
    await this.openBackend();
    await this.request((p) => {
      p.listing = p.project = p.live = p.results = true;
    });
    this.schedulePoll();
  }

  // -------------------------------------------------------------- reading and rendering

  /** Asks for a part to be read again; resolves once it is (and its sections are sent). */
  request(fill: (pending: Pending) => void): Promise<void> {
    fill(this.pending);
    // A link that has not started yet takes this too: a burst of changes (a watched folder reports
    // every rename) queues one reading, not one per change.
    if (this.queued !== undefined) return this.queued;
    // One reader at a time, in order: each link takes everything asked for before it ran. A link
    // that fails (drain keeps its errors, so only a fault of ours) must not stop the ones after it.
    const link = this.chain
      .then(() => {
        this.queued = undefined;
        return this.drain();
      })
      .catch((error: unknown) => {
        this.failure = `The dashboard could not update itself: ${errorMessage(error)}. Please report it.`;
      });
    this.queued = link;
    this.chain = link;
    return link;
  }

  private async drain(): Promise<void> {
    const p = this.pending;
    this.pending = emptyPending();
    if (!p.listing && !p.project && !p.live && !p.results && p.sessions.size === 0) return;
    const changed = new Map<SectionId, string>();
    const render = (id: SectionId, htmlText: string) => {
      if (this.sections.get(id) !== htmlText) {
        this.sections.set(id, htmlText);
        changed.set(id, htmlText);
      }
    };
    try {
      if (p.project) {
        this.ctx = reloadProject(this.ctx);
        this.project = readProject(this.ctx, fs.existsSync(this.ctx.layout.workflowDir));
        const header = coordinationHeader(this.ctx);
        // A changed config.json may name another backend: open it anew.
        if (
          header.backend !== this.coordination.backend ||
          header.projectId !== this.coordination.projectId
        ) {
          await this.closeBackend();
          Object.assign(this.coordination, { error: undefined, location: null, warnings: [] }, header, {
            live: [],
            locks: [],
            claims: [],
            results: [],
          });
          await this.openBackend(true);
          p.live = p.results = true;
        } else if (header.error !== undefined) this.coordination.error = header.error;
      }
      if (p.listing || p.sessions.size > 0) {
        try {
          this.sessions = await readSessions(this.ctx, this.cards, p.sessions);
          this.sessionsError = undefined;
        } catch (error) {
          if (!isWfsError(error)) throw error;
          this.sessionsError = error.message;
        }
        render('sessions', String(sessionsSection(this.sessions)));
        render('archived', String(archivedSection(this.sessions)));
      }
      if (p.live || p.results) await this.readCoordination(p.results);
      this.failure = undefined;
    } catch (error) {
      // A fault of this machine reading the files (E_IO, say) is shown; the page keeps what it had.
      this.failure = `The project cannot be read: ${errorMessage(error)}`;
    }
    render('project', String(projectSection(this.project, this.coordination)));
    render('notices', String(noticesSection(this.notices())));
    render('live', String(liveSection(this.coordination, this.host)));
    render('locks', String(locksSection(this.coordination, this.host)));
    render('claims', String(claimsSection(this.coordination)));
    render('results', String(resultsSection(this.coordination)));
    if (changed.size > 0) {
      this.version++;
      this.broadcast({
        event: 'sections',
        data: JSON.stringify({ version: this.version, sections: Object.fromEntries(changed) }),
      });
    }
  }

  private async readCoordination(results: boolean): Promise<void> {
    const c = this.coordinator;
    if (c === undefined) return;
    try {
      Object.assign(this.coordination, await readLiveEntries(c));
      if (results || Date.now() - this.lastResultsRead >= RESULTS_EVERY_MS) {
        this.coordination.results = await readResults(c);
        this.lastResultsRead = Date.now();
      }
      this.coordination.error = undefined;
    } catch (error) {
      // Unreachable, refused, or a fault of the coordination folder: said on the page, tried again.
      this.coordination.error = errorMessage(error);
    }
  }

  private notices(): Notice[] {
    const notices: Notice[] = [];
    const { project } = this;
    if (!project.workflowExists)
      notices.push({
        level: 'problem',
        text: `No wfs project here: ${project.root} has no .workflow/ folder, so there is nothing to show yet.`,
        hint: 'Start the dashboard in the project (or pass --root DIR). If this is the project, sessions appear as soon as one is started (wfs session start).',
      });
    if (project.tech === 'damaged')
      notices.push({
        level: 'problem',
        text: `.workflow/project-tech.json is damaged: ${project.techReason}.`,
        hint: 'The sessions are not affected. wfs init keeps the damaged file aside and writes a new analysis.',
      });
    if (project.guidelines === 'damaged')
      notices.push({
        level: 'problem',
        text: `.workflow/project-guidelines.json is damaged: ${project.guidelinesReason}.`,
        hint: 'wfs init keeps the damaged file aside and writes a new one.',
      });
    if (this.sessionsError !== undefined)
      notices.push({ level: 'problem', text: `The sessions cannot be read: ${this.sessionsError}` });
    if (this.failure !== undefined) notices.push({ level: 'problem', text: this.failure });
    if (this.coordination.error !== undefined)
      notices.push({
        level: 'problem',
        text:
          this.coordination.backend === 'unknown'
            ? `The coordination settings cannot be read: ${this.coordination.error}`
            : `Coordination (${this.coordination.backend}): ${this.coordination.error}`,
        hint: 'Live sessions, locks, claims, results and events are not shown until it answers; the sessions are.',
      });
    for (const warning of this.coordination.warnings) notices.push({ level: 'warning', text: warning });
    if (this.watchProblems.size > 0)
      notices.push({
        level: 'warning',
        text: `${this.watchProblems.size} folder(s) cannot be watched (${[...this.watchProblems.values()][0]}): the sessions are read every ${UNWATCHED_POLL_MS / 1000} s instead.`,
      });
    return notices;
  }

  // -------------------------------------------------------------- the coordination backend

  /**
   * Opens the backend the settings name and starts following its events. `anew`: another backend
   * than before (config.json changed), whose event IDs have nothing to do with the old one's.
   */
  private openBackend(anew = false): Promise<void> {
    this.opening ??= (async () => {
      if (this.coordination.backend === 'unknown') return; // the settings' error is shown
      let c: Coordinator | undefined;
      try {
        c = await openCoordinator(this.ctx);
        const warnings = (await c.diagnose?.()) ?? [];
        const recent = await c.readEvents({ limit: EVENTS_SHOWN });
        this.coordination.location = c.location;
        this.coordination.warnings = warnings;
        this.coordination.error = undefined;
        const last = recent.at(-1)?.id ?? 0;
        if (anew) {
          this.recentEvents.splice(0, this.recentEvents.length, ...recent);
          this.lastEventId = last;
          for (const client of this.clients) client.lastId = last;
        } else if (this.recentEvents.length === 0) {
          this.recentEvents.push(...recent);
          this.lastEventId = Math.max(this.lastEventId, last);
        }
        // Used only once it can be followed: a half-opened backend is closed and tried again.
        this.coordinator = c;
        // Where the backend can tell, a change shows at once; the poll still runs (see watchChanges).
        this.unwatchCoordination = c.watchChanges?.(
          (kind) =>
            void this.request((p) => {
              p.live = true;
              p.results ||= kind === 'results';
            }),
        );
        this.following = new AbortController();
        void this.follow(c, AbortSignal.any([this.stop.signal, this.following.signal]));
      } catch (error) {
        await c?.close().catch(() => {});
        // Unreachable, refused, a coordination folder that cannot be made: said, tried again.
        this.coordination.error = errorMessage(error);
      }
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async closeBackend(): Promise<void> {
    const c = this.coordinator;
    this.coordinator = undefined;
    this.unwatchCoordination?.();
    this.unwatchCoordination = undefined;
    this.following?.abort();
    this.following = undefined;
    await c?.close().catch(() => {});
  }

  /** Follows the backend's events from the last one seen, again after each failure, until it is closed. */
  private async follow(c: Coordinator, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await c.followEvents(this.lastEventId, (event) => this.deliver(event), signal);
      } catch (error) {
        if (signal.aborted) break;
        this.coordination.error = errorMessage(error);
        void this.request((p) => (p.live = true));
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private deliver(event: WfsEvent): void {
    if (event.id <= this.lastEventId) return;
    this.lastEventId = event.id;
    this.recentEvents.push(event);
    if (this.recentEvents.length > EVENTS_SHOWN) this.recentEvents.shift();
    this.broadcast(eventMessage(event));
    // What an event says happened shows in presence (a session started or paused) or results.
    void this.request((p) => {
      p.live = true;
      p.results ||= event.type === 'result.shared';
    });
  }

  /** (Re)starts the wait for the next poll: POLL_MS while a page is open, IDLE_POLL_MS otherwise. */
  private schedulePoll(): void {
    if (this.stop.signal.aborted) return;
    clearTimeout(this.pollTimer);
    const every = this.clients.size > 0 ? POLL_MS : IDLE_POLL_MS;
    this.pollTimer = setTimeout(() => void this.poll(), every);
    this.pollTimer.unref();
    if (this.watchProblems.size > 0 && this.unwatchedTimer === undefined) {
      this.unwatchedTimer = setInterval(
        () => void this.request((p) => (p.listing = true)),
        UNWATCHED_POLL_MS,
      );
      this.unwatchedTimer.unref();
    }
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    this.polling = true;
    try {
      this.lastPoll = Date.now();
      if (this.coordinator === undefined) await this.openBackend();
      await this.request((p) => {
        p.live = true;
        p.project ||= this.coordinator === undefined;
      });
    } finally {
      this.polling = false;
    }
    this.schedulePoll();
  }

  /** Before a first render: presence and leases no older than one poll of an open page. */
  async fresh(): Promise<void> {
    if (Date.now() - this.lastPoll > POLL_MS) {
      this.lastPoll = Date.now();
      await this.request((p) => (p.live = true));
    }
  }

  // -------------------------------------------------------------- pages

  private broadcast(message: Message): void {
    for (const client of this.clients) send(client, message);
  }

  /**
   * A page connects. `version`: the sections it has (from its first render); older or unknown
   * gets every section. `since`: the last event it saw; it gets every event after it, read from
   * the backend, before the live ones (each once, in order).
   */
  async subscribe(
    subscriber: Subscriber,
    since: number | undefined,
    version: number | undefined,
  ): Promise<() => void> {
    const client: Client = { subscriber, lastId: since ?? this.lastEventId, held: [] };
    // Taken at the moment the page joins, so no change falls between this and what follows.
    if (version !== this.version)
      subscriber.send({
        event: 'sections',
        data: JSON.stringify({ version: this.version, sections: Object.fromEntries(this.sections) }),
      });
    this.clients.add(client);
    // The first page: the idle wait (IDLE_POLL_MS, seconds) gives way to an open page's, or a lock
    // taken in its first seconds would show only when the idle wait ended.
    if (this.clients.size === 1 && !this.polling) this.schedulePoll();
    const leave = () => {
      this.clients.delete(client);
    };
    if (since !== undefined && since < this.lastEventId) {
      try {
        await this.backlog(client, since);
      } catch (error) {
        // The backend cannot say what the page missed: it gets what this process holds, and is told.
        for (const event of this.recentEvents) if (event.id > client.lastId) deliverTo(client, event);
        subscriber.send({
          event: 'state',
          data: JSON.stringify({
            warning: `Events missed while disconnected may not all be shown: ${errorMessage(error)}`,
          }),
        });
      }
    }
    const held = client.held ?? [];
    client.held = undefined;
    for (const message of held) send(client, message);
    return leave;
  }

  private async backlog(client: Client, since: number): Promise<void> {
    const c = this.coordinator;
    if (c === undefined) throw new Error(this.coordination.error ?? 'the coordination backend is not open');
    let from = since;
    for (;;) {
      const events = await c.readEvents({ since: from, limit: BACKLOG_PAGE });
      for (const event of events) deliverTo(client, event);
      if (events.length < BACKLOG_PAGE) return;
      from = events.at(-1)!.id;
    }
  }

  get pages(): number {
    return this.clients.size;
  }

  // -------------------------------------------------------------- actions and details

  /** Runs an action through the library, then shows its effect before answering. */
  async act(name: string, input: ActionInput): Promise<ActionOutcome> {
    const action = ACTIONS[name]!;
    const outcome = await action(this.ctx, input);
    await this.request((p) => {
      for (const id of outcome.sessions) p.sessions.add(id);
      p.listing = true;
      p.live = true;
    });
    return outcome;
  }

  /** A session's history (the page loads it when a person opens it). */
  async history(id: string): Promise<string> {
    // A damaged session is not read whole (that would restore it): the page says so.
    const listed = this.cards.get(id);
    if (listed?.summary.corrupt) return String(damagedFragment(listed.summary.reason));
    const { session, warnings } = await showSession(this.ctx, id);
    const checkpoints = await readSessionCheckpoints(this.ctx, id);
    // The whole history: the session file keeps only the newest phase changes.
    const history = await readSessionPhaseHistory(this.ctx, id);
    return String(
      historyFragment(
        { ...session.state, state_transitions: history.state_transitions },
        session.location,
        checkpoints.checkpoints,
        [...warnings, ...checkpoints.warnings, ...history.warnings.filter((w) => !warnings.includes(w))],
      ),
    );
  }

  async close(): Promise<void> {
    this.stop.abort();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.unwatchedTimer) clearInterval(this.unwatchedTimer);
    this.watch?.close();
    this.clients.clear();
    await this.chain.catch(() => {});
    await this.closeBackend();
  }
}

export function eventMessage(event: WfsEvent): Message {
  return {
    event: 'wfs',
    id: String(event.id),
    data: JSON.stringify({ id: event.id, html: String(eventItem(event)) }),
  };
}

function send(client: Client, message: Message): void {
  if (message.event === 'wfs') {
    const id = Number(message.id);
    if (client.held !== undefined) {
      client.held.push(message);
      return;
    }
    if (id <= client.lastId) return;
    client.lastId = id;
  } else if (client.held !== undefined) {
    client.held.push(message);
    return;
  }
  client.subscriber.send(message);
}

function deliverTo(client: Client, event: WfsEvent): void {
  if (event.id <= client.lastId) return;
  client.lastId = event.id;
  client.subscriber.send(eventMessage(event));
}
