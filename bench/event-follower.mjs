// The other process of bench/events.mjs: follows announcements (or, as the baseline, reads lines on
// stdin) and prints, for each, how long after its sending it arrived, in milliseconds.
import path from 'node:path';
import readline from 'node:readline';
import { internalsOf } from './internals.mjs';

const [backend, where, count] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
let seen = 0;
const done = () => {
  if (++seen >= Number(count)) process.exit(0);
};

if (backend === 'pipe') {
  process.stdout.write('ready\n');
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    process.stdout.write(`${now() - Number(line)}\n`);
    done();
  });
} else {
  // WFS_DIST: another build to measure (bench/growth.mjs measures the one before a change too).
  // The backends themselves (not part of the public API), as the benchmarks of leases use them.
  const { LocalCoordinator, loadRedisCoordinator } = await internalsOf(
    process.env.WFS_DIST ? path.resolve(process.env.WFS_DIST) : undefined,
  );
  const c =
    backend === 'redis'
      ? await (await loadRedisCoordinator()).connect({ url: where, projectId: 'bench-events' })
      : new LocalCoordinator(where);
  const since = (await c.readEvents({ limit: 1 })).at(-1)?.id ?? 0;
  const following = c.followEvents(
    since,
    (event) => {
      process.stdout.write(`${now() - event.data.sent}\n`);
      done();
    },
    new AbortController().signal,
  );
  process.stdout.write('ready\n');
  await following;
}
