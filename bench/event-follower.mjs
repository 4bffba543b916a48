// The other process of bench/events.mjs: follows announcements (or, as the baseline, reads lines on
// stdin) and prints, for each, how long after its sending it arrived, in milliseconds.
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

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
  const dist = process.env.WFS_DIST
    ? pathToFileURL(`${process.env.WFS_DIST}/`).href
    : new URL('../dist/', import.meta.url).href;
  // The backends themselves (not part of the public API), as the benchmarks of leases use them.
  const { LocalCoordinator } = await import(new URL('lib/coord/local/leases.js', dist).href);
  const { RedisCoordinator } = await import(new URL('lib/coord/redis/coordinator.js', dist).href);
  const c =
    backend === 'redis'
      ? await RedisCoordinator.connect({ url: where, projectId: 'bench-events' })
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
