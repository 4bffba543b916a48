// Announcement delivery to another process (issue 4: median at most 100 ms on the embedded
// backend, at most 10 ms on Redis): this process publishes, a follower process (event-follower.mjs)
// notes when each event arrives. Baseline in the same run: the same message over a pipe between
// two processes, the floor of any delivery between processes on this machine at this moment.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { startBenchRedis } from './redis-leases.mjs';

const FOLLOWER = new URL('./event-follower.mjs', import.meta.url).pathname;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function measure(backend, where, send, count) {
  const child = spawn(process.execPath, [FOLLOWER, backend, where, String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const latencies = [];
  const ready = new Promise((resolve) => {
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      else latencies.push(Number(line));
    });
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await ready;
  await sleep(300);
  for (let i = 0; i < count; i++) {
    await send(child);
    // Spaced out, as real announcements are, and off any timer's beat.
    await sleep(20 + Math.random() * 20);
  }
  await Promise.race([exited, sleep(5_000)]);
  child.kill();
  return { median: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), received: latencies.length };
}

export async function benchEvents({ count = 200 } = {}) {
  const pipe = (child) => child.stdin.write(`${now()}\n`);
  const lib = await import('../dist/lib/index.js');
  const results = [];
  results.push({ backend: 'pipe (baseline)', ...(await measure('pipe', '-', pipe, count)) });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-events-'));
  const local = new lib.LocalCoordinator(dir);
  const publishLocal = () => local.publish({ type: 'bench.event', data: { sent: now() } });
  results.push({ backend: 'local', target: 100, ...(await measure('local', dir, publishLocal, count)) });
  fs.rmSync(dir, { recursive: true, force: true });

  const server = await startBenchRedis();
  try {
    const redis = await lib.RedisCoordinator.connect({ url: server.url, projectId: 'bench-events' });
    const publishRedis = () => redis.publish({ type: 'bench.event', data: { sent: now() } });
    results.push({
      backend: 'redis',
      target: 10,
      ...(await measure('redis', server.url, publishRedis, count)),
    });
    await redis.close();
  } finally {
    server.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchEvents();
  console.log(
    `Announcement delivery to another process, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}:\n`,
  );
  console.log('| backend | received | median ms | p90 ms | target (median) | |');
  console.log('|---|---:|---:|---:|---:|---|');
  let missed = 0;
  for (const r of results) {
    const ok = r.target === undefined || r.median <= r.target;
    if (!ok) missed++;
    console.log(
      `| ${r.backend} | ${r.received} | ${r.median.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.target === undefined ? '' : `≤ ${r.target}`} | ${r.target === undefined ? '' : ok ? 'met' : '**missed**'} |`,
    );
  }
  process.exitCode = missed > 0 ? 1 : 0;
}
