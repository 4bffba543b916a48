// Makes the README's screenshot of the dashboard: sessions at work in one repository (the main
// checkout and two worktrees), made with the CLI as agents would make them, with todos, phases, a
// lock, path claims, a shared result and events.
// Run after `npm run build`: node test/dashboard/screenshot.mjs [docs/dashboard.png]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CLI = path.resolve('dist/wfs.cjs');
const out = path.resolve(process.argv[2] ?? 'docs/dashboard.png');
const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-shot-')));
const env = { ...process.env, WFS_ROOT: '', WFS_COORD: '', WFS_REDIS_URL: '', WFS_SESSION_ID: '' };
const git = (cwd, ...args) => execFileSync('git', args, { cwd, stdio: 'ignore' });
const wfs = (cwd, args, input) =>
  execFileSync(process.execPath, [CLI, ...args], { cwd, env, input, encoding: 'utf8' });

const shop = path.join(base, 'shop');
fs.mkdirSync(shop);
fs.writeFileSync(path.join(shop, 'package.json'), '{"name":"shop","dependencies":{"express":"^5"}}\n');
fs.mkdirSync(path.join(shop, 'src'));
fs.writeFileSync(path.join(shop, 'src', 'index.ts'), 'export {};\n');
git(shop, 'init', '-q');
git(shop, 'add', '.');
git(shop, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-qm', 'init');
git(shop, 'worktree', 'add', '-q', path.join(base, 'shop-checkout'), '-b', 'checkout');
git(shop, 'worktree', 'add', '-q', path.join(base, 'shop-search'), '-b', 'search');

wfs(shop, ['init']);
wfs(shop, ['session', 'start', '--new', 'Add the login page with email and password']);
for (const todo of [
  'Sketch the form',
  'Validate the fields',
  'Wire the session cookie',
  'Tests for bad passwords',
])
  wfs(shop, ['todo', 'add', todo]);
wfs(shop, ['todo', 'done', '1']);
wfs(shop, [
  'phase',
  'IMPLEMENT',
  '--handoff',
  '{"summary": "form agreed with design, fields: email, password"}',
]);
wfs(shop, ['todo', 'done', '2']);
wfs(shop, ['todo', 'start', '3']);
wfs(shop, ['session', 'start', '--new', 'Fix the flaky upload test', '--type', 'tdd']);
wfs(shop, ['todo', 'add', 'Reproduce with a slow disk']);
wfs(shop, ['session', 'switch', 'WFS-add-the-login-page-with-email-and-password']);
wfs(shop, ['session', 'start', '--new', 'Write the API docs for orders', '--type', 'docs']);
wfs(shop, ['session', 'complete']);
wfs(shop, ['session', 'switch', 'WFS-add-the-login-page-with-email-and-password']);

const checkout = path.join(base, 'shop-checkout');
wfs(checkout, ['session', 'start', '--new', 'Checkout: apply discount codes']);
wfs(checkout, ['todo', 'add', 'Discount model']);
wfs(checkout, ['todo', 'add', 'Apply at checkout']);
wfs(checkout, ['phase', 'IMPLEMENT']);
const search = path.join(base, 'shop-search');
wfs(search, ['session', 'start', '--new', 'Search: rank by popularity']);
wfs(search, ['lock', 'acquire', 'db-migrate', '--ttl', '10m']);
wfs(search, ['results', 'put', 'tests:main', '--ttl', '1d'], '412 passed, 0 failed (38.2 s)\n');
// Each worktree's session claims the paths it is changing, as its agent's edits would.
wfs(checkout, ['claim', 'src/checkout/**', 'src/models/discount.ts', '--ttl', '1h']);
wfs(search, ['claim', 'src/search/**', '--ttl', '1h']);

const server = spawn(process.execPath, [CLI, 'dashboard', '--no-open', '--json'], { cwd: shop, env });
const url = await new Promise((resolve, reject) => {
  let text = '';
  server.stdout.on('data', (chunk) => {
    text += chunk;
    if (text.includes('\n')) resolve(JSON.parse(text).url);
  });
  server.once('exit', (code) => reject(new Error(`wfs dashboard exited with ${code}`)));
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.getByText('Live', { exact: false }).first().waitFor();
  await page.locator('#connection[data-state="live"]').waitFor();
  await page.screenshot({ path: out, fullPage: true });
  console.log(`screenshot: ${out}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  fs.rmSync(base, { recursive: true, force: true });
}
