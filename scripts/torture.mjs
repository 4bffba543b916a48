// `npm run torture`: builds the CLI, runs the torture suite (test/torture/, its own vitest
// configuration, never part of `npm test`), prints each scenario's figures and first failures, and
// ends with the line CI reads: `N passed, N failed`. Exit code 1 when anything failed.
//
//   TORTURE=short        what .ci/run uses: a few minutes, every path and matrix row at least once
//                        where affordable, else a sample that rotates from day to day
//   TORTURE_SEED=N       repeat the random choices of a run (printed at the start)
//   TORTURE_ONLY=a,b     only these scenarios (kills, stall, corruption, environment, bounds, redis,
//                        redis-cluster)
//   TORTURE_KILL_TRIALS  trials per write path in the full run (default 21: 7 per signal)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const FAILURES_SHOWN = 5;
const LINES_PER_FAILURE = 12;

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const report = '.vitest/torture-report.jsonl';
mkdirSync('.vitest', { recursive: true });
rmSync(report, { force: true });
const started = Date.now();
const suite = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--config',
    'test/torture/vitest.config.ts',
    '--reporter=dot',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env: { ...process.env, TORTURE_REPORT: report } },
);

let results = [];
try {
  results = readFileSync(report, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
} catch {
  results = [];
}

const clip = (text, lines) => {
  const all = text.split('\n');
  return all.length <= lines ? all : [...all.slice(0, lines), `… (${all.length - lines} more lines)`];
};

let passed = 0;
let failed = 0;
console.log(
  `\nwfs torture (${process.env.TORTURE === 'short' ? 'short' : 'full'} run), ${new Date().toISOString()}`,
);
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  console.log(`\n== ${r.name}: ${r.passed} passed, ${r.failed} failed (${r.seconds} s)`);
  for (const [figure, value] of Object.entries(r.figures)) console.log(`   ${figure}: ${value}`);
  for (const note of r.notes) console.log(`   NOT TESTED: ${note}`);
  if (r.failures.length > 0) {
    console.log(`   first ${Math.min(FAILURES_SHOWN, r.failures.length)} of ${r.failures.length} failures:`);
    for (const f of r.failures.slice(0, FAILURES_SHOWN)) {
      console.log(`   * [${f.check}]`);
      for (const line of clip(f.detail, LINES_PER_FAILURE)) console.log(`       ${line}`);
    }
  }
}
// A scenario that crashed before it could report is a failure too.
if (suite.status !== 0 && failed === 0) failed = 1;
console.log(`\nall failures: ${report}; ${Math.round((Date.now() - started) / 1000)} s in all`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
