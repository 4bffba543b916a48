// Lease throughput on Redis over loopback, one process (issue 4: at least 5,000 acquire+release
// pairs per second). Starts a private redis-server on a free port and stops it afterwards.
// Beside it, in the same run and interleaved round by round (this machine is shared and noisy):
// the floor, a hand-written lock through the same client library (`SET key token NX PX` and a
// compare-and-delete script: two round trips, like a pair, and the least a lock held across work
// can cost). The target is the ratio to that floor. The server's own figures (INFO commandstats)
// give the Redis commands run per pair and the server's time per pair. `WFS_BEFORE=/path/to/dist`
// adds another build (the one before a change) to the same rounds: `before*` figures.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { internalsOf } from './internals.mjs';
import { timePairs } from './lease-pairs.mjs';

const RedisCoordinator = await (await internalsOf()).loadRedisCoordinator();
const Before = process.env.WFS_BEFORE
  ? await (await internalsOf(path.resolve(process.env.WFS_BEFORE))).loadRedisCoordinator()
  : undefined;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server that keeps nothing on disk; `stop()` kills it. */
export async function startBenchRedis() {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, stop: () => server.kill('SIGKILL') };
}

const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The floor: `pairs` SET NX PX + compare-and-delete pairs, in `workers` loops on names of their own. */
async function floorPairs(client, sha, { pairs, workers }) {
  const each = Math.ceil(pairs / workers);
  const loop = async (key) => {
    for (let i = 0; i < each; i++) {
      const token = Math.random().toString(36).slice(2);
      if ((await client.set(key, token, 'PX', 10_000, 'NX')) !== 'OK') throw new Error('held');
      await client.evalsha(sha, 1, key, token);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(`floor:${w}`)));
  const seconds = (performance.now() - started) / 1000;
  return { pairs: each * workers, perSecond: (each * workers) / seconds };
}

/**
 * Since the last reset: the commands run (those a script ran included) and the server's µs, the
 * scripts' time (which includes the commands they ran) plus that of `direct`, the commands sent
 * as they are.
 */
async function serverWork(admin, direct) {
  let calls = 0;
  let usec = 0;
  for (const line of (await admin.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (!match) continue;
    const [, command, n, u] = match;
    if (/^(info|config)\b/.test(command)) continue;
    if (command === 'evalsha' || command === 'eval') usec += Number(u);
    else calls += Number(n);
    if (direct.includes(command)) usec += Number(u);
  }
  return { calls, usec };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `rounds` rounds, each of `pairs` wfs pairs and `pairs` floor pairs in a random order; the ratio
 * is taken within each round, then the median over rounds.
 */
export async function benchRedisLeases({ pairs = 5_000, workers = 1, rounds = 5 } = {}) {
  const server = await startBenchRedis();
  try {
    const coordinator = await RedisCoordinator.connect({ url: server.url, projectId: 'bench' });
    const floor = new Redis(server.url);
    const admin = new Redis(server.url);
    const sha = await floor.script('LOAD', COMPARE_AND_DELETE);
    const before = Before && (await Before.connect({ url: server.url, projectId: 'bench-before' }));
    await timePairs(coordinator, { warm: 500, pairs: 0, workers });
    if (before) await timePairs(before, { warm: 500, pairs: 0, workers });
    await floorPairs(floor, sha, { pairs: 500, workers });
    const measure = async (run, direct) => {
      await admin.config('RESETSTAT');
      const result = await run();
      return { ...result, ...(await serverWork(admin, direct)) };
    };
    const wfs = [];
    const bare = [];
    const old = [];
    for (let round = 0; round < rounds; round++) {
      const runs = [
        async () => wfs.push(await measure(() => timePairs(coordinator, { warm: 0, pairs, workers }), [])),
        async () => bare.push(await measure(() => floorPairs(floor, sha, { pairs, workers }), ['set'])),
      ];
      if (before)
        runs.push(async () =>
          old.push(await measure(() => timePairs(before, { warm: 0, pairs, workers }), [])),
        );
      runs.sort(() => Math.random() - 0.5);
      for (const run of runs) await run();
    }
    await coordinator.close();
    await before?.close();
    floor.disconnect();
    admin.disconnect();
    const perPair = (list, field) => median(list.map((r) => r[field] / r.pairs));
    return {
      workers,
      rounds,
      pairs,
      perSecond: median(wfs.map((r) => r.perSecond)),
      floorPerSecond: median(bare.map((r) => r.perSecond)),
      ofFloor: median(wfs.map((r, i) => r.perSecond / bare[i].perSecond)),
      commandsPerPair: perPair(wfs, 'calls'),
      floorCommandsPerPair: perPair(bare, 'calls'),
      serverUsPerPair: perPair(wfs, 'usec'),
      floorServerUsPerPair: perPair(bare, 'usec'),
      ...(before
        ? {
            beforePerSecond: median(old.map((r) => r.perSecond)),
            beforeOfFloor: median(old.map((r, i) => r.perSecond / bare[i].perSecond)),
            beforeCommandsPerPair: perPair(old, 'calls'),
            beforeServerUsPerPair: perPair(old, 'usec'),
          }
        : {}),
    };
  } finally {
    server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  for (const workers of [1, 8]) console.log(await benchRedisLeases({ workers, rounds }));
}
