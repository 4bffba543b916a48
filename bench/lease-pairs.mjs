// The timing loop both lease benchmarks share: after `warm` pairs, `pairs` acquire+release pairs in
// this process. With `workers` > 1, that many loops run at once, each on a name of its own (one
// process coordinating several jobs); `pairs` is the total.
export async function timePairs(coordinator, { warm, pairs, workers = 1 }) {
  for (let i = 0; i < warm; i++) {
    const got = await coordinator.acquire('warm', { ttlMs: 10_000 });
    await coordinator.release(got.lease);
  }
  const each = Math.ceil(pairs / workers);
  const loop = async (name) => {
    for (let i = 0; i < each; i++) {
      const got = await coordinator.acquire(name, { ttlMs: 10_000 });
      if (got.status !== 'acquired') throw new Error('held');
      await coordinator.release(got.lease);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(`bench-${w}`)));
  const seconds = (performance.now() - started) / 1000;
  return { pairs: each * workers, workers, seconds, perSecond: (each * workers) / seconds };
}
