import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, CLI_BUNDLE, makeRepo, spawnWfs, wfs } from '../helpers.js';
import { type RunningDashboard, startDashboardProcess, until } from './harness.js';

/** `wfs dashboard` as a server, without a browser: its routes, its refusals, its start and stop. */

const running: RunningDashboard[] = [];
afterAll(async () => {
  for (const dashboard of running) expect(await dashboard.stop()).toBe(0);
});

async function serve(
  root: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<RunningDashboard> {
  const dashboard = await startDashboardProcess(root, env, args);
  running.push(dashboard);
  return dashboard;
}

async function pageOf(dashboard: RunningDashboard): Promise<string> {
  const response = await fetch(`${dashboard.origin}/`, { headers: dashboard.auth });
  expect(response.status).toBe(200);
  return response.text();
}

function csrfOf(page: string): string {
  return /<meta name="wfs-csrf" content="([^"]+)">/.exec(page)![1]!;
}

describe('wfs dashboard: the server', () => {
  it('answers 401 on every route without its token, 404 at once on an unknown one with it', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'guarded']);
    const dashboard = await serve(root);
    const routes: [string, string][] = [
      ['GET', '/'],
      ['GET', '/events'],
      ['GET', '/assets/dashboard.js'],
      ['GET', '/assets/dashboard.css'],
      ['GET', '/sessions/WFS-guarded/history'],
      ['POST', '/actions/pause'],
      ['GET', '/no/such/route'],
      ['DELETE', '/sessions/WFS-guarded'],
    ];
    for (const [method, route] of routes) {
      const refusals: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong' },
        { cookie: `wfs_dashboard_${new URL(dashboard.origin).port}=wrong` },
      ];
      for (const headers of refusals) {
        const response = await fetch(`${dashboard.origin}${route}`, { method, headers });
        expect(response.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(401);
        expect(await response.text()).toContain('needs its token');
      }
      const wrongQuery = await fetch(`${dashboard.origin}${route}?token=nope`, { method });
      expect(wrongQuery.status).toBe(401);
    }
    for (const [method, route] of [
      ['GET', '/no/such/route'],
      ['DELETE', '/sessions/WFS-guarded'],
      ['GET', '/assets/secrets.txt'],
      ['GET', '/actions/pause'],
      ['POST', '/actions/archive'],
      ['POST', '/actions/delete'],
    ] as const) {
      const response = await fetch(`${dashboard.origin}${route}`, { method, headers: dashboard.auth });
      expect(response.status, `${method} ${route}`).toBe(404);
    }
    // The token in the URL becomes a cookie (HttpOnly, SameSite=Strict), and leaves the address.
    const first = await fetch(dashboard.url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await fetch(`${dashboard.origin}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`${dashboard.origin}/assets/dashboard.js`, { headers: dashboard.auth });
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('new EventSource');
  });

  it('takes actions only from its own page: the CSRF token in a header, its own origin, JSON', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'protected']);
    const dashboard = await serve(root);
    const csrf = csrfOf(await pageOf(dashboard));
    const post = (headers: Record<string, string>, body = '{"session": "WFS-protected"}') =>
      fetch(`${dashboard.origin}/actions/pause`, {
        method: 'POST',
        headers: { ...dashboard.auth, 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-wfs-csrf': 'guessed' })).status).toBe(403);
    const crossSite = await post({ 'x-wfs-csrf': csrf, origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: { code: 'E_CSRF' } });
    expect((await post({ 'x-wfs-csrf': csrf, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ 'x-wfs-csrf': csrf }, 'not json')).status).toBe(400);
    expect((await post({ 'x-wfs-csrf': csrf }, '{"session": 7}')).status).toBe(400);
    // What the session is and may be, the library says: the same errors as the CLI.
    const traversal = await post({ 'x-wfs-csrf': csrf }, '{"session": "../../etc"}');
    expect(traversal.status).toBe(400);
    expect(await traversal.json()).toMatchObject({ error: { code: 'E_INVALID_ID' } });
    const missing = await post({ 'x-wfs-csrf': csrf }, '{"session": "WFS-nobody"}');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: 'E_SESSION_NOT_FOUND', message: 'Session WFS-nobody not found' },
    });
    expect(JSON.parse((await wfs(root, ['session', 'show', '--json'])).stdout).session.status).toBe('active');

    const done = await post({ 'x-wfs-csrf': csrf, origin: dashboard.origin });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ ok: true, message: 'Paused WFS-protected.' });
    expect(
      JSON.parse((await wfs(root, ['session', 'show', 'WFS-protected', '--json'])).stdout).session.status,
    ).toBe('paused');
    const phase = await fetch(`${dashboard.origin}/actions/phase`, {
      method: 'POST',
      headers: { ...dashboard.auth, 'content-type': 'application/json', 'x-wfs-csrf': csrf },
      body: '{"session": "WFS-protected", "phase": "LATER"}',
    });
    expect(phase.status).toBe(400);
    expect(await phase.json()).toEqual({
      error: { code: 'E_INVALID_INPUT', message: 'Invalid phase. Valid phases: PLAN, IMPLEMENT, REVIEW' },
    });
  });

  it("serves a session's history: phase records, transitions with their handoff data, checkpoints", async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'storied']);
    await wfs(root, ['todo', 'add', 'a step']);
    await wfs(root, ['todo', 'done', '1']);
    await wfs(root, ['phase', 'IMPLEMENT', '--handoff', '{"summary": "the plan is agreed"}']);
    const dashboard = await serve(root);
    const history = await fetch(`${dashboard.origin}/sessions/WFS-storied/history`, {
      headers: dashboard.auth,
    });
    expect(history.status).toBe(200);
    const text = await history.text();
    expect(text).toContain('PLAN → IMPLEMENT');
    expect(text).toContain('the plan is agreed');
    expect(text).toContain('todo_milestone');
    expect(text).toContain('phase_transition');
    const bad = await fetch(`${dashboard.origin}/sessions/..%2F..%2Fetc/history`, {
      headers: dashboard.auth,
    });
    expect(bad.status).toBe(400);
    const gone = await fetch(`${dashboard.origin}/sessions/WFS-nobody/history`, { headers: dashboard.auth });
    expect(gone.status).toBe(404);
  });

  it('a port in use is an ERROR naming it; another host only when asked, with a WARNING', async () => {
    const root = makeRepo();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const taken = await wfs(root, ['dashboard', '--no-open', '--port', String(port)]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toBe(
        `ERROR: Port ${port} on 127.0.0.1 is in use (another dashboard, or another program): choose another with --port, or leave --port out for a free one\n`,
      );
    } finally {
      blocker.close();
    }
    const nowhere = await wfs(root, ['dashboard', '--no-open', '--host', 'nowhere.invalid']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toBe(
      'ERROR: Cannot listen on nowhere.invalid: nowhere.invalid is not an address of this machine\n',
    );
    expect((await wfs(root, ['dashboard', '--no-open', '--port', '0'])).code).toBe(2);
    expect((await wfs(root, ['dashboard', '--no-open', '--port', '70000'])).code).toBe(2);
    const wide = await serve(root, {}, ['--host', '0.0.0.0']);
    expect(new URL(wide.url).hostname).toBe('0.0.0.0');
    await until(() => wide.stderr().includes('WARNING: Serving on 0.0.0.0'));
    const local = await serve(root);
    expect(new URL(local.url).hostname).toBe('127.0.0.1');
    expect(local.stderr()).not.toContain('Serving on');
  });

  it('prints its URL and what it did about the browser, and stops cleanly on SIGTERM', async () => {
    const root = makeRepo();
    const child = spawnWfs(root, ['dashboard'], { env: { DISPLAY: '', WAYLAND_DISPLAY: '' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await until(() => out.includes('BROWSER:'));
    expect(out).toMatch(/^DASHBOARD: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}\n/);
    expect(out).toContain(`ROOT: ${root}\n`);
    expect(out).toContain(
      'BROWSER: not opened: no display ($DISPLAY and $WAYLAND_DISPLAY are not set); open the URL above\n',
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('started where there is no .workflow/, it says so (and shows the project once a session is started there)', async () => {
    const root = makeRepo();
    const dashboard = await serve(root);
    expect(dashboard.stderr()).toContain(`WARNING: ${root} has no .workflow/ folder`);
    expect(await pageOf(dashboard)).toContain(`No wfs project here: ${root} has no .workflow/ folder`);
    const events = await fetch(`${dashboard.origin}/events`, { headers: dashboard.auth });
    const reader = events.body!.getReader();
    await wfs(root, ['session', 'start', '--new', 'arrived']);
    let text = '';
    while (!text.includes('WFS-arrived')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(await pageOf(dashboard)).not.toContain('No wfs project here');
  });

  it('a damaged project file is shown as damaged (never "Unknown"); a damaged config.json leaves the sessions shown', async () => {
    const root = makeRepo({ 'package.json': '{"name": "shop"}' });
    await wfs(root, ['session', 'start', '--new', 'still here']);
    fs.writeFileSync(
      path.join(root, '.workflow', 'project-tech.json'),
      '{"schema_version": "1.1", "project_name": 3}',
    );
    fs.writeFileSync(
      path.join(root, '.workflow', 'config.json'),
      '{"coordination": {"backend": "carrier-pigeon"}}',
    );
    const dashboard = await serve(root);
    const page = await pageOf(dashboard);
    expect(page).toContain('.workflow/project-tech.json is damaged: schema:');
    expect(page).toContain('project-tech.json is damaged</span>');
    expect(page).not.toMatch(/unknown/i);
    expect(page).toContain('WFS-still-here');
    expect(page).toMatch(/Problem:<\/strong> The coordination settings cannot be read: .*config\.json/);
    expect(page).toContain('coordination settings unreadable');
    // Corrected while the page runs: read again (a project context keeps config.json once read,
    // so the dashboard takes a fresh one when the project's files change).
    fs.writeFileSync(path.join(root, '.workflow', 'config.json'), '{"coordination": {"backend": "local"}}');
    const fixed = await until(async () => {
      const now = await pageOf(dashboard);
      return !now.includes('coordination settings unreadable') && now;
    });
    expect(fixed).not.toContain('The coordination settings cannot be read');
  });

  it("shows the live sessions of every workspace (another worktree's named by its folder), their path claims and the shared results", async () => {
    const main = makeRepo({ 'src/a.js': 'export const a = 1;\n' });
    const git = (...args: string[]) => {
      const run = spawnSync('git', args, { cwd: main, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
    };
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
    const tree = path.join(path.dirname(main), `${path.basename(main)}-tree`);
    git('worktree', 'add', '-q', '-b', 'tree', tree);
    try {
      const ok = async (root: string, args: string[], input?: string) => {
        const run = await wfs(root, args, input === undefined ? {} : { input });
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      };
      await ok(main, ['session', 'start', '--new', 'here task']);
      await ok(main, ['claim', 'src/**']);
      await ok(tree, ['session', 'start', '--new', 'tree task']);
      await ok(tree, ['claim', 'docs/guide.md']);
      await ok(tree, ['results', 'put', 'tests:abc'], 'all green');
      const page = await pageOf(await serve(main));
      const section = (id: string) =>
        new RegExp(`<section id="${id}"[^>]*>([\\s\\S]*?)</section>`).exec(page)?.[1] ?? '';
      const treeTag = ` <span class="tag" title="workspace">${path.basename(tree)}</span>`;
      const live = section('live');
      expect(live).toContain('<strong>WFS-here-task</strong>');
      expect(live).toContain(`<strong>WFS-tree-task</strong>${treeTag}`);
      const claims = section('claims');
      expect(claims).toMatch(/<strong>WFS-here-task<\/strong>.*<code class="path">src\/\*\*<\/code>/s);
      expect(claims).toMatch(
        new RegExp(
          `<strong>WFS-tree-task</strong>${treeTag}.*<code class="path">docs/guide\\.md</code>`,
          's',
        ),
      );
      const results = section('results');
      expect(results).toContain('tests:abc');
      expect(results).toContain('WFS-tree-task');
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  it('a Redis that cannot be reached is said on the page, and the sessions are still shown', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'offline']);
    const dashboard = await serve(root, { WFS_REDIS_URL: 'redis://127.0.0.1:1' });
    const page = await pageOf(dashboard);
    expect(page).toContain('WFS-offline');
    expect(page).toMatch(/Coordination \(redis\): Cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it('is a lazily loaded file of its own: no other command loads Hono', () => {
    const bundle = fs.readFileSync(CLI_BUNDLE, 'utf8');
    expect(bundle).not.toMatch(/hono/i);
    const lazy = fs.readFileSync(path.join(path.dirname(CLI), 'lazy', 'dashboard-command.cjs'), 'utf8');
    expect(lazy).toContain('hono');
    // Its script and style sheet are inside: nothing to find beside it at run time.
    expect(lazy).toContain('new EventSource');
    expect(lazy).toContain('prefers-color-scheme');
  });
});
