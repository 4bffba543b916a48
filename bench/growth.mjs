// Growth of the embedded coordination backend: the commands agents and scripts call all the time,
// on a repository whose coordination state has accumulated (lock names ever used, shared results,
// a long event log, many live sessions), against the same commands on a small one. Each command is
// timed start to exit as a ratio to `node -e 0` in the same interleaved rounds (as bench/run.mjs
// does), and the target is that the large state costs at most 1.2x the small one's ratio. Event
// delivery to another process is measured on a small and on a full log, beside a pipe.
//
// `WFS_DIST=/path/to/dist node bench/growth.mjs` measures another build (the one before a change).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDelivery } from './events.mjs';
import { internalsOf } from './internals.mjs';

const DIST = path.resolve(process.env.WFS_DIST ?? 'dist');
const CLI = path.join(DIST, 'wfs.cjs');
const TARGET = 1.2;
const DAY = 24 * 60 * 60 * 1000;

export const SIZES = {
  small: { label: 'small', names: 10, results: 10, events: 20_000, presence: 500 },
  large: { label: 'large', names: 10_000, results: 10_000, events: 100_000, presence: 3_000 },
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The build before the host clock and the counters kept results and presence as plain JSON values
// and swept every entry on each put: making 10,000 through it would take an hour, so for that
// build the fixture writes its files as its put would have.
const oldFormat =
  !fs.existsSync(path.join(DIST, 'internals.js')) &&
  !fs.existsSync(path.join(DIST, 'lib', 'coord', 'local', 'host-clock.js'));

function writeOldEntry(dir, name, value) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${encodeURIComponent(name)}.json`), JSON.stringify(value));
}

/** A repository with one active session and coordination state of the given size. */
export async function makeGrowthFixture(size) {
  const lib = await internalsOf(DIST);
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `wfs-bench-growth-${size.label}-`)));
  execFileSync('git', ['init', '-q'], { cwd: root });
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"bench"}\n');
  const env = { ...process.env, WFS_COORD: '', WFS_REDIS_URL: '', WFS_SESSION_ID: '' };
  execFileSync(process.execPath, [CLI, 'init'], { cwd: root, stdio: 'ignore', env });
  execFileSync(process.execPath, [CLI, 'session', 'start', '--new', 'bench growth'], {
    cwd: root,
    stdio: 'ignore',
    env,
  });
  const dir = lib.coordinationDir(root);
  // The event log first, as a hand-made or long-lived one would be (the library cuts its own back
  // at 20,000): ids 1..N, then one published through the library, which continues above them.
  const lines = [];
  const at = new Date().toISOString();
  for (let id = 1; id <= size.events; id++)
    lines.push(
      JSON.stringify({ id, type: 'bench.event', at, session: 'WFS-bench', host: 'bench', data: { i: id } }),
    );
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
  let c = new lib.LocalCoordinator(dir);
  await c.publish({ type: 'bench.started' });
  // Lock names ever used: taken and released (a few stay held).
  for (let i = 0; i < size.names; i++) {
    const got = await c.acquire(`job-${i}`, { ttlMs: 60_000 });
    if (i >= 5) await c.release(got.lease);
    // The old build keeps a descriptor per record: let them go now and then.
    if (i % 1_000 === 999) {
      await c.close();
      c = new lib.LocalCoordinator(dir);
    }
  }
  const host = os.hostname();
  const now = Date.now();
  for (let i = 0; i < size.results; i++) {
    const key = `test-coverage:tree-${i}`;
    const value = `result ${i} `.repeat(8);
    if (oldFormat)
      writeOldEntry(path.join(dir, 'results'), key, {
        key,
        value,
        session: 'WFS-bench',
        host,
        put_at: new Date(now).toISOString(),
        expires_at: now + DAY,
      });
    else await c.putResult({ key, value, ttlMs: DAY, session: 'WFS-bench' });
  }
  for (let i = 0; i < size.presence; i++) {
    const session = `WFS-peer-${String(i).padStart(5, '0')}`;
    if (oldFormat)
      writeOldEntry(path.join(dir, 'presence'), session, {
        session,
        host,
        pid: 1000 + i,
        heartbeat_at: new Date(now).toISOString(),
        expires_at: now + DAY,
      });
    else await c.heartbeat({ session, ttlMs: DAY, pid: 1000 + i });
  }
  await c.close();
  return root;
}

function run(args, cwd, input) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, WFS_COORD: '', WFS_REDIS_URL: '', WFS_SESSION_ID: '' },
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${args.slice(1).join(' ')} failed (${result.status}): ${result.stderr}`);
  return { elapsed, stdout: result.stdout };
}

