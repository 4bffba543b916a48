// Lease throughput on Redis over loopback, one process (issue 4: at least 5,000 acquire+release
// pairs per second). Starts a private redis-server on a free port and stops it afterwards.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { RedisCoordinator } from '../dist/lib/coord/redis/leases.js';

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function benchRedisLeases({ pairs = 10_000 } = {}) {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  try {
    let coordinator;
    for (let i = 0; i < 100 && coordinator === undefined; i++) {
      try {
        coordinator = await RedisCoordinator.connect({
          url: `redis://127.0.0.1:${port}`,
          projectId: 'bench',
        });
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (let i = 0; i < 500; i++) {
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
    await coordinator.close();
    return { pairs, seconds, perSecond: pairs / seconds };
  } finally {
    server.kill('SIGKILL');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRedisLeases());
