// What loading the library costs a user's program: `await import()` and `require()` of a build's
// dist/lib/index.js, each in a fresh process, timed inside it (from before the import to after) and
// start to exit, interleaved round by round with a bare `node -e 0` (as bench/run.mjs does: a ratio
// within one run is what can be compared on this shared machine). `node bench/import.mjs` measures
// dist/; `node bench/import.mjs /other/dist dist` measures each build given, interleaved, to compare
// one before a change with the one after.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timed(args) {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed: ${run.stderr}`);
  return { elapsed, inside: Number(run.stdout.trim().split('\n').at(-1)) };
}

/** Each build's import() and require(), rows as bench/run.mjs prints them. */
export function benchImport({ dists = ['dist'], rounds = Number(process.env.BENCH_ROUNDS ?? 25) } = {}) {
  const ways = [];
  for (const dist of dists) {
    const file = path.resolve(dist, 'lib', 'index.js');
    ways.push(
      {
        name: `import() of ${dist}/lib`,
        args: [
          '--input-type=module',
          '-e',
          `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`,
        ],
      },
      {
        name: `require() of ${dist}/lib`,
        args: [
          '-e',
          `const t = performance.now(); require(${JSON.stringify(file)}); console.log(performance.now() - t);`,
        ],
      },
    );
  }
  for (const way of ways) timed(way.args); // warm the page cache
  const base = [];
  const samples = new Map(ways.map((way) => [way.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = [{ name: 'node -e 0', args: ['-e', '0'] }, ...ways].sort(() => Math.random() - 0.5);
    for (const way of order) {
      const sample = timed(way.args);
      if (way.name === 'node -e 0') base.push(sample.elapsed);
      else samples.get(way.name).push(sample);
    }
  }
  // Rounds line up: the baseline of round i is base[i] whatever the order within it.
  return [
    { name: 'node -e 0', inside: undefined, median: median(base), ratio: 1 },
    ...ways.map((way) => {
      const values = samples.get(way.name);
      return {
        name: way.name,
        inside: median(values.map((v) => v.inside)),
        median: median(values.map((v) => v.elapsed)),
        ratio: median(values.map((v, round) => v.elapsed / base[round])),
      };
    }),
  ];
}

export function importLines(rows) {
  return [
    '| loading the library | inside the process, ms (median) | start to exit, ms (median) | ratio to `node -e 0` |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| \`${r.name}\` | ${r.inside === undefined ? '' : r.inside.toFixed(1)} | ${r.median.toFixed(1)} | ${r.ratio.toFixed(2)}x |`,
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dists = process.argv.slice(2);
  console.log(importLines(benchImport(dists.length ? { dists } : {})).join('\n'));
}
