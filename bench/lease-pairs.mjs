// The timing loop both lease benchmarks share: after `warm` pairs, `pairs` acquire+release pairs of
// one name, one after the other, in this process.
export async function timePairs(coordinator, { warm, pairs }) {
  for (let i = 0; i < warm; i++) {
    const got = await coordinator.acquire('warm', { ttlMs: 10_000 });
    await coordinator.release(got.lease);
  }
  const started = performance.now();
  for (let i = 0; i < pairs; i++) {
    const got = await coordinator.acquire('bench', { ttlMs: 10_000 });
    if (got.status !== 'acquired') throw new Error('held');
    await coordinator.release(got.lease);
  }
  const seconds = (performance.now() - started) / 1000;
  return { pairs, seconds, perSecond: pairs / seconds };
}
