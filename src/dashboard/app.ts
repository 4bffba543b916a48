import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { isWfsError } from '../index.js';
import { parseActionInput } from './actions.js';
import type { DashboardHub, Message } from './hub.js';
import { page, TEXT } from './render.js';
import { type StaticFile, staticFile } from './static-files.js';

/**
 * The dashboard's routes. Every request, to any path, needs the token `wfs dashboard` printed
 * (`?token=`, or the cookie set when the page is first opened with it): without it, 401. A path
 * that is not a route is a 404 at once. Actions are POSTs that must carry the page's CSRF token in
 * a header and come from the page's own origin, so another site open in the same browser cannot
 * make them (the cookie is SameSite=Strict as well).
 */

export interface AppOptions {
  token: string;
  csrf: string;
  /** The cookie's name: one per port, since browsers share cookies between ports of one host. */
  cookie: string;
}

// A page whose connection is this far behind (a tab asleep, a network that holds writes) is
// dropped: it reconnects, and catches up from its last event.
const MAX_QUEUED_WRITES = 1_000;
// A comment line this often keeps the connection open through idle periods, and lets the server
// notice a page that has gone.
const KEEPALIVE_MS = 15_000;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const CONTENT_TYPES: Record<StaticFile, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

const STATUS_OF_EXIT: Record<number, 400 | 409 | 500> = { 1: 409, 2: 400, 3: 409, 4: 409 };

function failure(error: unknown): { status: 400 | 404 | 409 | 500; body: unknown } {
  if (isWfsError(error)) {
    const status = error.code.endsWith('NOT_FOUND') ? 404 : (STATUS_OF_EXIT[error.exitCode] ?? 500);
    return { status, body: { error: { code: error.code, message: error.message } } };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'E_INTERNAL',
        message: `Internal error: ${error instanceof Error ? error.message : String(error)}. Please report it.`,
      },
    },
  };
}

function sinceOf(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

export function dashboardApp(hub: DashboardHub, options: AppOptions): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const given = c.req.query('token');
    const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
    const cookie = getCookie(c, options.cookie);
    const ok = [given, bearer, cookie].some((t) => t !== undefined && same(t, options.token));
    if (!ok) return c.text(`401 Unauthorized. ${TEXT.unauthorized}\n`, 401);
    if (given !== undefined) {
      setCookie(c, options.cookie, options.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      // The token leaves the address bar (and the history, and screenshots) once the cookie holds it.
      if (c.req.method === 'GET' && c.req.path === '/') return c.redirect('/', 303);
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
  });

  app.get('/', async (c) => {
    await hub.fresh();
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    return c.html(
      String(
        page({
          title: hub.projectName,
          csrf: options.csrf,
          lastEventId: hub.lastEventId,
          version: hub.version,
          serverNow: Date.now(),
          sections: hub.sections,
          events: hub.recentEvents,
        }),
      ),
    );
  });

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    if (!Object.hasOwn(CONTENT_TYPES, name)) return c.notFound();
    return c.body(staticFile(name as StaticFile), 200, { 'Content-Type': CONTENT_TYPES[name as StaticFile] });
  });

  app.get('/events', (c) => {
    // A reconnecting EventSource says the last event it saw; the first connection says it in the URL.
    const since = sinceOf(c.req.header('last-event-id')) ?? sinceOf(c.req.query('since'));
    const version = sinceOf(c.req.query('version'));
    return streamSSE(c, async (stream) => {
      let queued = 0;
      let writes = Promise.resolve();
      const write = (message: Message | { comment: string }) => {
        if (stream.aborted || stream.closed) return;
        if (++queued > MAX_QUEUED_WRITES) {
          stream.abort();
          return;
        }
        writes = writes
          .then(() =>
            'comment' in message
              ? stream.write(`: ${message.comment}\n\n`).then(() => {})
              : stream.writeSSE({
                  event: message.event,
                  data: message.data,
                  ...('id' in message ? { id: message.id } : {}),
                }),
          )
          .catch(() => stream.abort())
          .finally(() => {
            queued--;
          });
      };
      // Reconnect after a second when the connection drops (the default is three).
      await stream.write('retry: 1000\n\n');
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      const leave = await hub.subscribe({ send: write }, since, version);
      write({ event: 'state', data: JSON.stringify({ connected: true, pages: hub.pages }) });
      const keepalive = setInterval(() => write({ comment: 'keepalive' }), KEEPALIVE_MS);
      await Promise.race([closed, hub.closed]);
      clearInterval(keepalive);
      leave();
    });
  });

  app.get('/sessions/:id/history', async (c) => {
    try {
      return c.html(await hub.history(c.req.param('id')));
    } catch (error) {
      const { status, body } = failure(error);
      return c.html(
        `<p class="bad">${escapeHtml((body as { error: { message: string } }).error.message)}</p>`,
        status,
      );
    }
  });

  app.post('/actions/:name', async (c) => {
    const name = c.req.param('name');
    if (!hub.hasAction(name))
      return c.json({ error: { code: 'E_NOT_FOUND', message: `No action ${name}` } }, 404);
    const csrf = c.req.header('x-wfs-csrf');
    const origin = c.req.header('origin');
    const host = c.req.header('host');
    if (
      csrf === undefined ||
      !same(csrf, options.csrf) ||
      (origin !== undefined && origin !== `http://${host}`)
    )
      return c.json(
        {
          error: {
            code: 'E_CSRF',
            message: 'Refused: an action must come from the dashboard page itself (reload it)',
          },
        },
        403,
      );
    if (!(c.req.header('content-type') ?? '').startsWith('application/json'))
      return c.json({ error: { code: 'E_INVALID_INPUT', message: 'An action is sent as JSON' } }, 415);
    try {
      const body: unknown = await c.req.json().catch(() => {
        throw Object.assign(new Error('not JSON'), { invalidJson: true });
      });
      const outcome = await hub.act(name, parseActionInput(body));
      return c.json({
        ok: true,
        message: outcome.message,
        warnings: outcome.warnings,
        result: outcome.result,
      });
    } catch (error) {
      if ((error as { invalidJson?: boolean }).invalidJson)
        return c.json({ error: { code: 'E_INVALID_INPUT', message: 'The request body is not JSON' } }, 400);
      const { status, body } = failure(error);
      return c.json(body, status);
    }
  });

  app.notFound((c) => c.text(`404 Not Found: ${c.req.method} ${c.req.path}\n`, 404));
  app.onError((error, c) => {
    const { status, body } = failure(error);
    return c.json(body, status);
  });
  return app;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
