// Growth of the session commands with the size of the project's history: `phase`, `session start
// --new`, `session complete` and `checkpoint` on a project of 10 sessions, on one of 10,000 (10 open,
// the rest archived), and on one whose active session has changed phase 1,000 times; and `session
// list --json` over 10 and over 10,000 open sessions. Each command is timed start to exit as a ratio
// to `node -e 0` in the same interleaved rounds (as bench/run.mjs does). Targets: the large and the
// long-history project cost at most 1.2x the small one's ratio; `list` over 10,000 open at most 2x.
//
// `WFS_DIST=/path/to/dist node bench/sessions.mjs` measures another build (the one before a change);
// `WFS_DIST_BEFORE=/path/to/dist` adds that build's commands to the same interleaved rounds, as
// `before:` rows, so a change is measured against what it replaces under the same load;
// `BENCH_ROUNDS` sets the rounds (default 10); `BENCH_PARTS=growth` or `list` runs one part.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeFixture } from './fixture.mjs';

const DIST = path.resolve(process.env.WFS_DIST ?? 'dist');
const CLI = path.join(DIST, 'wfs.cjs');
const BEFORE = process.env.WFS_DIST_BEFORE
  ? path.join(path.resolve(process.env.WFS_DIST_BEFORE), 'wfs.cjs')
  : undefined;
const PARTS = (process.env.BENCH_PARTS ?? 'growth,list').split(',');
const GROWTH_TARGET = 1.2;
const LIST_TARGET = 2;
const PHASE_CHANGES = 1_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const ENV = { ...process.env, WFS_COORD: '', WFS_REDIS_URL: '', WFS_SESSION_ID: '', WFS_ROOT: '' };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function run(args, cwd) {
  const started = performance.now();
  // maxBuffer: a listing of 10,000 sessions is ~1.5 MB of JSON.
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: ENV, maxBuffer: 1 << 28 });
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${args.slice(1).join(' ')} failed (${result.status}): ${result.stderr}`);
  return { elapsed, stdout: result.stdout };
}

function activeId(root) {
  return JSON.parse(fs.readFileSync(path.join(root, '.workflow', 'active-session.json'), 'utf8')).session_id;
}

/** The fixture's active session moves through the phases `changes` times, in process. */
async function changePhases(root, changes) {
  const lib = await import(pathToFileURL(path.join(DIST, 'lib', 'index.js')).href);
  const project = lib.openProject({ cwd: root, env: ENV });
  for (let i = 0; i < changes; i++)
    await lib.changeSessionPhase(project, { to: i % 2 === 0 ? 'IMPLEMENT' : 'PLAN' });
}

/** A project to measure: its root, its long-lived active session, and the phase to move to next. */
async function project(label, total, open, phaseChanges) {
  process.stderr.write(`fixture ${label}... `);
  const root = makeFixture(total, open);
  await changePhases(root, phaseChanges);
  process.stderr.write('done\n');
  return { label, root, main: activeId(root), next: phaseChanges % 2 === 0 ? 'IMPLEMENT' : 'PLAN', n: 0 };
}

// Each measures one command and leaves the project as it found it (the main session active).
const commandsOf = (cli, prefix = '') => [
  {
    name: `${prefix}wfs phase`,
    time: (p) => {
      const elapsed = run([cli, 'phase', p.next], p.root).elapsed;
      p.next = p.next === 'PLAN' ? 'IMPLEMENT' : 'PLAN';
      return elapsed;
    },
  },
  { name: `${prefix}wfs checkpoint`, time: (p) => run([cli, 'checkpoint'], p.root).elapsed },
  {
    name: `${prefix}wfs session start --new`,
    time: (p) => {
      const elapsed = run([cli, 'session', 'start', '--new', `bench new ${p.n++}`], p.root).elapsed;
      run([cli, 'session', 'switch', p.main], p.root);
      return elapsed;
    },
  },
  {
    name: `${prefix}wfs session complete`,
    time: (p) => {
      const id = JSON.parse(
        run([cli, 'session', 'start', '--new', `bench done ${p.n++}`, '--json'], p.root).stdout,
      ).session_id;
      const elapsed = run([cli, 'session', 'complete', id], p.root).elapsed;
      run([cli, 'session', 'switch', p.main], p.root);
      return elapsed;
    },
  },
];

const COMMANDS = [
  { name: 'node -e 0', time: (p) => run(['-e', '0'], p.root).elapsed },
  ...commandsOf(CLI),
  ...(BEFORE === undefined ? [] : commandsOf(BEFORE, 'before: ')),
];

const listOf = (cli, prefix = '') => ({
  name: `${prefix}wfs session list --json`,
  time: (p) => run([cli, 'session', 'list', '--json'], p.root).elapsed,
});
const LIST = [
  { name: 'node -e 0', time: (p) => run(['-e', '0'], p.root).elapsed },
  listOf(CLI),
  ...(BEFORE === undefined ? [] : [listOf(BEFORE, 'before: ')]),
];

/** Interleaved rounds over every project and command; the median per-round ratio to `node -e 0`. */
function measure(projects, commands) {
  const samples = new Map(projects.map((p) => [p.label, new Map(commands.map((c) => [c.name, []]))]));
  for (const p of projects) for (const c of commands) c.time(p); // warm the page cache
  for (let round = 0; round < rounds; round++) {
    const order = projects.flatMap((p) => commands.map((c) => ({ p, c }))).sort(() => Math.random() - 0.5);
    for (const { p, c } of order) samples.get(p.label).get(c.name).push(c.time(p));
  }
  const ratios = new Map();
  for (const p of projects) {
    const by = samples.get(p.label);
    const base = by.get('node -e 0');
    const row = new Map();
    for (const c of commands) {
      const values = by.get(c.name);
      row.set(c.name, {
        median: median(values),
        ratio: median(values.map((v, i) => v / base[i])),
      });
    }
    ratios.set(p.label, row);
  }
  return ratios;
}

// Printed as soon as measured: the second part alone takes minutes.
const lines = {
  push: (...text) => {
    for (const line of text) console.log(line);
  },
};
let missed = 0;
console.log(
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}, build ${DIST}${BEFORE ? `, against ${path.dirname(BEFORE)} (before:)` : ''}, ${rounds} interleaved rounds.\n`,
);
const cell = (m) => `${m.median.toFixed(1)} ms, ${m.ratio.toFixed(2)}x`;

