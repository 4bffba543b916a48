// The dashboard's benchmarks, for `npm run bench`: the page's first byte (GET / to the response's
// headers, then the whole page) and the time from a change on disk to its appearance in a real
// browser (chromium, driven by playwright-core), on projects of 10 and 10,000 sessions. A change
// is a todo added to the active session through the library (its file written when the call
// resolves; the card's count of todos is watched) or a lock taken (read by the dashboard's poll of
// the backend). Targets: a change shows within a second (the page's promise), the first byte
// within 200 ms.
// Standalone: node bench/dashboard.mjs (after npm run build).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { makeFixture } from './fixture.mjs';

const CLI = path.resolve('dist/wfs.cjs');
const CHROMIUM = '/usr/bin/chromium';
const shapes = (process.env.BENCH_DASHBOARD_SHAPES ?? '10,10000,10000:10').split(',').map((shape) => {
  const [total, open] = shape.split(':').map(Number);
  return { total, open: open ?? total, label: open === undefined ? `${total}` : `${total} (${open} open)` };
});
const rounds = Number(process.env.BENCH_DASHBOARD_ROUNDS ?? 20);

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), max: sorted.at(-1) };
}

async function startDashboard(root) {
  const env = { ...process.env, WFS_ROOT: '', WFS_COORD: '', WFS_REDIS_URL: '', WFS_SESSION_ID: '' };
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'dashboard', '--no-open', '--json'], { cwd: root, env });
  const url = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(JSON.parse(text).url);
    });
    child.once('exit', (code) => reject(new Error(`wfs dashboard exited with ${code}`)));
  });
  return { child, url, startMs: performance.now() - started };
}

async function firstBytes(origin, token) {
  const headersMs = [];
  const pageMs = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const response = await fetch(`${origin}/`, { headers: { authorization: `Bearer ${token}` } });
    headersMs.push(performance.now() - started);
    bytes = (await response.arrayBuffer()).byteLength;
    pageMs.push(performance.now() - started);
  }
  return { headers: stats(headersMs), page: stats(pageMs), bytes };
}

async function changes(page, root, lib) {
  const project = lib.openProject({ cwd: root, env: {} });
  const todoMs = [];
  for (let i = 0; i < rounds; i++) {
    const added = await lib.addSessionTodo(project, `bench change ${i}`);
    const written = performance.now();
    // The card counts every todo (it lists only the first open ones).
    await page.waitForFunction(
      ([id, count]) =>
        document
          .getElementById(`s-${id}`)
          ?.querySelector('.todo-count')
          ?.textContent.includes(`of ${count} done`),
      [added.session_id, added.todos.length],
      { polling: 'raf' },
    );
    todoMs.push(performance.now() - written);
  }
  const lockMs = [];
  const coordinator = await lib.openCoordinator(project);
  try {
    for (let i = 0; i < Math.max(5, Math.round(rounds / 2)); i++) {
      const name = `bench-lock-${i}`;
      const got = await coordinator.acquire(name, { ttlMs: 60_000 });
      const taken = performance.now();
      await page.waitForFunction((n) => document.getElementById('locks').textContent.includes(n), name, {
        polling: 'raf',
      });
      lockMs.push(performance.now() - taken);
      await coordinator.release(got.lease);
    }
  } finally {
    await coordinator.close();
  }
  return { todo: stats(todoMs), lock: stats(lockMs) };
}

export async function benchDashboard() {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `chromium is not installed (${CHROMIUM}): the dashboard benchmark drives it (apt-get install chromium)`,
    );
  const lib = await import(path.resolve('dist/lib/index.js'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const rows = [];
  let missed = 0;
  try {
    for (const shape of shapes) {
      process.stderr.write(`dashboard, ${shape.label} sessions... `);
      const root = makeFixture(shape.total, shape.open);
      const { child, url, startMs } = await startDashboard(root);
      try {
        const { origin, searchParams } = new URL(url);
        const bytes = await firstBytes(origin, searchParams.get('token'));
        const page = await browser.newPage();
        await page.goto(url);
        await page.locator('#connection[data-state="live"]').waitFor();
        const change = await changes(page, root, lib);
        await page.close();
        const ok = change.todo.median <= 1_000 && change.lock.median <= 1_000 && bytes.headers.median <= 200;
        if (!ok) missed++;
        rows.push({ shape, startMs, bytes, change, ok });
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
        fs.rmSync(root, { recursive: true, force: true });
      }
      process.stderr.write('done\n');
    }
  } finally {
    await browser.close();
  }
  const f = (n) => n.toFixed(1);
  const lines = [
    `| dashboard, sessions | ready (start to URL) ms | first byte ms (median / p90) | whole page ms (median) | page KB | todo added → shown ms (median / p90 / max) | lock taken → shown ms (median / p90 / max) | target | |`,
    '|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.shape.label} | ${Math.round(r.startMs)} | ${f(r.bytes.headers.median)} / ${f(r.bytes.headers.p90)} | ${f(r.bytes.page.median)} | ${Math.round(r.bytes.bytes / 1024)} | ${f(r.change.todo.median)} / ${f(r.change.todo.p90)} / ${f(r.change.todo.max)} | ${f(r.change.lock.median)} / ${f(r.change.lock.p90)} / ${f(r.change.lock.max)} | change ≤ 1,000, first byte ≤ 200 | ${r.ok ? 'met' : '**missed**'} |`,
    ),
  ];
  return { lines, missed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, missed } = await benchDashboard();
  console.log(lines.join('\n'));
  process.exitCode = missed ? 1 : 0;
}
