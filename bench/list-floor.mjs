// What `wfs session list --json` over 10,000 open sessions cannot go below while it checks every
// session file (docs/BENCHMARKS.md): start-to-exit times, as ratios to `node -e 0` in the same
// interleaved rounds, of
//   - `floor: readdir + stat`: a bare script that lists active/ and stats each session's
//     workflow-session.json, and does nothing else (no registry, no output);
//   - `floor: + ready output`: the same, then writes a listing prepared beforehand, as a cache of
//     the whole output would (no parse, no sort, no encoding);
//   - `wfs session list --json` of this build (and of WFS_DIST_BEFORE's, as `before:`).
// BENCH_ROUNDS sets the rounds (default 15).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFixture } from './fixture.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const CLI = path.resolve('dist/wfs.cjs');
const BEFORE = process.env.WFS_DIST_BEFORE ? path.resolve(process.env.WFS_DIST_BEFORE, 'wfs.cjs') : undefined;

// The code cache (src/launcher.ts) in a folder of this run's own, as bench/run.mjs keeps it.
const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-cache-'));
process.env.XDG_CACHE_HOME = cacheHome;
const root = makeFixture(10_000, 10_000);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-list-floor-'));
const ready = path.join(scratch, 'listing.json');
fs.writeFileSync(
  ready,
  spawnSync(process.execPath, [CLI, 'session', 'list', '--json'], { cwd: root }).stdout,
);
const statAll = `const fs = require('node:fs');
const dir = '.workflow/active';
for (const id of fs.readdirSync(dir)) {
  if (!id.startsWith('WFS-')) continue;
  fs.statSync(\`\${dir}/\${id}/workflow-session.json\`, { throwIfNoEntry: false });
}
`;
const floor = path.join(scratch, 'stat-all.cjs');
const withOutput = path.join(scratch, 'stat-all-and-write.cjs');
fs.writeFileSync(floor, statAll);
fs.writeFileSync(withOutput, `${statAll}fs.writeSync(1, fs.readFileSync(${JSON.stringify(ready)}));\n`);

const commands = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'floor: readdir + stat', args: [floor] },
  { name: 'floor: + ready output', args: [withOutput] },
  { name: 'wfs session list --json', args: [CLI, 'session', 'list', '--json'] },
  ...(BEFORE
    ? [{ name: 'before: wfs session list --json', args: [BEFORE, 'session', 'list', '--json'] }]
    : []),
];
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const samples = new Map(commands.map((c) => [c.name, []]));
const time = (c) => {
  const started = performance.now();
  const result = spawnSync(process.execPath, c.args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${c.name} failed: ${result.stderr}`);
  return performance.now() - started;
};
for (const c of commands) time(c); // warm the page cache
for (let round = 0; round < rounds; round++)
  for (const c of [...commands].sort(() => Math.random() - 0.5)) samples.get(c.name).push(time(c));
const base = samples.get('node -e 0');
console.log(
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}, 10,000 open sessions, ${rounds} interleaved rounds.\n`,
);
console.log('| command | median ms | ratio to `node -e 0` (median of per-round ratios) |');
console.log('|---|---:|---:|');
for (const c of commands) {
  const values = samples.get(c.name);
  const ratio = median(values.map((v, i) => v / base[i]));
  console.log(`| \`${c.name}\` | ${median(values).toFixed(1)} | ${ratio.toFixed(2)}x |`);
}
fs.rmSync(root, { recursive: true, force: true });
fs.rmSync(scratch, { recursive: true, force: true });
fs.rmSync(cacheHome, { recursive: true, force: true });
