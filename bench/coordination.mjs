// The coordination benchmarks of issue 4, for `npm run bench`: lease acquire+release pairs per
// second in one process (embedded backend at least 2,000; Redis on loopback at least 5,000), and
// announcement delivery to another process (median: embedded at most 100 ms, Redis at most 10 ms).
// Pairs are measured one loop at a time (each pair waits for the one before: bounded by round
// trips) and with 8 loops at once on 8 names (a process coordinating several jobs); for Redis,
// beside the floor measured in the same run, interleaved (a hand-written lock: SET NX PX and a
// compare-and-delete script): one loop at least 0.85 of it.
import { benchEvents, eventsTable } from './events.mjs';
import { benchLocalLeases } from './leases.mjs';
import { benchRedisLeases } from './redis-leases.mjs';

export async function benchCoordination() {
  const lines = [
    '| acquire+release pairs in one process | loops at once | pairs per second | target | |',
    '|---|---:|---:|---:|---|',
  ];
  let missed = 0;
  for (const workers of [1, 8]) {
    const local = await benchLocalLeases({ pairs: 3_000, workers });
    const ok = local.perSecond >= 2_000;
    if (workers === 1 && !ok) missed++;
    lines.push(
      `| embedded | ${workers} | ${Math.round(local.perSecond)} | ≥ 2,000 | ${ok ? 'met' : workers === 1 ? '**missed**' : 'below'} |`,
    );
  }
  const redis = [];
  for (const workers of [1, 8]) redis.push(await benchRedisLeases({ pairs: 2_000, workers, rounds: 7 }));
  const best = Math.max(...redis.map((r) => r.perSecond));
  if (best < 5_000) missed++;
  for (const r of redis)
    lines.push(
      `| Redis (loopback) | ${r.workers} | ${Math.round(r.perSecond)} | ≥ 5,000 | ${r.perSecond >= 5_000 ? 'met' : 'below'} |`,
    );
  const floorOk = redis[0].ofFloor >= 0.85;
  if (!floorOk) missed++;
  lines.push(
    '',
    '| Redis acquire+release beside the floor (SET NX PX + compare-and-delete), interleaved | loops at once | wfs pairs/s | floor pairs/s | ratio (median of rounds) | commands per pair (wfs / floor) | server µs per pair (wfs / floor) | target | |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const r of redis)
    lines.push(
      `| ${r.rounds} rounds of ${r.pairs} pairs | ${r.workers} | ${Math.round(r.perSecond)} | ${Math.round(r.floorPerSecond)} | ${r.ofFloor.toFixed(2)} | ${r.commandsPerPair.toFixed(1)} / ${r.floorCommandsPerPair.toFixed(1)} | ${r.serverUsPerPair.toFixed(1)} / ${r.floorServerUsPerPair.toFixed(1)} | ${r.workers === 1 ? '≥ 0.85' : ''} | ${r.workers === 1 ? (floorOk ? 'met' : '**missed**') : ''} |`,
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
