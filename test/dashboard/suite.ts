import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WfsEvent } from '../../src/coord/types.js';
import { json, makeRepo, type Run, wfs } from '../helpers.js';
import {
  launchChromium,
  openStream,
  type RunningDashboard,
  startDashboardProcess,
  until,
  within,
} from './harness.js';

/**
 * The dashboard in a real browser, on one coordination backend; run by browser.test.ts (the
 * embedded backend) and redis.test.ts (a redis-server of the tests' own), so both show the same.
 */

/** What a person sees within a second of a change made by another process (the page's promise). */
const LIVE_MS = 1_000;

/** The accessible names of the buttons these tests press: the last test checks the page has no other. */
const pressed = new Set<string>();

async function press(scope: Locator | Page, name: string): Promise<void> {
  pressed.add(name);
  await scope.getByRole('button', { name, exact: true }).click();
}

interface Show {
  session: { status: string; current_phase: string; todos: { id: number; status: string }[] };
}

export function dashboardSuite(backend: string, environment: (root: string) => NodeJS.ProcessEnv): void {
  describe(`the dashboard in a browser (${backend} backend)`, () => {
    let browser: Browser;
    const running: RunningDashboard[] = [];
    const run = (root: string, args: string[], input?: string): Promise<Run> =>
      wfs(root, args, { env: environment(root), ...(input === undefined ? {} : { input }) });
    const ok = async (root: string, args: string[], input?: string) => {
      const result = await run(root, args, input);
      if (result.code !== 0) throw new Error(`wfs ${args.join(' ')}: ${result.stderr}`);
      return result;
    };
    const show = async (root: string, id: string) =>
      json<Show>(await ok(root, ['session', 'show', id, '--json']));
    const serve = async (root: string) => {
      const dashboard = await startDashboardProcess(root, environment(root));
      running.push(dashboard);
      return dashboard;
    };
    const open = async (dashboard: RunningDashboard) => {
      const page = await browser.newPage();
      await page.goto(dashboard.url);
      await page.locator('#connection[data-state="live"]').waitFor();
      // Gone after a reload: its presence proves the page was only updated in place.
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      return page;
    };
    const notReloaded = (page: Page) =>
      page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded === true);
    const card = (page: Page, id: string) => page.locator(`#s-${id}`);

    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      for (const dashboard of running) expect(await dashboard.stop()).toBe(0);
      await browser?.close();
    });

    it('lists the open and archived sessions, a damaged one marked, and answers nothing without its token', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'add the login page']);
      await ok(root, ['todo', 'add', 'write the form']);
      await ok(root, ['session', 'start', '--new', 'write the docs', '--type', 'docs']);
      await ok(root, ['session', 'complete']);
      await ok(root, ['session', 'start', '--new', 'fix the upload test']);
      await ok(root, ['session', 'start', '--new', 'broken one']);
      fs.writeFileSync(
        path.join(root, '.workflow/active/WFS-broken-one/workflow-session.json'),
        '{"session_id": ',
      );
      const dashboard = await serve(root);

      const page = await browser.newPage();
      const refused = await page.goto(`${dashboard.origin}/`);
      expect(refused?.status()).toBe(401);
      expect(await page.textContent('body')).toContain('needs its token');
      expect((await page.goto(`${dashboard.origin}/nowhere`))?.status()).toBe(401);

      await page.goto(dashboard.url);
      // The token leaves the address bar once the cookie holds it.
      expect(page.url()).toBe(`${dashboard.origin}/`);
      const sessions = page.getByRole('region', { name: /Open sessions/ });
      await see(sessions.getByRole('article')).toHaveCount(3);
      const login = card(page, 'WFS-add-the-login-page');
      expect(await login.locator('.badge').textContent()).toBe('paused');
      expect(await login.textContent()).toContain('write the form');
      expect(await card(page, 'WFS-fix-the-upload-test').locator('.badge').textContent()).toBe('paused');
      const broken = card(page, 'WFS-broken-one');
      expect(await broken.locator('.badge').textContent()).toBe('damaged');
      expect(await broken.textContent()).toMatch(/Damaged: .*JSON/);
      expect(await broken.textContent()).not.toContain('Unknown');
      const archived = page.getByRole('region', { name: /Archived/ });
      expect(await archived.getByRole('row', { name: /WFS-write-the-docs/ }).count()).toBe(1);
      // Known once the token is given; an unknown route answers 404 at once.
      expect((await page.goto(`${dashboard.origin}/nowhere`))?.status()).toBe(404);
      await page.close();
    });

    it('shows a session started and a lock taken by another process within a second, without a reload', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'first task']);
      const page = await open(await serve(root));

      await ok(root, ['session', 'start', '--new', 'second task']);
      await card(page, 'WFS-second-task').waitFor({ timeout: LIVE_MS });
      expect(await card(page, 'WFS-second-task').locator('.badge').textContent()).toBe('active');
      await page.getByText('session.started', { exact: false }).first().waitFor({ timeout: LIVE_MS });

      const lock = json<{ fence: number }>(
        await ok(root, ['lock', 'acquire', 'db-migrate', '--ttl', '5m', '--json']),
      );
      const row = page.getByRole('region', { name: /Locks/ }).getByRole('row', { name: /db-migrate/ });
      await row.waitFor({ timeout: LIVE_MS });
      expect(await row.textContent()).toContain('WFS-second-task');
      expect(await row.textContent()).toContain(String(lock.fence));
      expect(await row.textContent()).toMatch(/\d+ min left|\d+ s left/);
      expect(await notReloaded(page)).toBe(true);
      await page.close();
    });

    it('Pause pauses the session on disk and the page shows it; Resume, Switch, Phase and Done do what the CLI does', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'paused one']);
      await ok(root, ['session', 'start', '--new', 'working one']);
      await ok(root, ['todo', 'add', 'first step']);
      await ok(root, ['todo', 'add', 'second step']);
      const page = await open(await serve(root));
      const working = card(page, 'WFS-working-one');

      await press(working, 'Pause');
      expect((await show(root, 'WFS-working-one')).session.status).toBe('paused');
      await within(
        LIVE_MS,
        'the card says paused',
        async () => (await working.locator('.badge').textContent()) === 'paused',
      );
      await see(page.locator('#flash')).toHaveText('Paused WFS-working-one.');

      // From the keyboard: the button takes focus and Enter presses it; after the card is
      // rendered anew (Resume gives way to Pause), the focus is still in that card.
      pressed.add('Resume');
      await working.getByRole('button', { name: 'Resume', exact: true }).focus();
      await page.keyboard.press('Enter');
      await within(
        LIVE_MS,
        'the card says active',
        async () => (await working.locator('.badge').textContent()) === 'active',
      );
      expect((await show(root, 'WFS-working-one')).session.status).toBe('active');
      expect(await page.evaluate('document.activeElement?.closest("article")?.id')).toBe('s-WFS-working-one');
      expect(await page.locator('#flash').textContent()).toMatch(/^Resumed WFS-working-one \(strategy/);

      await press(working.locator('li.todo', { hasText: 'second step' }), 'Done');
      const todos = (await show(root, 'WFS-working-one')).session.todos;
      expect(todos.map((t) => t.status)).toEqual(['pending', 'completed']);
      await within(
        LIVE_MS,
        'the todo is gone from the open ones',
        async () => !(await working.textContent())?.includes('second step'),
      );
      expect(await working.locator('.todo-count').textContent()).toContain('1 of 2 done');

      // The phase chosen in the select (the next one by default).
      expect(await working.getByRole('combobox').inputValue()).toBe('IMPLEMENT');
      await press(working, 'Phase');
      expect((await show(root, 'WFS-working-one')).session.current_phase).toBe('IMPLEMENT');
      await within(
        LIVE_MS,
        'the phase shows',
        async () => (await working.locator('[aria-current="step"]').textContent()) === 'IMPLEMENT',
      );

      const other = card(page, 'WFS-paused-one');
      await press(other, 'Switch');
      expect((await show(root, 'WFS-paused-one')).session.status).toBe('active');
      expect((await show(root, 'WFS-working-one')).session.status).toBe('paused');
      await within(
        LIVE_MS,
        'both cards changed',
        async () =>
          (await other.locator('.badge').textContent()) === 'active' &&
          (await working.locator('.badge').textContent()) === 'paused',
      );
      expect(await notReloaded(page)).toBe(true);
      await page.close();
    });

    it('Complete asks first, then completes and archives the session as `wfs session complete` does', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'finish me']);
      const page = await open(await serve(root));
      const questions: string[] = [];
      page.once('dialog', async (dialog) => {
        questions.push(dialog.message());
        await dialog.dismiss();
      });
      await press(card(page, 'WFS-finish-me'), 'Complete');
      expect(questions[0]).toMatch(/Complete WFS-finish-me and archive it\?/);
      expect((await show(root, 'WFS-finish-me')).session.status).toBe('active');

      page.once('dialog', (dialog) => dialog.accept());
      await press(card(page, 'WFS-finish-me'), 'Complete');
      expect((await show(root, 'WFS-finish-me')).session.status).toBe('archived');
      const row = page.getByRole('region', { name: /Archived/ }).getByRole('row', { name: /WFS-finish-me/ });
      await row.waitFor({ timeout: LIVE_MS });
      await card(page, 'WFS-finish-me').waitFor({ state: 'detached', timeout: LIVE_MS });
      await page.close();
    });

    it('an action that must fail (complete a session another process just archived) shows its error and changes nothing', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'raced']);
      const dashboard = await serve(root);
      const page = await browser.newPage();
      // The page's live stream is held back: it shows what it was first rendered with, as a page
      // does in the moment between another process's change and its update.
      let held: Route | undefined;
      await page.route(/\/events\?/, (route) => {
        held = route;
      });
      await page.goto(dashboard.url);
      await until(() => held !== undefined);
      await ok(root, ['session', 'complete', 'WFS-raced']);

      const before = await page.locator('main').innerHTML();
      page.once('dialog', (dialog) => dialog.accept());
      await press(card(page, 'WFS-raced'), 'Complete');
      const alert = page.getByRole('alert');
      await see(alert).toContainText(
        'Complete failed: Session WFS-raced is already archived (E_INVALID_STATE)',
      );
      // No optimistic update: the page is as it was, the failure said beside it.
      expect(await page.locator('main').innerHTML()).toBe(before);
      await press(alert, 'Dismiss');
      await see(alert).toHaveText('');

      // Once the stream flows again the page catches up with what really happened.
      await held!.continue();
      await page
        .getByRole('region', { name: /Archived/ })
        .getByRole('row', { name: /WFS-raced/ })
        .waitFor();
      await page.close();
    });

    it('an event stream resumed with Last-Event-ID misses nothing, in order, once each', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'zero']);
      const dashboard = await serve(root);
      const events = `${dashboard.origin}/events`;
      const first = await openStream(events, dashboard.auth);
      await ok(root, ['session', 'start', '--new', 'one']);
      const seen = await first.next((m) => m.event === 'wfs' && JSON.parse(m.data).html.includes('WFS-one'));
      first.close();
      // Published while no page listens.
      await ok(root, ['session', 'start', '--new', 'two']);
      await ok(root, ['session', 'pause']);
      await ok(root, ['session', 'resume', 'WFS-zero']);
      const published = json<{ events: WfsEvent[] }>(
        await ok(root, ['events', '--since', seen.id!, '--json']),
      ).events;
      expect(published.length).toBeGreaterThanOrEqual(4);

      const again = await openStream(events, { ...dashboard.auth, 'Last-Event-ID': seen.id! });
      const received: number[] = [];
      while (received.length < published.length) {
        const message = await again.next((m) => m.event === 'wfs');
        received.push(Number(message.id));
      }
      expect(received).toEqual(published.map((e) => e.id));
      // And live after that, without a repeat.
      await ok(root, ['session', 'pause']);
      const live = await again.next((m) => m.event === 'wfs');
      expect(Number(live.id)).toBeGreaterThan(received.at(-1)!);
      again.close();
    });

    it('every button on the page is one the tests press', async () => {
      const root = makeRepo();
      await ok(root, ['session', 'start', '--new', 'completed not archived']);
      await ok(root, ['session', 'complete', '--no-archive']);
      await ok(root, ['session', 'start', '--new', 'archived one']);
      await ok(root, ['session', 'complete']);
      await ok(root, ['session', 'start', '--new', 'paused one']);
      await ok(root, ['todo', 'add', 'a paused todo']);
      await ok(root, ['session', 'start', '--new', 'active one']);
      await ok(root, ['todo', 'add', 'an active todo']);
      await ok(root, ['todo', 'start', '1']);
      await ok(root, ['phase', 'IMPLEMENT', '--handoff', '{"summary": "plan agreed"}']);
      await ok(root, ['lock', 'acquire', 'deploy']);
      await ok(root, ['results', 'put', 'tests:abc'], 'all green');
      const page = await open(await serve(root));
      for (const details of await page.locator('details').all()) await details.locator('summary').click();
      await page.getByText('plan agreed').first().waitFor();
      const names = new Set<string>();
      for (const button of await page.getByRole('button').all())
        names.add((await button.textContent())!.trim());
      expect([...names].sort()).toEqual(['Complete', 'Done', 'Pause', 'Phase', 'Resume', 'Switch']);
      expect([...names].filter((name) => !pressed.has(name))).toEqual([]);
      await page.close();
    });
  });
}

/** Waits (as long as the test may run) for what a locator shows: the few conditions with no deadline of their own. */
function see(locator: Locator) {
  return {
    toHaveCount: (count: number) => until(async () => (await locator.count()) === count),
    toHaveText: (text: string) => until(async () => (await locator.textContent())?.trim() === text),
    toContainText: (text: string) =>
      until(async () => (await locator.textContent())?.includes(text) === true),
  };
}
