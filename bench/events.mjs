// Announcement delivery to another process (issue 4: median at most 100 ms on the embedded
// backend, at most 10 ms on Redis): this process publishes, a follower process (event-follower.mjs)
// notes when each event arrives. Baseline in the same run: the same message over a pipe between
// two processes, the floor of any delivery between processes on this machine at this moment.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { internalsOf } from './internals.mjs';
import { startBenchRedis } from './redis-leases.mjs';

const FOLLOWER = new URL('./event-follower.mjs', import.meta.url).pathname;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function measure(backend, where, send, count, env = {}) {
  const child = spawn(process.execPath, [FOLLOWER, backend, where, String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
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
  return {
    median: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    received: latencies.length,
    latencies,
  };
}

export async function benchEvents({ count = 200 } = {}) {
  const pipe = (child) => child.stdin.write(`${now()}\n`);
  // The backends themselves (not part of the public API), as the benchmarks of leases use them.
  const { LocalCoordinator, loadRedisCoordinator } = await internalsOf();
  const RedisCoordinator = await loadRedisCoordinator();
  const results = [];
  results.push({ backend: 'pipe (baseline)', ...(await measure('pipe', '-', pipe, count)) });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-events-'));
  const local = new LocalCoordinator(dir);
  const publishLocal = () => local.publish({ type: 'bench.event', data: { sent: now() } });
  results.push({ backend: 'local', target: 100, ...(await measure('local', dir, publishLocal, count)) });
  fs.rmSync(dir, { recursive: true, force: true });

  const server = await startBenchRedis();
  try {
    const redis = await RedisCoordinator.connect({ url: server.url, projectId: 'bench-events' });
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

/**
 * Delivery on the embedded backend to a follower in another process, with logs of each size in
 * `logs` (events written before, as a long-lived log holds them), beside a pipe. The kinds take
 * turns, `rounds` times `count / rounds` events each, so load that comes and goes on the machine
 * falls on all of them alike. `dist`: the build to measure.
 */
export async function benchDelivery({ dist, logs, count = 200, rounds = 4 }) {
  const { LocalCoordinator } = await internalsOf(dist);
  const places = [];
  for (const events of logs) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-delivery-'));
    const at = new Date().toISOString();
    const lines = [];
    for (let id = 1; id <= events; id++)
      lines.push(JSON.stringify({ id, type: 'bench.old', at, session: null, host: 'bench', data: { id } }));
    fs.writeFileSync(path.join(dir, 'events.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
    const local = new LocalCoordinator(dir);
    await local.publish({ type: 'bench.started' });
    places.push({ events, dir, local, latencies: [], pipe: [] });
  }
  const each = Math.ceil(count / rounds);
  for (let round = 0; round < rounds; round++)
    for (const place of places) {
      const pipe = await measure('pipe', '-', (child) => child.stdin.write(`${now()}\n`), each);
      place.pipe.push(...pipe.latencies);
      const publish = () => place.local.publish({ type: 'bench.event', data: { sent: now() } });
      const measured = await measure('local', place.dir, publish, each, { WFS_DIST: dist });
      place.latencies.push(...measured.latencies);
    }
  const results = [];
  for (const place of places) {
    await place.local.close();
    fs.rmSync(place.dir, { recursive: true, force: true });
    results.push({
      events: place.events,
      pipe: percentile(place.pipe, 0.5),
      median: percentile(place.latencies, 0.5),
      p90: percentile(place.latencies, 0.9),
      received: place.latencies.length,
    });
  }
  return results;
}

/** The results as a Markdown table, and how many targets were missed. */
export function eventsTable(results) {
  const lines = [
    '| delivery to another process | received | median ms | p90 ms | target (median) | |',
    '|---|---:|---:|---:|---:|---|',
  ];
  let missed = 0;
  for (const r of results) {
    const ok = r.target === undefined || r.median <= r.target;
    if (!ok) missed++;
    const target = r.target === undefined ? '' : `≤ ${r.target}`;
    const verdict = r.target === undefined ? '' : ok ? 'met' : '**missed**';
    lines.push(
      `| ${r.backend} | ${r.received} | ${r.median.toFixed(2)} | ${r.p90.toFixed(2)} | ${target} | ${verdict} |`,
    );
  }
  return { lines, missed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, missed } = eventsTable(await benchEvents());
  console.log(lines.join('\n'));
  process.exitCode = missed > 0 ? 1 : 0;
}
