// The wfs dashboard's script: a plain ES module, served as written. The server renders every piece
// of the page; this keeps it live (Server-Sent Events replace the sections that changed and add
// events to the feed), sends the actions, and turns instants into "2 min ago" and "42 s left".
// Nothing is changed on the page before the server says it happened: an action that fails shows
// its error and leaves the page as it was.

const body = document.body;
const csrf = document.querySelector('meta[name="wfs-csrf"]')?.getAttribute('content') ?? '';
// The server's clock minus this one: expiries are the server's (or Redis') instants.
const skew = Number(body.dataset.serverNow) - Date.now();
const FEED_KEPT = 60;

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ times

function ago(ms) {
  const s = Math.round(ms / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

function remaining(ms) {
  if (ms <= 0) return 'expired';
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s} s left`;
  if (s < 7200) return `${Math.round(s / 60)} min left`;
  return `${Math.round(s / 3600)} h left`;
}

function tick(root = document) {
  const now = Date.now() + skew;
  for (const el of root.querySelectorAll('time[data-rel]')) {
    const at = Date.parse(el.getAttribute('datetime') ?? '');
    if (Number.isNaN(at)) continue;
    el.textContent = ago(now - at);
    el.title = new Date(at).toLocaleString();
  }
  for (const el of root.querySelectorAll('[data-expires]')) {
    const at = Number(el.dataset.expires);
    el.textContent = remaining(at - now);
    el.title = `until ${new Date(at).toLocaleString()}`;
    el.classList.toggle('soon', at - now < 10_000);
  }
}

// ------------------------------------------------------------------ messages

function flash(text) {
  $('flash').textContent = text;
}

function alertError(text) {
  const box = $('alert');
  box.textContent = '';
  if (!text) return;
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'small quiet';
  close.textContent = 'Dismiss';
  close.dataset.dismiss = '';
  p.append(' ', close);
  box.append(p);
}

// ------------------------------------------------------------------ live sections

/** What identifies a focused control across a re-render: its id, or its action and session. */
function keyOf(el) {
  if (!(el instanceof HTMLElement)) return undefined;
  if (el.id) return { id: el.id };
  if (el.dataset.action)
    return { action: el.dataset.action, session: el.dataset.session, todo: el.dataset.todo };
  if (el.closest('details[data-history]') && el.tagName === 'SUMMARY')
    return { summary: el.closest('details').dataset.history };
  return undefined;
}

function find(root, key) {
  if (key.id) return document.getElementById(key.id);
  if (key.summary) return root.querySelector(`details[data-history="${CSS.escape(key.summary)}"] > summary`);
  const todo = key.todo ? `[data-todo="${CSS.escape(key.todo)}"]` : '';
  return root.querySelector(
    `[data-action="${CSS.escape(key.action)}"][data-session="${CSS.escape(key.session ?? '')}"]${todo}`,
  );
}

function replaceSection(id, html) {
  const section = $(id);
  if (!section) return;
  const focused = section.contains(document.activeElement) ? document.activeElement : undefined;
  const key = keyOf(focused);
  const focusedSession = focused?.closest('[data-session]')?.dataset.session;
  const open = new Map();
  for (const details of section.querySelectorAll('details[data-history][open]'))
    open.set(details.dataset.history, details.querySelector('.history-body')?.innerHTML ?? '');
  const chosen = new Map();
  for (const select of section.querySelectorAll('select[id]')) chosen.set(select.id, select.value);

  section.innerHTML = html;

  for (const [historyId, content] of open) {
    const details = section.querySelector(`details[data-history="${CSS.escape(historyId)}"]`);
    if (!details) continue;
    const target = details.querySelector('.history-body');
    if (target) target.innerHTML = content;
    details.open = true; // its toggle event loads the history again, as it is now
  }
  for (const [selectId, value] of chosen) {
    const select = document.getElementById(selectId);
    if (select && [...select.options].some((o) => o.value === value)) select.value = value;
  }
  if (focused) {
    // The control may be gone (Pause became Resume): the card's first control, else the card.
    const card = focusedSession && `article[data-session="${CSS.escape(focusedSession)}"]`;
    const again =
      (key && find(section, key)) ||
      (card && (section.querySelector(`${card} button`) ?? section.querySelector(card)));
    if (again instanceof HTMLElement) again.focus({ preventScroll: true });
  }
  tick(section);
}

function addEvent(id, html) {
  const feed = $('events');
  if (feed.querySelector(`[data-id="${id}"]`)) return;
  $('events-empty')?.remove();
  feed.insertAdjacentHTML('afterbegin', html);
  while (feed.children.length > FEED_KEPT) feed.lastElementChild.remove();
  tick(feed.firstElementChild);
}

/** The state is a live region (said when it changes); the time of the last change is not (it would be said at every change). */
function setConnection(state, text, updated = '') {
  const el = $('connection');
  const stateEl = el.querySelector('.state');
  if (el.dataset.state !== state || stateEl.textContent !== text) stateEl.textContent = text;
  el.dataset.state = state;
  el.querySelector('.updated').textContent = updated ? ` · last change ${updated}` : '';
}

function connect() {
  const since = body.dataset.lastEvent ?? '0';
  const version = body.dataset.version ?? '';
  // On a reconnect the browser sends Last-Event-ID itself: the server sends every event after it.
  const source = new EventSource(
    `/events?since=${encodeURIComponent(since)}&version=${encodeURIComponent(version)}`,
  );
  let updated = '';
  const live = () => setConnection('live', 'Live', updated);
  source.addEventListener('open', live);
  source.addEventListener('sections', (message) => {
    const { sections } = JSON.parse(message.data);
    for (const [id, html] of Object.entries(sections)) replaceSection(id, html);
    updated = new Date().toLocaleTimeString();
    live();
  });
  source.addEventListener('wfs', (message) => {
    const { id, html } = JSON.parse(message.data);
    addEvent(id, html);
    updated = new Date().toLocaleTimeString();
    live();
  });
  source.addEventListener('state', (message) => {
    const state = JSON.parse(message.data);
    if (state.warning) flash(state.warning);
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED)
      setConnection(
        'closed',
        'Disconnected: this dashboard has stopped (or restarted with a new token). Open the URL wfs dashboard prints.',
      );
    else setConnection('reconnecting', 'Reconnecting… (the page shows what it last knew)');
  });
}

// ------------------------------------------------------------------ history

async function loadHistory(details) {
  const target = details.querySelector('.history-body');
  if (!target) return;
  if (!target.innerHTML.trim()) target.textContent = 'Loading…';
  try {
    const response = await fetch(`/sessions/${encodeURIComponent(details.dataset.history)}/history`, {
      headers: { Accept: 'text/html' },
    });
    target.innerHTML = await response.text();
    tick(target);
  } catch (error) {
    target.textContent = `Cannot load the history: ${error.message}`;
  }
}

document.addEventListener(
  'toggle',
  (event) => {
    const details = event.target;
    if (details instanceof HTMLDetailsElement && details.dataset.history && details.open)
      void loadHistory(details);
  },
  true,
);

// ------------------------------------------------------------------ actions

const CONFIRM = {
  complete: (session) => `Complete ${session} and archive it? An archived session is read-only.`,
};
const DOING = {
  switch: 'Switching to',
  pause: 'Pausing',
  resume: 'Resuming',
  complete: 'Completing',
  phase: 'Changing the phase of',
  'todo-done': 'Marking the todo done in',
};

async function act(button) {
  const action = button.dataset.action;
  const session = button.dataset.session;
  const input = { session };
  if (button.dataset.todo) input.todo = Number(button.dataset.todo);
  if (action === 'phase') {
    const select = document.querySelector(`select[data-phase-for="${CSS.escape(session)}"]`);
    input.phase = select?.value;
  }
  const question = CONFIRM[action]?.(session);
  if (question && !window.confirm(question)) return;
  // Not `disabled`: a disabled button loses the focus, and a keyboard user would lose their place.
  button.setAttribute('aria-disabled', 'true');
  button.setAttribute('aria-busy', 'true');
  flash(`${DOING[action] ?? action} ${session}…`);
  alertError('');
  try {
    const response = await fetch(`/actions/${encodeURIComponent(action)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-WFS-CSRF': csrf },
      body: JSON.stringify(input),
    });
    const answer = await response.json().catch(() => ({
      error: { code: `HTTP ${response.status}`, message: response.statusText || 'no answer' },
    }));
    if (response.ok && answer.ok) {
      flash([answer.message, ...(answer.warnings ?? []).map((w) => `Warning: ${w}`)].join(' '));
    } else {
      flash('');
      alertError(
        `${button.textContent} failed: ${answer.error?.message ?? 'unknown error'} (${answer.error?.code ?? response.status})`,
      );
    }
  } catch (error) {
    flash('');
    alertError(`${button.textContent} failed: the dashboard did not answer (${error.message})`);
  } finally {
    // The button may have been replaced meanwhile by the section's new version.
    button.removeAttribute('aria-disabled');
    button.removeAttribute('aria-busy');
  }
}

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target : undefined;
  if (target?.closest('[data-dismiss]')) {
    alertError('');
    return;
  }
  const button = target?.closest('button[data-action]');
  if (button && button.getAttribute('aria-disabled') !== 'true') void act(button);
});

// ------------------------------------------------------------------ start

tick();
setInterval(() => tick(), 1000);
connect();
