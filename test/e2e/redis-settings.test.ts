import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { json, makeRepo, wfs } from '../helpers.js';
import { startCluster, type TestCluster } from '../redis-cluster.js';
import { startRedis, type TestRedis } from '../redis-server.js';

type ErrorJson = { error: { code: string; message: string } };

/** A repository whose project ID is set, with `coordination` settings in config.json. */
function repoWith(coordination: Record<string, unknown> = {}): string {
  const root = makeRepo();
  fs.mkdirSync(path.join(root, '.workflow'), { recursive: true });
  fs.writeFileSync(
    path.join(root, '.workflow', 'config.json'),
    JSON.stringify({ project_id: `cli-${Math.random()}`, coordination }),
  );
  return root;
}

describe('refused credentials, from the CLI', () => {
  let secured: TestRedis;
  beforeAll(async () => {
    secured = await startRedis({ password: 'the-right-one' });
    const acl = new Redis(secured.url);
    await acl.call('ACL', 'SETUSER', 'readonly', 'on', '>pw', '~*', '+@all', '-@write');
    acl.disconnect();
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('wfs lock acquire: a wrong password is E_AUTH (exit 2) under every unreachable policy; the password is never printed', async () => {
    const root = repoWith();
    const env = { WFS_REDIS_URL: `redis://:not-the-password@127.0.0.1:${secured.port}` };
    for (const policy of ['fail', 'run-unlocked', 'skip']) {
      const run = await wfs(root, ['lock', 'acquire', 'deploy', '--json'], {
        env: { ...env, WFS_ON_UNREACHABLE: policy },
      });
      expect(run.code).toBe(2);
      expect(json<ErrorJson>(run).error).toEqual({
        code: 'E_AUTH',
        message: expect.stringMatching(
          /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused connect: WRONGPASS/,
        ),
      });
      expect(run.stdout + run.stderr).not.toContain('not-the-password');
    }
    const plain = await wfs(root, ['lock', 'acquire', 'deploy'], {
      env: { ...env, WFS_ON_UNREACHABLE: 'run-unlocked' },
    });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(
      /^ERROR: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused connect: WRONGPASS/,
    );
    expect(plain.stderr).not.toMatch(/WARNING|policy/);
  });

  it('no password, and an ACL user who may not write, are E_AUTH too', async () => {
    const root = repoWith();
    for (const url of [
      `redis://127.0.0.1:${secured.port}`,
      `redis://readonly:pw@127.0.0.1:${secured.port}`,
    ]) {
      const run = await wfs(root, ['lock', 'acquire', 'deploy', '--json'], {
        env: { WFS_REDIS_URL: url, WFS_ON_UNREACHABLE: 'skip' },
      });
      expect(run.code).toBe(2);
      expect(json<ErrorJson>(run).error.code).toBe('E_AUTH');
    }
  });
});

describe('an eviction policy that can lose leases, from the CLI', () => {
  let evicting: TestRedis;
  beforeAll(async () => {
    evicting = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
  });
  afterAll(async () => {
    await evicting?.stop();
  });

  it('wfs doctor reports a problem, wfs context a warning', async () => {
    const root = repoWith();
    const env = { WFS_REDIS_URL: evicting.url };
    const said =
      /Redis at redis:\/\/127\.0\.0\.1:\d+ may evict keys when full \(maxmemory-policy allkeys-lru\): a lease can vanish and be granted to a second holder; set maxmemory-policy noeviction/;
    const doctor = await wfs(root, ['doctor'], { env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`PROBLEM \\[coordination\\] ${said.source}`));
    const context = await wfs(root, ['context'], { env });
    expect(context.code).toBe(0);
    expect(context.stderr).toMatch(new RegExp(`WARNING: ${said.source}`));
  });
});

describe('a request that times out, from the CLI', () => {
  let redis: TestRedis;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('wfs lock acquire on a paused server fails, says the lease it was granted was released, and leaves none', async () => {
    const root = repoWith({ timeout_ms: 1_000 });
    const env = { WFS_REDIS_URL: redis.url };
    // The server has the scripts (as it does but after a restart).
    const warm = json<{ token: string }>(await wfs(root, ['lock', 'acquire', 'warm', '--json'], { env }));
    await wfs(root, ['lock', 'release', 'warm', '--token', warm.token], { env });
    await wfs(root, ['results', 'put', 'warm'], { env, input: 'x' });
    await admin.call('CLIENT', 'PAUSE', '2500', 'WRITE');
    const acquired = await wfs(root, ['lock', 'acquire', 'deploy'], { env });
    expect(acquired.code).toBe(1);
    expect(acquired.stderr).toMatch(
      /^ERROR: Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(acquire\): no answer within 1000 ms; the lease it may have been granted: it had been granted and was released\n$/,
    );
    expect(json<{ locks: unknown[] }>(await wfs(root, ['lock', 'list', '--json'], { env })).locks).toEqual(
      [],
    );

    // Paused until the put has given up on its write, not for a set time (a slow start of the
    // process would otherwise send the write after the pause): the write is held (flags b) and
    // the client has sent QUIT behind it (query buffer not empty: its 1,000 ms ran out and it is
    // closing). Then the server applies the write, which the command said it may have done.
    const me = String(await admin.call('CLIENT', 'ID'));
    await admin.call('CLIENT', 'PAUSE', '120000', 'WRITE');
    const putting = wfs(root, ['results', 'put', 'built'], { env, input: 'stored anyway' });
    await vi.waitFor(
      async () => {
        const clients = String(await admin.call('CLIENT', 'LIST')).split('\n');
        const givenUp = clients.some(
          (line) => !line.startsWith(`id=${me} `) && /flags=\S*b/.test(line) && !/ qbuf=0 /.test(line),
        );
        if (!givenUp) throw new Error('the put has not given up on its write yet');
      },
      { timeout: 60_000, interval: 50 },
    );
    await admin.call('CLIENT', 'UNPAUSE');
    const put = await putting;
    expect(put.code).toBe(1);
    expect(put.stderr).toMatch(/\(results\): no answer within 1000 ms; the value may be stored\n$/);
    expect((await wfs(root, ['results', 'get', 'built'], { env })).stdout).toBe('stored anyway');
  });
});

describe('Redis Cluster, from the CLI', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('works through the URL of any node, detected or set in config.json; a bad WFS_REDIS_CLUSTER is refused', async () => {
    for (const node of cluster.nodes) {
      const root = repoWith();
      const env = { WFS_REDIS_URL: node.url };
      const acquired = await wfs(root, ['lock', 'acquire', 'deploy', '--json'], { env });
      expect(acquired.code).toBe(0);
      expect(
        json<{ locks: { name: string }[] }>(await wfs(root, ['lock', 'list', '--json'], { env })).locks,
      ).toEqual([expect.objectContaining({ name: 'deploy' })]);
    }
    const configured = repoWith({ redis_url: cluster.nodes[0]!.url, cluster: true });
    expect((await wfs(configured, ['lock', 'acquire', 'deploy'])).code).toBe(0);
    const bad = await wfs(configured, ['lock', 'list'], { env: { WFS_REDIS_CLUSTER: 'maybe' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('ERROR: WFS_REDIS_CLUSTER="maybe": expected one of true|false|auto\n');
  });
});
