// Lease throughput of the embedded backend in one process (issue 4: at least 2,000
// acquire+release pairs per second): each pair is two read-modify-writes under the
// cross-process lock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { internalsOf } from './internals.mjs';
import { timePairs } from './lease-pairs.mjs';

const { LocalCoordinator } = await internalsOf();

export async function benchLocalLeases({ pairs = 3000, workers = 1 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-leases-'));
  const coordinator = new LocalCoordinator(dir);
  const result = await timePairs(coordinator, { warm: 200, pairs, workers });
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchLocalLeases());
