// Lease throughput on Redis over loopback, one process (issue 4: at least 5,000 acquire+release
// pairs per second). Starts a private redis-server on a free port and stops it afterwards.
// Baseline in the same run: sequential PINGs through the same client library, the round trip
// every sequential operation pays (a pair is two round trips, so half of it bounds one loop).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { internalsOf } from './internals.mjs';
import { timePairs } from './lease-pairs.mjs';

const RedisCoordinator = await (await internalsOf()).loadRedisCoordinator();

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

async function pingsPerSecond(url, count) {
  const client = new Redis(url);
  for (let i = 0; i < 500; i++) await client.ping();
  const started = performance.now();
  for (let i = 0; i < count; i++) await client.ping();
  const perSecond = count / ((performance.now() - started) / 1000);
  client.disconnect();
  return perSecond;
}

export async function benchRedisLeases({ pairs = 10_000, workers = 1 } = {}) {
  const server = await startBenchRedis();
  try {
    const coordinator = await RedisCoordinator.connect({ url: server.url, projectId: 'bench' });
    const pings = await pingsPerSecond(server.url, pairs);
    const result = await timePairs(coordinator, { warm: 500, pairs, workers });
    await coordinator.close();
    return { ...result, pingsPerSecond: pings, ofRoundTripBound: result.perSecond / (pings / 2) };
  } finally {
    server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const workers of [1, 8]) console.log(await benchRedisLeases({ workers }));
}
