// Lease throughput of the embedded backend in one process (issue 4: at least 2,000
// acquire+release pairs per second): each pair is two read-modify-writes under the
// cross-process lock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCoordinator } from '../dist/lib/coord/local/leases.js';

export async function benchLocalLeases({ pairs = 3000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-leases-'));
  const coordinator = new LocalCoordinator(dir);
  for (let i = 0; i < 200; i++) {
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
  fs.rmSync(dir, { recursive: true, force: true });
  return { pairs, seconds, perSecond: pairs / seconds };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchLocalLeases());
