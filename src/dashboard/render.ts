import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import {
  type CheckpointEntry,
  type LeaseInfo,
  PHASES,
  type Presence,
  type SessionState,
  type SessionSummary,
  type Todo,
  type WfsEvent,
} from '../index.js';
import {
  type CoordinationState,
  conversationsOf,
  type ProjectView,
  type SessionCard,
  type SessionsView,
  workspaceOf,
} from './model.js';

/**
 * The page and its fragments, rendered on the server with hono/html (every interpolated value is
 * escaped). The same functions render the first page and every live update, so the two never
 * disagree. Times are written as absolute UTC instants; the page's script turns them into "2 min
 * ago" and "42 s left" in the reader's clock, so a fragment changes only when its data does (and is
 * only then sent again).
 */

type Html = HtmlEscapedString;

// Our templates interpolate only strings, numbers and other templates, never a promise, so hono's
// `html` returns the escaped string itself: this says so once for the type checker.
const h = html as (strings: TemplateStringsArray, ...values: unknown[]) => Html;

const join = (parts: readonly Html[]): Html => raw(parts.join(''));

function utc(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A moment, shown relative by the page's script ("2 min ago"); the UTC time without it. */
export function when(iso: string | number | null | undefined): Html {
  const text = utc(iso);
  if (text === '') return h`<span class="muted">never</span>`;
  return h`<time datetime="${text}" data-rel>${text.replace('T', ' ')}</time>`;
}

/** An expiry, counted down by the page's script ("42 s left"). */
function left(expiresAt: number): Html {
  return h`<span class="left" data-expires="${expiresAt}">until ${utc(expiresAt).replace('T', ' ')}</span>`;
}

function domId(prefix: string, id: string): string {
  // Session IDs are letters, digits and dashes (checked at the store boundary); anything else
  // that names an element (a lock) goes through encodeURIComponent and loses the rest.
  return `${prefix}-${encodeURIComponent(id).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function empty(text: string): Html {
  return h`<p class="empty">${text}</p>`;
}

function workspaceTag(entry: object): Html {
  const workspace = workspaceOf(entry);
  return workspace === undefined ? h`` : h` <span class="tag" title="workspace">${workspace}</span>`;
}

// ------------------------------------------------------------------ the project and notices

export interface Notice {
  level: 'problem' | 'warning';
  text: string;
  hint?: string;
}

const ROOT_SOURCES: Record<ProjectView['rootSource'], string> = {
  flag: 'given with --root',
  env: 'given by WFS_ROOT',
  workflow: 'the nearest folder with .workflow/',
  git: 'the git top-level',
  cwd: 'the working directory',
};

export function projectSection(project: ProjectView, coordination: CoordinationState): Html {
  const backend =
    coordination.backend === 'unknown'
      ? h`<span class="bad">coordination settings unreadable</span>`
      : h`${coordination.backend}${coordination.location ? h` <code>${coordination.location}</code>` : h``}`;
  return h`<h1><span class="brand">wfs</span> ${project.name}</h1>
<dl class="facts">
  <div><dt>Root</dt><dd><code>${project.root}</code> <span class="muted">(${ROOT_SOURCES[project.rootSource]})</span></dd></div>
  <div><dt>Project</dt><dd>${projectFile(project)}</dd></div>
  <div><dt>Coordination</dt><dd>${backend}</dd></div>
  ${coordination.projectId ? h`<div><dt>Project ID</dt><dd><code>${coordination.projectId}</code> <span class="muted">(${coordination.projectIdSource})</span></dd></div>` : h``}
</dl>`;
}

function projectFile(project: ProjectView): Html {
  if (project.tech === 'damaged')
    return h`<span class="bad">project-tech.json is damaged</span> <span class="muted">(see above)</span>`;
  if (project.tech === 'missing')
    return h`<span class="muted">not analysed yet (project-tech.json does not exist: wfs init)</span>`;
  return h`${project.techSummary || 'analysed'}`;
}

export function noticesSection(notices: readonly Notice[]): Html {
  if (notices.length === 0) return h``;
  return h`<ul class="notices">${join(
    notices.map(
      (n) =>
        h`<li class="notice ${n.level}"><strong>${n.level === 'problem' ? 'Problem' : 'Warning'}:</strong> ${n.text}${n.hint ? h` <span class="hint">${n.hint}</span>` : h``}</li>`,
    ),
  )}</ul>`;
}

// ------------------------------------------------------------------ sessions

const STATUS_ORDER: readonly string[] = ['active', 'paused', 'completed', 'archived'];

function badge(summary: SessionSummary): Html {
  if (summary.corrupt) return h`<span class="badge corrupt">damaged</span>`;
  const status = STATUS_ORDER.includes(summary.status) ? summary.status : 'unknown';
  return h`<span class="badge ${status}">${summary.status}</span>`;
}

function phases(state: SessionState): Html {
  const current = PHASES.indexOf(state.current_phase);
  const steps = PHASES.map((phase, index) => {
    const record = state.checkpoints[phase.toLowerCase() as 'plan' | 'implement' | 'review'];
    const done = record?.status === 'completed';
    const cls = index === current ? 'current' : done ? 'done' : index < current ? 'skipped' : 'next';
    return index === current
      ? h`<li class="${cls}" aria-current="step">${phase}</li>`
      : h`<li class="${cls}">${phase}${done ? h`<span class="sr"> (completed)</span>` : h``}</li>`;
  });
  return h`<ol class="phases" aria-label="Phase">${join(steps)}</ol>`;
}

const TODOS_SHOWN = 12;
const MARKS: Record<Todo['status'], string> = { pending: '○', in_progress: '▶', completed: '✓' };
const TODO_STATUS_WORDS: Record<Todo['status'], string> = {
  pending: 'to do',
  in_progress: 'in progress',
  completed: 'done',
};

function todos(state: SessionState, canChange: boolean): Html {
  const all = state.todos ?? [];
  if (all.length === 0) return h`<p class="todos-none muted">No todos.</p>`;
  const done = all.filter((t) => t.status === 'completed').length;
  const inProgress = all.filter((t) => t.status === 'in_progress').length;
  const open = [
    ...all.filter((t) => t.status === 'in_progress'),
    ...all.filter((t) => t.status === 'pending'),
  ];
  const items = open.slice(0, TODOS_SHOWN).map((todo) => {
    const label = domId(`todo-${todo.id}`, state.session_id);
    return h`<li class="todo ${todo.status}"><span class="mark" aria-hidden="true">${MARKS[todo.status]}</span>
<span id="${label}"><span class="num">${todo.id}.</span> ${todo.content}<span class="sr"> (${TODO_STATUS_WORDS[todo.status]})</span></span>
${canChange ? h`<button type="button" class="small" data-action="todo-done" data-session="${state.session_id}" data-todo="${todo.id}" aria-describedby="${label}">Done</button>` : h``}</li>`;
  });
  const more = open.length - TODOS_SHOWN;
  return h`<div class="todos">
<p class="todo-count">Todos: <strong>${done}</strong> of ${all.length} done${inProgress ? h`, ${inProgress} in progress` : h``}</p>
<progress max="${all.length}" value="${done}" aria-hidden="true"></progress>
${items.length > 0 ? h`<ul class="todo-list">${join(items)}</ul>` : h``}
${more > 0 ? h`<p class="muted">and ${more} more open (wfs todo list --session ${state.session_id})</p>` : h``}
</div>`;
}

function actions(state: SessionState): Html {
  const id = state.session_id;
  const button = (action: string, label: string, title: string, extra = '') =>
    h`<button type="button" data-action="${action}" data-session="${id}" title="${title}"${raw(extra)}>${label}</button>`;
  const status = state.status;
  const buttons: Html[] = [];
  if (status === 'paused') {
    buttons.push(
      button('resume', 'Resume', 'Check the session, then make it the active one (shows the resume plan)'),
    );
    buttons.push(button('switch', 'Switch', 'Make it the active session now (the active one is paused)'));
  }
  if (status === 'active') buttons.push(button('pause', 'Pause', 'Pause the session'));
  if (status === 'active') {
    const select = domId('phase', id);
    // The next phase is the one usually wanted; going back (REVIEW to IMPLEMENT, to fix) is there too.
    const next = PHASES[PHASES.indexOf(state.current_phase) + 1];
    const options = PHASES.filter((p) => p !== state.current_phase).map((p) =>
      p === next ? h`<option value="${p}" selected>${p}</option>` : h`<option value="${p}">${p}</option>`,
    );
    buttons.push(h`<span class="phase-change"><label class="sr" for="${select}">Phase to move ${id} to</label>
<select id="${select}" data-phase-for="${id}">${join(options)}</select>${button('phase', 'Phase', 'Move the session to the chosen phase (records the transition and a checkpoint)')}</span>`);
  }
  buttons.push(
    button(
      'complete',
      'Complete',
      status === 'completed' ? 'Archive the completed session' : 'Complete the session and archive it',
      ' class="quiet"',
    ),
  );
  return h`<div class="actions">${join(buttons)}</div>`;
}

function lastCheckpoint(state: SessionState): Html {
  const last = state.last_checkpoint;
  if (!last) return h``;
  return h`<p class="last-cp">Last checkpoint: ${last.trigger} in ${last.phase}, ${when(last.timestamp)}</p>`;
}

/** What the last phase change handed over: what the current phase was told (SPEC 2's handoff_data). */
function lastHandoff(state: SessionState): Html {
  const last = (state.state_transitions as Transition[]).at(-1);
  if (last === undefined || last.to !== state.current_phase) return h``;
  const data = last.handoff_data;
  if (data === null || data === undefined || (typeof data === 'object' && Object.keys(data).length === 0))
    return h``;
  return h`<div class="handoff-now"><span class="muted">Handed over from ${String(last.from ?? '?')}:</span>${handoff(data)}</div>`;
}

function conversations(state: SessionState): Html {
  const bound = conversationsOf(state);
  if (bound.length === 0) return h``;
  return h`<p class="agents">Agents: ${join(
    bound.map(
      (c) =>
        h`<span class="tag" title="${c.conversation_id}">${c.agent} ${c.conversation_id.slice(0, 8)}</span> `,
    ),
  )}</p>`;
}

function history(id: string, label = 'History'): Html {
  return h`<details class="history" data-history="${id}"><summary>${label}</summary><div class="history-body" aria-live="polite"></div></details>`;
}

function card(entry: SessionCard): Html {
  const { summary, state } = entry;
  const heading = domId('h', summary.id);
  const status = summary.corrupt ? 'corrupt' : summary.status;
  const top = h`<header class="card-head"><h3 id="${heading}">${summary.id}</h3> ${badge(summary)}
<span class="meta">${[
    summary.type === 'unknown' ? h`` : h`${summary.type}${state ? h` · ${state.complexity}` : h``} · `,
    summary.updated ? h`updated ${when(summary.updated)}` : h``,
  ]}</span></header>`;
  if (state === undefined) {
    const why = summary.corrupt
      ? h`<p class="bad">Damaged: ${summary.reason ?? 'the session file cannot be read'}.</p>
<p class="hint">${summary.status === 'unknown' ? h`` : h`Shown as the registry last knew it (${summary.status}, ${summary.phase}). `}<code>wfs session show ${summary.id}</code> restores it from its newest good backup; <code>wfs doctor</code> says what is wrong.</p>`
      : h`<p class="bad">${entry.error ?? 'Cannot be read.'}</p>`;
    return h`<article class="card ${status}" id="${domId('s', summary.id)}" aria-labelledby="${heading}">${top}${why}</article>`;
  }
  const warnings = entry.warnings.length
    ? h`<ul class="card-warnings">${join(entry.warnings.map((w) => h`<li>${w}</li>`))}</ul>`
    : h``;
  return h`<article class="card ${status}" id="${domId('s', summary.id)}" aria-labelledby="${heading}" data-session="${summary.id}" tabindex="-1">
${top}
<p class="desc">${state.description}</p>
${phases(state)}
${todos(state, true)}
${lastHandoff(state)}
${lastCheckpoint(state)}
${conversations(state)}
${warnings}
${actions(state)}
${history(summary.id)}
</article>`;
}

export function sessionsSection(view: SessionsView): Html {
  const active = view.open.find((c) => c.state?.status === 'active' && !c.summary.corrupt);
  const shown = view.open.length;
  const heading = h`<h2 id="sessions-h">Open sessions <span class="count">${view.openTotal}</span></h2>
<p class="section-note">${active ? h`Active: <a href="#${domId('s', active.summary.id)}">${active.summary.id}</a>` : h`No session is active.`}${
    view.openTotal > shown
      ? h` Showing the ${shown} most recently updated of ${view.openTotal}; <code>wfs session list</code> lists them all.`
      : h``
  }</p>`;
  if (shown === 0)
    return h`${heading}${empty('No open sessions. An agent starts one with wfs session start --auto "TASK".')}`;
  return h`${heading}<div class="cards">${join(view.open.map(card))}</div>`;
}

export function archivedSection(view: SessionsView): Html {
  const heading = h`<h2 id="archived-h">Archived <span class="count">${view.archivedTotal}</span></h2>`;
  if (view.archivedTotal === 0) return h`${heading}${empty('No archived sessions.')}`;
  const rows = view.archived.map(
    (
      s,
    ) => h`<tr id="${domId('a', s.id)}"><th scope="row">${s.id}${s.corrupt ? h` <span class="badge corrupt">damaged</span>` : h``}</th>
<td>${s.project}</td><td>${s.corrupt ? '' : s.phase}</td><td>${s.corrupt ? '' : s.type}</td><td>${s.updated ? when(s.updated) : ''}</td>
<td>${s.corrupt ? h`<span class="muted">${s.reason ?? ''}</span>` : history(s.id, 'Details')}</td></tr>`,
  );
  return h`${heading}
${view.archivedTotal > view.archived.length ? h`<p class="section-note">The ${view.archived.length} most recently archived of ${view.archivedTotal}; <code>wfs session list --all</code> lists them all.</p>` : h``}
<table class="table"><thead><tr><th scope="col">Session</th><th scope="col">Title</th><th scope="col">Phase</th><th scope="col">Type</th><th scope="col">Archived</th><th scope="col"></th></tr></thead>
<tbody>${join(rows)}</tbody></table>`;
}

// ------------------------------------------------------------------ a session's history

function handoff(data: unknown): Html {
  if (data === null || data === undefined) return h``;
  if (typeof data === 'object' && !Array.isArray(data)) {
    const entries = Object.entries(data as Record<string, unknown>);
    if (entries.length === 0) return h``;
    return h`<dl class="handoff">${join(
      entries.map(
        ([key, value]) =>
          h`<div><dt>${key}</dt><dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd></div>`,
      ),
    )}</dl>`;
  }
  return h`<pre class="handoff">${JSON.stringify(data, null, 2)}</pre>`;
}

interface Transition {
  from?: unknown;
  to?: unknown;
  timestamp?: unknown;
  trigger?: unknown;
  handoff_data?: unknown;
}

function checkpointLine(cp: CheckpointEntry): Html {
  if (cp.damaged)
    return h`<li class="damaged"><span class="bad">${cp.id} (${cp.phase}) cannot be read</span></li>`;
  const todo = cp.todos ? h` · todos ${cp.todos.completed}/${cp.todos.total}` : h``;
  const data = cp.data && Object.keys(cp.data).length > 0 ? h`<div>${handoff(cp.data)}</div>` : h``;
  return h`<li><span class="when">${when(cp.timestamp)}</span> <strong>${cp.trigger}</strong> in ${cp.phase}${todo}${data}</li>`;
}

export function damagedFragment(reason: string | undefined): Html {
  return h`<p class="bad">Damaged: ${reason ?? 'the session file cannot be read'}.</p>`;
}

/** The details of one session: phase records, transitions with their handoff data, the checkpoints. */
export function historyFragment(
  state: SessionState,
  location: string,
  checkpoints: readonly CheckpointEntry[],
  warnings: readonly string[],
): Html {
  const transitions = (state.state_transitions as Transition[]).slice().reverse();
  const moments: [string, string | null | undefined][] = [
    ['created', state.created_at],
    ['activated', state.activated_at],
    ['paused', state.paused_at],
    ['resumed', state.resumed_at],
    ['completed', state.completed_at],
    ['archived', state.archived_at],
  ];
  const records = PHASES.map((phase) => {
    const record = state.checkpoints[phase.toLowerCase() as 'plan' | 'implement' | 'review'];
    const extra = [
      record.documents.length ? `documents: ${record.documents.join(', ')}` : '',
      record.agents_completed.length ? `agents done: ${record.agents_completed.join(', ')}` : '',
      record.current_agent ? `agent: ${record.current_agent}` : '',
    ].filter(Boolean);
    return h`<tr><th scope="row">${phase}</th><td>${record.status.replace('_', ' ')}</td><td>${when(record.timestamp)}</td><td>${extra.join('; ')}</td></tr>`;
  });
  return h`${warnings.length ? h`<ul class="card-warnings">${join(warnings.map((w) => h`<li>${w}</li>`))}</ul>` : h``}
<p class="muted">Folder: <code>.workflow/${location}/${state.session_id}</code> · revision ${state.revision}</p>
<dl class="moments">${join(
    moments.filter(([, at]) => at).map(([name, at]) => h`<div><dt>${name}</dt><dd>${when(at)}</dd></div>`),
  )}</dl>
<h4>Phases</h4>
<table class="table compact"><tbody>${join(records)}</tbody></table>
<h4>Transitions</h4>
${
  transitions.length === 0
    ? empty('No phase change yet.')
    : h`<ol class="timeline">${join(
        transitions.map(
          (t) =>
            h`<li><span class="when">${when(String(t.timestamp ?? ''))}</span> <strong>${String(t.from ?? '?')} → ${String(t.to ?? '?')}</strong> <span class="muted">(${String(t.trigger ?? '')})</span>${handoff(t.handoff_data)}</li>`,
        ),
      )}</ol>`
}
<h4>Checkpoints <span class="count">${checkpoints.length}</span></h4>
${checkpoints.length === 0 ? empty('No checkpoint yet.') : h`<ol class="timeline" reversed>${join(checkpoints.slice().reverse().map(checkpointLine))}</ol>`}`;
}

// ------------------------------------------------------------------ coordination

function unavailable(coordination: CoordinationState): Html | undefined {
  return coordination.error === undefined
    ? undefined
    : h`<p class="bad">Not available: ${coordination.error}</p>`;
}

function proc(entry: { host: string; pid: number }, thisHost: string): Html {
  return h`<span class="proc">pid ${entry.pid} on ${entry.host}${entry.host === thisHost ? h`` : h` <span class="tag other">other machine</span>`}</span>`;
}

export function liveSection(coordination: CoordinationState, thisHost: string): Html {
  const heading = h`<h2 id="live-h">Live sessions <span class="count">${coordination.live.length}</span></h2>`;
  const problem = unavailable(coordination);
  if (problem) return h`${heading}${problem}`;
  if (coordination.live.length === 0)
    return h`${heading}${empty('No live session: a session is live while an agent works in it.')}`;
  const rows = [...coordination.live]
    .sort((a, b) => (a.session < b.session ? -1 : 1))
    .map(
      (p: Presence) =>
        h`<li><strong>${p.session}</strong>${workspaceTag(p)}<br>${proc(p, thisHost)} · seen ${when(p.heartbeat_at)}</li>`,
    );
  return h`${heading}<ul class="rows">${join(rows)}</ul>`;
}

export function locksSection(coordination: CoordinationState, thisHost: string): Html {
  const heading = h`<h2 id="locks-h">Locks <span class="count">${coordination.locks.length}</span></h2>`;
  const problem = unavailable(coordination);
  if (problem) return h`${heading}${problem}`;
  if (coordination.locks.length === 0) return h`${heading}${empty('No lock is held.')}`;
  const rows = coordination.locks.map(
    (l: LeaseInfo) => h`<tr><th scope="row"><code>${l.name}</code></th>
<td>${l.holder.session ?? h`<span class="muted">no session</span>`}${workspaceTag(l.holder)}<br>${proc(l.holder, thisHost)}</td>
<td class="num">${l.fence}</td><td>${left(l.expiresAt)}</td></tr>`,
  );
  return h`${heading}<table class="table"><thead><tr><th scope="col">Lock</th><th scope="col">Holder</th><th scope="col">Fence</th><th scope="col">Time left</th></tr></thead><tbody>${join(rows)}</tbody></table>`;
}

export function claimsSection(coordination: CoordinationState): Html {
  const heading = h`<h2 id="claims-h">Path claims <span class="count">${coordination.claims.length}</span></h2>`;
  const problem = unavailable(coordination);
  if (problem) return h`${heading}${problem}`;
  if (coordination.claims.length === 0) return h`${heading}${empty('No paths are claimed.')}`;
  const rows = coordination.claims.map(
    (c) =>
      h`<li><strong>${c.session}</strong>${workspaceTag(c)} · ${left(c.expires_at)}<br>${join(c.paths.map((p) => h`<code class="path">${p}</code> `))}</li>`,
  );
  return h`${heading}<ul class="rows">${join(rows)}</ul>`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A value's size; one that is not text says so, as its start is not shown. */
function sizeOf(result: { bytes: number; binary: boolean }): string {
  return result.binary ? `binary, ${bytes(result.bytes)}` : bytes(result.bytes);
}

export function resultsSection(coordination: CoordinationState): Html {
  const heading = h`<h2 id="results-h">Shared results <span class="count">${coordination.results.length}</span></h2>`;
  const problem = unavailable(coordination);
  if (problem) return h`${heading}${problem}`;
  if (coordination.results.length === 0) return h`${heading}${empty('No shared results.')}`;
  const rows = coordination.results.map(
    (r) => h`<li><code class="key">${r.key}</code> <span class="muted">${sizeOf(r)}</span><br>
by ${r.session ?? 'no session'}${workspaceTag(r)} · ${when(r.put_at)} · ${left(r.expires_at)}
${r.preview === null ? h`` : h`<div class="preview">${r.preview}</div>`}</li>`,
  );
  return h`${heading}<ul class="rows">${join(rows)}</ul>`;
}

// ------------------------------------------------------------------ the event feed

const EVENT_DATA_CHARS = 160;

function eventData(data: Record<string, unknown>): string {
  const text = Object.entries(data)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return text.length > EVENT_DATA_CHARS ? `${text.slice(0, EVENT_DATA_CHARS - 1)}…` : text;
}

const TROUBLE = /\.(failed|lost|conflict|skipped)$|^conflict\./;

export function eventItem(event: WfsEvent): Html {
  const family = event.type.split('.')[0] ?? 'event';
  return h`<li class="event ${family}${TROUBLE.test(event.type) ? ' trouble' : ''}" data-id="${event.id}">
<span class="when">${when(event.at)}</span> <span class="type">${event.type}</span> ${event.session ?? h`<span class="muted">-</span>`}${workspaceTag(event)}
${Object.keys(event.data).length ? h`<span class="data">${eventData(event.data)}</span>` : h``}</li>`;
}

/** Newest first. */
export function eventsList(events: readonly WfsEvent[]): Html {
  return join(events.slice().reverse().map(eventItem));
}

// ------------------------------------------------------------------ the page

export interface PageParts {
  title: string;
  csrf: string;
  lastEventId: number;
  version: number;
  serverNow: number;
  sections: ReadonlyMap<string, string>;
  events: readonly WfsEvent[];
}

export const SECTION_IDS = [
  'project',
  'notices',
  'sessions',
  'archived',
  'live',
  'locks',
  'claims',
  'results',
] as const;
export type SectionId = (typeof SECTION_IDS)[number];

export function page(parts: PageParts): Html {
  const section = (id: SectionId) => raw(parts.sections.get(id) ?? '');
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="wfs-csrf" content="${parts.csrf}">
<link rel="icon" href="data:,">
<title>wfs · ${parts.title}</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/dashboard.js"></script>
</head>
<body data-last-event="${parts.lastEventId}" data-version="${parts.version}" data-server-now="${parts.serverNow}">
<a class="skip" href="#sessions">Skip to the sessions</a>
<header class="top">
  <div id="project">${section('project')}</div>
  <p id="connection" class="connection"><span class="state" role="status">Connecting…</span><span class="updated"></span></p>
</header>
<div id="notices">${section('notices')}</div>
<div class="messages">
  <p id="flash" role="status" aria-live="polite"></p>
  <div id="alert" role="alert"></div>
</div>
<main class="grid">
  <div class="col-main">
    <section id="sessions" aria-labelledby="sessions-h" tabindex="-1">${section('sessions')}</section>
    <section id="archived" aria-labelledby="archived-h">${section('archived')}</section>
  </div>
  <div class="col-side">
    <section id="live" aria-labelledby="live-h">${section('live')}</section>
    <section id="locks" aria-labelledby="locks-h">${section('locks')}</section>
    <section id="claims" aria-labelledby="claims-h">${section('claims')}</section>
    <section id="results" aria-labelledby="results-h">${section('results')}</section>
    <section id="feed" aria-labelledby="events-h">
      <h2 id="events-h">Events</h2>
      <ol id="events" class="events" role="log" aria-live="off" aria-label="Events, newest first">${eventsList(parts.events)}</ol>
      ${parts.events.length === 0 ? h`<p class="empty" id="events-empty">No events yet.</p>` : h``}
    </section>
  </div>
</main>
<footer class="foot">wfs dashboard · actions go through the same library as the CLI · <kbd>Tab</kbd> moves between actions</footer>
</body>
</html>`;
}

export const TEXT = {
  /** The answer to a request without the token. */
  unauthorized:
    'This wfs dashboard needs its token: open the URL that `wfs dashboard` printed (it ends with ?token=...).',
};
