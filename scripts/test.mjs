// `npm test`: builds the CLI, runs every test with vitest, and ends with the line CI reads:
// `N passed, N failed[, N skipped]`, counted from vitest's JSON report (its own summary is not
// in that form), after one `SKIPPED:` line per reason a test gave for its skip (a test that cannot
// run here, such as one needing an agent that could not be installed, says why in its meta's
// `skipReason`). The exit code is vitest's.
//
// The tests get a temp directory of their own (TMPDIR), removed at the end: whatever a test leaves
// there (a folder of a process it killed, say) never piles up in the machine's. What was left is
// named on a `TEMP:` line, so a test that stops cleaning up after itself shows.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(build.status ?? 1);
}

const report = '.vitest/results.json';
mkdirSync('.vitest', { recursive: true });
rmSync(report, { force: true });
const args = [
  'node_modules/vitest/vitest.mjs',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const temp = mkdtempSync(join(tmpdir(), 'wfs-tests-'));
const run = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TMPDIR: temp } });
// The code cache every spawned CLI shares (vitest.config.ts) is the run's own, not a leftover.
const left = readdirSync(temp).filter((name) => name !== 'wfs-test-code-cache');
rmSync(temp, { recursive: true, force: true });

let passed = 0;
let failed = 0;
let skipped = 0;
const skipReasons = new Map();
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests;
  skipped = results.numPendingTests + results.numTodoTests;
  // A file that fails to load has no tests but is a failure all the same.
  failed += results.testResults.filter(
    (file) => file.status === 'failed' && file.assertionResults.length === 0,
  ).length;
  for (const file of results.testResults)
    for (const test of file.assertionResults) {
      const reason = test.meta?.skipReason;
      if (test.status !== 'skipped' && test.status !== 'pending') continue;
      if (!reason) continue;
      const entry = skipReasons.get(reason) ?? { count: 0, files: new Set() };
      entry.count += 1;
      entry.files.add(relative(process.cwd(), file.name));
      skipReasons.set(reason, entry);
    }
} catch {
  failed = Math.max(failed, 1);
}
if (left.length > 0)
  console.log(
    `TEMP: ${left.length} folder(s) or file(s) left in the temp directory by the tests, now removed (${left.slice(0, 5).join(', ')})`,
  );
for (const [reason, { count, files }] of skipReasons)
  console.log(`SKIPPED: ${count} test${count === 1 ? '' : 's'} (${[...files].join(', ')}): ${reason}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status ?? 1);