if (PARTS.includes('growth')) {
  const small = await project('10 sessions', 10, 10, 2);
  const large = await project('10000 sessions (10 open)', 10_000, 10, 2);
  const history = await project(`10 sessions, ${PHASE_CHANGES} phase changes`, 10, 10, PHASE_CHANGES);
  const all = [small, large, history];
  const ratios = measure(all, COMMANDS);
  lines.push(
    `| command | ${all.map((p) => p.label).join(' | ')} | large / small | history / small | target |`,
    `|---|${all.map(() => '---:|').join('')}---:|---:|---:|`,
  );
  for (const c of COMMANDS) {
    const [s, l, h] = all.map((p) => ratios.get(p.label).get(c.name));
    if (c.name === 'node -e 0') {
      lines.push(
        `| \`${c.name}\` | ${[s, l, h].map((m) => `${m.median.toFixed(1)} ms`).join(' | ')} | | | |`,
      );
      continue;
    }
    const growth = l.ratio / s.ratio;
    const longer = h.ratio / s.ratio;
    const ok = growth <= GROWTH_TARGET && longer <= GROWTH_TARGET;
    const target = c.name.startsWith('before: ') ? '' : `≤ ${GROWTH_TARGET}x ${ok ? 'met' : '**missed**'}`;
    if (!ok && target !== '') missed++;
    lines.push(
      `| \`${c.name}\` | ${[s, l, h].map(cell).join(' | ')} | ${growth.toFixed(2)}x | ${longer.toFixed(2)}x | ${target} |`,
    );
  }
  const state = path.join(history.root, '.workflow', 'active', history.main, 'workflow-session.json');
  lines.push('', `Session file after ${PHASE_CHANGES} phase changes: ${fs.statSync(state).size} bytes.`);
  for (const p of all) fs.rmSync(p.root, { recursive: true, force: true });
}

if (PARTS.includes('list')) {
  const small = await project('10 open', 10, 10, 0);
  const large = await project('10000 open', 10_000, 10_000, 0);
  const ratios = measure([small, large], LIST);
  lines.push('', '| command | 10 open | 10000 open | target (10000 open) |', '|---|---:|---:|---:|');
  for (const c of LIST.slice(1)) {
    const [s, l] = [small, large].map((p) => ratios.get(p.label).get(c.name));
    const ok = l.ratio <= LIST_TARGET;
    const before = c.name.startsWith('before: ');
    if (!ok && !before) missed++;
    lines.push(
      `| \`${c.name}\` | ${cell(s)} | ${cell(l)} | ${before ? '' : `≤ ${LIST_TARGET}x ${ok ? 'met' : '**missed**'}`} |`,
    );
  }
  for (const p of [small, large]) fs.rmSync(p.root, { recursive: true, force: true });
}

process.exitCode = missed > 0 ? 1 : 0;
