// A separate process using the built library's coordinator, for the concurrency and fault tests:
// `counter DIR STORE N`, `holder DIR NAME TTL` or `try DIR NAME TTL WAIT` (one acquire, its outcome
// printed as JSON; the lease, if granted, outlives the process). With REDIS_URL set, DIR is the project ID on
// that Redis; otherwise the embedded backend's folder.
import fs from 'node:fs';
import path from 'node:path';

const [mode, dir, arg, count] = process.argv.slice(2);
// The build's internals (dist/internals.js, not published): the backends themselves.
const { keepLease, LocalCoordinator, loadRedisCoordinator } = await import(
  new URL('../../dist/internals.js', import.meta.url)
);
let c;
if (process.env.REDIS_URL) {
  const RedisCoordinator = await loadRedisCoordinator();
  c = await RedisCoordinator.connect({ url: process.env.REDIS_URL, projectId: dir });
} else c = new LocalCoordinator(dir);

if (mode === 'counter') {
  // N grants; each increments a counter file, guarded by the lease and the fenced store.
  const store = arg;
  let overlaps = 0;
  let refused = 0;
  for (let i = 0; i < Number(count); i++) {
    const got = await c.acquire('counter', { ttlMs: 10_000, waitMs: 120_000 });
    if (got.status !== 'acquired') throw new Error('timed out waiting');
    const inside = path.join(store, 'inside');
    try {
      fs.writeFileSync(inside, String(process.pid), { flag: 'wx' });
    } catch {
      overlaps++;
    }
    if (await c.acceptFence('counter-store', got.lease.fence)) {
      const value = Number(fs.readFileSync(path.join(store, 'counter'), 'utf8'));
      fs.writeFileSync(path.join(store, 'counter'), String(value + 1));
      fs.appendFileSync(path.join(store, 'fences'), `${got.lease.fence}\n`);
    } else refused++;
    fs.rmSync(inside, { force: true });
    await c.release(got.lease);
  }
  console.log(JSON.stringify({ overlaps, refused }));
  await c.close();
} else if (mode === 'holder') {
  const ttl = Number(count);
  const got = await c.acquire(arg, { ttlMs: ttl });
  if (got.status !== 'acquired') throw new Error('held');
  const kept = keepLease(c, got.lease, { ttlMs: ttl });
  console.log(`acquired ${got.lease.fence} until ${got.lease.expiresAt}`);
  kept.signal.addEventListener('abort', async () => {
    const accepted = await c.acceptFence(`${arg}-store`, got.lease.fence);
    console.log(`lost ${kept.signal.reason?.code} write=${accepted ? 'accepted' : 'refused'}`);
    process.exit(0);
  });
  setInterval(() => {}, 1000);
} else if (mode === 'try') {
  const got = await c.acquire(arg, { ttlMs: Number(count), waitMs: Number(process.argv[6] ?? 0) });
  const lease = got.status === 'acquired' ? got.lease : got.current;
  console.log(JSON.stringify({ status: got.status, fence: lease.fence, expiresAt: lease.expiresAt }));
  await c.close();
}