const COMMANDS = [
  { name: 'node -e 0', baseline: true, time: (cwd) => run(['-e', '0'], cwd).elapsed },
  { name: 'wfs context', time: (cwd) => run([CLI, 'context'], cwd).elapsed },
  {
    name: 'wfs lock acquire + release',
    pair: true,
    time: (cwd) => {
      const acquired = run([CLI, 'lock', 'acquire', 'bench-lock', '--ttl', '60000', '--json'], cwd);
      const { token } = JSON.parse(acquired.stdout);
      return acquired.elapsed + run([CLI, 'lock', 'release', 'bench-lock', '--token', token], cwd).elapsed;
    },
  },
  {
    name: 'wfs results put',
    time: (cwd) => run([CLI, 'results', 'put', 'bench-key'], cwd, 'bench value').elapsed,
  },
  { name: 'wfs events --limit 20', time: (cwd) => run([CLI, 'events', '--limit', '20'], cwd).elapsed },
];

/** Both sizes, interleaved round by round; rows of the table and how many targets were missed. */
export async function benchGrowth({ rounds = Number(process.env.BENCH_ROUNDS ?? 25) } = {}) {
  const roots = {};
  for (const size of Object.values(SIZES)) {
    process.stderr.write(`growth fixture (${size.label})... `);
    roots[size.label] = await makeGrowthFixture(size);
    process.stderr.write('done\n');
  }
  const samples = {};
  for (const label of Object.keys(roots)) {
    samples[label] = Object.fromEntries(COMMANDS.map((c) => [c.name, []]));
    for (const command of COMMANDS) command.time(roots[label]); // warm the page cache
  }
  for (let round = 0; round < rounds; round++) {
    // A fresh order each round, across both sizes, so drift in machine load hits all alike.
    const order = Object.keys(roots)
      .flatMap((label) => COMMANDS.map((command) => ({ label, command })))
      .sort(() => Math.random() - 0.5);
    for (const { label, command } of order) samples[label][command.name].push(command.time(roots[label]));
  }
  const rows = [];
  let missed = 0;
  const ratios = {};
  for (const [label, byCommand] of Object.entries(samples)) {
    const baseline = byCommand['node -e 0'];
    ratios[label] = {};
    for (const command of COMMANDS) {
      const values = byCommand[command.name];
      // A pair of commands is compared with a pair of baselines.
      const per = command.pair ? 2 : 1;
      const ratio = median(values.map((value, round) => value / (per * baseline[round])));
      ratios[label][command.name] = ratio;
      rows.push({ size: label, name: command.name, median: median(values), min: Math.min(...values), ratio });
    }
  }
  for (const row of rows) {
    if (row.size !== 'large' || row.name === 'node -e 0') continue;
    row.growth = row.ratio / ratios.small[row.name];
    row.ok = row.growth <= TARGET;
    if (!row.ok) missed++;
  }
  for (const root of Object.values(roots)) fs.rmSync(root, { recursive: true, force: true });

  process.stderr.write('delivery on a small and a full log... ');
  const delivery = await benchDelivery({ dist: DIST, logs: [10, 20_000] });
  process.stderr.write('done\n');
  const small = delivery.find((d) => d.events === 10);
  const full = delivery.find((d) => d.events === 20_000);
  const deliveryGrowth = full.median / full.pipe / (small.median / small.pipe);
  const deliveryOk = deliveryGrowth <= TARGET;
  if (!deliveryOk) missed++;

  const describe = (s) =>
    `${s.names} lock names ever used, ${s.results} results, ${s.events} events, ${s.presence} live sessions`;
  const lines = [
    `Growth (embedded backend): small = ${describe(SIZES.small)}; large = ${describe(SIZES.large)}.`,
    '',
    '| state | command | median ms | min ms | ratio to `node -e 0` | large / small | target | |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.size} | \`${r.name}\` | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.ratio.toFixed(2)}x | ${r.growth === undefined ? '' : `${r.growth.toFixed(2)}x`} | ${r.growth === undefined ? '' : `≤ ${TARGET}x`} | ${r.growth === undefined ? '' : r.ok ? 'met' : '**missed**'} |`,
    ),
    '',
    '| delivery to another process | events in the log | received | median ms | p90 ms | pipe median ms | ratio to pipe | full / small | target | |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...delivery.map(
      (d) =>
        `| local | ${d.events} | ${d.received} | ${d.median.toFixed(2)} | ${d.p90.toFixed(2)} | ${d.pipe.toFixed(2)} | ${(d.median / d.pipe).toFixed(2)}x | ${d === full ? `${deliveryGrowth.toFixed(2)}x` : ''} | ${d === full ? `≤ ${TARGET}x` : ''} | ${d === full ? (deliveryOk ? 'met' : '**missed**') : ''} |`,
    ),
  ];
  return { lines, missed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, missed } = await benchGrowth();
  console.log(
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}, build ${DIST}.\n`,
  );
  console.log(lines.join('\n'));
  process.exitCode = missed > 0 ? 1 : 0;
}
