import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/** One master of a test cluster. */
export interface ClusterNode {
  port: number;
  /** The URL of this node alone (`redis://[:password@]127.0.0.1:<port>`). */
  url: string;
  /** The node's cluster ID (CLUSTER MYID). */
  id: string;
}

/** A Redis Cluster of three masters of the tests' own, on free loopback ports. */
export interface TestCluster {
  nodes: ClusterNode[];
  /** The node that owns `slot` now. */
  ownerOf(slot: number): Promise<ClusterNode>;
  /** The slot a key hashes to (CLUSTER KEYSLOT). */
  slotOf(key: string): Promise<number>;
  /**
   * Moves a slot and its keys to another master, as `redis-cli --cluster reshard` does: IMPORTING
   * on the target, MIGRATING on the source, MIGRATE of the keys in batches, then SETSLOT NODE on
   * every master. `betweenBatches` runs after each batch of keys is moved (to act mid-migration);
   * `batchSize` keys a batch (default 3, so that even a slot of a few keys moves in several).
   */
  moveSlot(
    slot: number,
    to: ClusterNode,
    betweenBatches?: () => Promise<void>,
    batchSize?: number,
  ): Promise<void>;
  /** A plain connection to one node (the caller closes it). */
  connect(node: ClusterNode): Redis;
  stop(): Promise<void>;
}

const NOT_INSTALLED = (binary: string) =>
  new Error(
    `${binary} is not installed: the Redis Cluster tests start their own cluster (apt-get install redis-server redis-tools)`,
  );

function listen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000, fixed by Redis) is free too, so the port must
 * be below 55536.
 */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await listen(port)) && (await listen(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free pair of ports for a cluster node');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Redis Cluster test helper: timed out waiting for ${what}`);
}

/**
 * Starts three masters (`--cluster-enabled yes`), joins them with `redis-cli --cluster create`
 * (no replicas) and waits until every node says `cluster_state:ok`. Nothing is kept on disk but
 * the nodes' own cluster config files, in a temporary folder removed by `stop`.
 */
export async function startCluster(options: { password?: string } = {}): Promise<TestCluster> {
  if (spawnSync('redis-server', ['--version']).error) throw NOT_INSTALLED('redis-server');
  if (spawnSync('redis-cli', ['--version']).error) throw NOT_INSTALLED('redis-cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-cluster-'));
  const taken = new Set<number>();
  const ports = [await freeClusterPort(taken), await freeClusterPort(taken), await freeClusterPort(taken)];
  const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '5000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...auth,
      ],
      { stdio: 'ignore' },
    ),
  );
  const password = options.password ? `:${options.password}@` : '';
  const connect = (node: { port: number }) => {
    const client = new Redis({
      host: '127.0.0.1',
      port: node.port,
      ...(options.password ? { password: options.password } : {}),
      maxRetriesPerRequest: 1,
    });
    // A probe meets a node that is not listening yet; the failing request reports it.
    client.on('error', () => {});
    return client;
  };
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
            child.once('exit', resolve);
            child.kill('SIGKILL');
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports)
      await waitFor(`redis-server on port ${port}`, async () => {
        const probe = connect({ port });
        try {
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } finally {
          probe.disconnect();
        }
      });
    const create = spawnSync(
      'redis-cli',
      [
        ...(options.password ? ['-a', options.password, '--no-auth-warning'] : []),
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    const admins = ports.map((port) => connect({ port }));
    const nodes: ClusterNode[] = [];
    try {
      for (const [i, admin] of admins.entries()) {
        await waitFor(`cluster_state:ok on port ${ports[i]}`, async () =>
          /cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))) ? true : undefined,
        );
        nodes.push({
          port: ports[i]!,
          url: `redis://${password}127.0.0.1:${ports[i]}`,
          id: String(await admin.call('CLUSTER', 'MYID')),
        });
      }
      // Every node must know every other's slots before a client's first CLUSTER SLOTS.
      for (const admin of admins)
        await waitFor('every node to agree on the slots', async () => {
          const slots = (await admin.call('CLUSTER', 'SLOTS')) as unknown[];
          return slots.length === 3 ? true : undefined;
        });
    } finally {
      for (const admin of admins) admin.disconnect();
    }

    const ownerOf = async (slot: number): Promise<ClusterNode> => {
      const admin = connect(nodes[0]!);
      try {
        const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no node owns slot ${slot}`);
        return nodes.find((node) => node.port === Number(range[2][1]))!;
      } finally {
        admin.disconnect();
      }
    };
    const slotOf = async (key: string): Promise<number> => {
      const admin = connect(nodes[0]!);
      try {
        return Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      } finally {
        admin.disconnect();
      }
    };
    const moveSlot = async (
      slot: number,
      to: ClusterNode,
      betweenBatches?: () => Promise<void>,
      batchSize = 3,
    ) => {
      const from = await ownerOf(slot);
      if (from.port === to.port) throw new Error(`slot ${slot} is on port ${to.port} already`);
      const source = connect(from);
      const target = connect(to);
      const others = nodes.filter((node) => node !== from && node !== to).map(connect);
      try {
        await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
        await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id);
        for (;;) {
          // Small batches, so that clients meet the slot half-moved (ASK and TRYAGAIN).
          const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, batchSize)) as string[];
          if (keys.length === 0) break;
          await source.call(
            'MIGRATE',
            '127.0.0.1',
            to.port,
            '',
            0,
            5_000,
            ...(options.password ? ['AUTH', options.password] : []),
            'KEYS',
            ...keys,
          );
          await betweenBatches?.();
        }
        // The target first: once it owns the slot, the source's redirects point at an owner.
        await target.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
        await source.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
        for (const other of others) await other.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id);
      } finally {
        source.disconnect();
        target.disconnect();
        for (const other of others) other.disconnect();
      }
    };
    return { nodes, ownerOf, slotOf, moveSlot, connect, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
