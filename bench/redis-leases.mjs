// Lease throughput on Redis over loopback, one process (issue 4: at least 5,000 acquire+release
// pairs per second). Starts a private redis-server on a free port and stops it afterwards.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { RedisCoordinator } from '../dist/lib/coord/redis/leases.js';
import { timePairs } from './lease-pairs.mjs';

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
    const result = await timePairs(coordinator, { warm: 500, pairs });
    await coordinator.close();
    return result;
  } finally {
    server.kill('SIGKILL');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRedisLeases());
