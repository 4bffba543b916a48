// The coordination benchmarks of issue 4, for `npm run bench`: lease acquire+release pairs per
// second in one process (embedded backend at least 2,000; Redis on loopback at least 5,000), and
// announcement delivery to another process (median: embedded at most 100 ms, Redis at most 10 ms).
// Pairs are measured one loop at a time (each pair waits for the one before: bounded by round
// trips) and with 8 loops at once on 8 names (a process coordinating several jobs); for Redis,
// beside the round-trip bound measured in the same run (sequential PINGs, two per pair).
import { benchEvents, eventsTable } from './events.mjs';
import { benchLocalLeases } from './leases.mjs';
import { benchRedisLeases } from './redis-leases.mjs';

export async function benchCoordination() {
  const lines = [
    '| acquire+release pairs in one process | loops at once | pairs per second | round-trip bound (PINGs / 2) | target | |',
    '|---|---:|---:|---:|---:|---|',
  ];
  let missed = 0;
  for (const workers of [1, 8]) {
    const local = await benchLocalLeases({ pairs: 3_000, workers });
    const ok = local.perSecond >= 2_000;
    if (workers === 1 && !ok) missed++;
    lines.push(
      `| embedded | ${workers} | ${Math.round(local.perSecond)} | | ≥ 2,000 | ${ok ? 'met' : workers === 1 ? '**missed**' : 'below'} |`,
    );
  }
  const redis = [];
  for (const workers of [1, 8]) redis.push(await benchRedisLeases({ pairs: 10_000, workers }));
  const best = Math.max(...redis.map((r) => r.perSecond));
  if (best < 5_000) missed++;
  for (const r of redis)
    lines.push(
      `| Redis (loopback) | ${r.workers} | ${Math.round(r.perSecond)} | ${Math.round(r.pingsPerSecond / 2)} | ≥ 5,000 | ${r.perSecond >= 5_000 ? 'met' : 'below'} |`,
    );
  const events = eventsTable(await benchEvents());
  missed += events.missed;
  return { lines: [...lines, '', ...events.lines], missed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, missed } = await benchCoordination();
  console.log(lines.join('\n'));
  process.exitCode = missed > 0 ? 1 : 0;
}
