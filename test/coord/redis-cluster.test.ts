import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, mayHaveBeenApplied, waitingOutSlotMoves } from '../../src/coord/redis/connection.js';
import { RedisCoordinator } from '../../src/coord/redis/coordinator.js';
import { projectTag } from '../../src/coord/redis/keys.js';
import type { WfsEvent } from '../../src/coord/types.js';
import { type ClusterNode, startCluster, type TestCluster } from '../redis-cluster.js';
import { coordinationContract } from './coordination-contract.js';
import { leaseContract } from './lease-contract.js';
import { storeResultAsBefore } from './redis-records.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: TestCluster;
let project = 0;

beforeAll(async () => {
  // With a password, so that the cluster's node connections are shown to carry it.
  cluster = await startCluster({ password: 'cluster-pw' });
});
afterAll(async () => {
  await cluster?.stop();
});

/** The slot of a project's keys (its hash tag). */
const slotOfProject = (projectId: string) => cluster.slotOf(`{${projectTag(projectId)}}`);

/** A node that does not own the project's slot: every request must be redirected to work. */
async function notTheOwner(projectId: string): Promise<ClusterNode> {
  const owner = await cluster.ownerOf(await slotOfProject(projectId));
  return cluster.nodes.find((node) => node.port !== owner.port)!;
}

async function connectThroughOtherNode(projectId: string): Promise<RedisCoordinator> {
  const c = await RedisCoordinator.connect({ url: (await notTheOwner(projectId)).url, projectId });
  if (!c.cluster) throw new Error('the cluster was not detected');
  return c;
}

leaseContract('redis cluster', () => connectThroughOtherNode(`cluster-${process.pid}-${++project}`));

coordinationContract('redis', async () => {
  const projectId = `cluster-${process.pid}-${++project}`;
  const again = () => connectThroughOtherNode(projectId);
  return {
    c: await again(),
    again,
    storeAsBefore: async (record, ttlMs) => {
      // Straight to the node that owns the project's slot: a plain connection follows no MOVED.
      const raw = cluster.connect(await cluster.ownerOf(await slotOfProject(projectId)));
      try {
        await storeResultAsBefore(raw, projectId, record, ttlMs);
      } finally {
        raw.disconnect();
      }
    },
  };
});

describe('redis cluster specifics', () => {
  it('without the cluster client, a node that does not own the slot answers MOVED (what the backend must follow)', async () => {
    const projectId = 'moved-proof';
    const c = await RedisCoordinator.connect({
      url: (await notTheOwner(projectId)).url,
      projectId,
      cluster: false,
    });
    expect(c.cluster).toBe(false);
    await expect(c.acquire('job', { ttlMs: 5_000 })).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringMatching(/MOVED \d+ 127\.0\.0\.1:\d+/),
    });
    await c.close();
    const configured = await RedisCoordinator.connect({
      url: (await notTheOwner(projectId)).url,
      projectId,
      cluster: true,
    });
    expect((await configured.acquire('job', { ttlMs: 5_000 })).status).toBe('acquired');
    await configured.close();
  });

  it('the project slot moves to another node while two holders acquire and release in a loop: no errors, never two holders, fences strictly increasing; a follower keeps following', async () => {
    const projectId = 'moving-slot';
    const slot = await slotOfProject(projectId);
    const from = await cluster.ownerOf(slot);
    const to = cluster.nodes.find((node) => node.port !== from.port)!;
    const url = (await notTheOwner(projectId)).url;
    const a = await RedisCoordinator.connect({ url, projectId });
    const b = await RedisCoordinator.connect({ url, projectId });
    const follower = await RedisCoordinator.connect({ url, projectId });
    // Keys of several kinds in the slot, so that it moves in several batches.
    await a.putResult({ key: 'before', value: 'kept', ttlMs: 60_000 });
    await a.heartbeat({ session: 'WFS-moving', ttlMs: 60_000 });
    await a.claimPaths({ session: 'WFS-moving', paths: ['src/**'], ttlMs: 60_000 });
    const first = await a.publish({ type: 'test.before' });
    const followed: WfsEvent[] = [];
    const stopFollowing = new AbortController();
    const following = follower
      .followEvents(first.id, (event) => followed.push(event), stopFollowing.signal)
      .catch((error: unknown) => error);

    let holders = 0;
    let mostHolders = 0;
    const fences: number[] = [];
    const errors: unknown[] = [];
    let running = true;
    const loop = async (c: RedisCoordinator) => {
      while (running) {
        try {
          const got = await c.acquire('job', { ttlMs: 10_000, waitMs: 10_000 });
          if (got.status !== 'acquired') {
            errors.push(new Error('held after waiting'));
            continue;
          }
          holders++;
          mostHolders = Math.max(mostHolders, holders);
          fences.push(got.lease.fence);
          await sleep(1);
          holders--;
          const released = await c.release(got.lease);
          if (released !== 'released') errors.push(new Error(`release said ${released}`));
        } catch (error) {
          errors.push(error);
        }
      }
    };
    const loops = [loop(a), loop(b)];
    while (fences.length < 20) await sleep(10);
    const beforeMove = fences.length;
    // Half moved after each batch: the loops meet ASK and TRYAGAIN for a while.
    await cluster.moveSlot(slot, to, async () => {
      await sleep(100);
    });
    expect((await cluster.ownerOf(slot)).port).toBe(to.port);
    const afterMove = fences.length;
    while (fences.length < afterMove + 20) await sleep(10);
    running = false;
    await Promise.all(loops);

    expect(errors).toEqual([]);
    expect(mostHolders).toBe(1);
    for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
    expect(afterMove).toBeGreaterThan(beforeMove);
    // Everything written before the move is there after it.
    expect((await b.getResult('before'))?.text).toBe('kept');
    expect((await b.liveSessions()).map((p) => p.session)).toEqual(['WFS-moving']);
    expect((await b.listClaims()).map((claim) => claim.session)).toEqual(['WFS-moving']);
    const after = await b.publish({ type: 'test.after' });
    while (!followed.some((event) => event.id === after.id)) await sleep(20);
    stopFollowing.abort();
    expect(await following).toBeUndefined();
    expect(followed.map((event) => event.type)).toEqual(['test.after']);
    for (const c of [a, b, follower]) await c.close();
  });

  it('the slot stays half moved for longer than a request may take: acquire, release, results and claims wait it out, each applied once', async () => {
    const projectId = 'slow-move';
    const slot = await slotOfProject(projectId);
    const from = await cluster.ownerOf(slot);
    const to = cluster.nodes.find((node) => node.port !== from.port)!;
    const url = (await notTheOwner(projectId)).url;
    const timeoutMs = 300;
    const c = await RedisCoordinator.connect({ url, projectId, timeoutMs });
    await c.putResult({ key: 'before', value: 'kept', ttlMs: 60_000 });
    await c.publish({ type: 'test.before' });
    let during: Promise<unknown[]> | undefined;
    await cluster.moveSlot(
      slot,
      to,
      async () => {
        if (during) return;
        // Half moved: no master runs a script whose keys are split between them (TRYAGAIN).
        during = Promise.all([
          c.acquire('job', { ttlMs: 60_000 }).then(async (got) => {
            if (got.status !== 'acquired') throw new Error('not acquired');
            return [got.lease.fence, await c.release(got.lease)];
          }),
          c.putResult({ key: 'during', value: 'stored', ttlMs: 60_000 }),
          c.claimPaths({ session: 'WFS-slow', paths: ['src/**'], ttlMs: 60_000 }),
          c.listResults(),
        ]);
        // The fault's length, not a wait for a result: three of the requests' timeouts.
        await sleep(3 * timeoutMs);
      },
      1,
    );
    expect((await cluster.ownerOf(slot)).port).toBe(to.port);
    const [[fence, released], , conflicts] = (await during!) as [[number, string], unknown, unknown[]];
    expect(released).toBe('released');
    expect(conflicts).toEqual([]);
    expect((await c.getResult('during'))?.text).toBe('stored');
    expect((await c.listClaims()).map((claim) => claim.session)).toEqual(['WFS-slow']);
    // Granted once: the next grant is the next fence (or the clock's floor), never a second one of it.
    const next = await c.acquire('job', { ttlMs: 1_000 });
    expect(next.status === 'acquired' && next.lease.fence).toBeGreaterThan(fence);
    await c.close();
  });

  it('a slot left half moved: a request gives up after 15 timeouts, says why, and was not applied', async () => {
    const projectId = 'stuck-move';
    const slot = await slotOfProject(projectId);
    const from = await cluster.ownerOf(slot);
    const to = cluster.nodes.find((node) => node.port !== from.port)!;
    const url = (await notTheOwner(projectId)).url;
    const c = await RedisCoordinator.connect({ url, projectId, timeoutMs: 100 });
    await c.putResult({ key: 'before', value: 'kept', ttlMs: 60_000 });
    await c.publish({ type: 'test.before' });
    let failure: unknown;
    await cluster.moveSlot(
      slot,
      to,
      async () => {
        if (failure) return;
        // The move goes on only once the acquire has given up: as a reshard that stopped half way.
        failure = await c.acquire('job', { ttlMs: 60_000 }).then(
          () => new Error('acquired while the slot was half moved'),
          (error: unknown) => error,
        );
      },
      1,
    );
    expect(failure).toMatchObject({
      code: 'E_UNREACHABLE',
      message: expect.stringMatching(
        /could not run acquire: the project's slot stayed half moved between two masters for \d+ ms \(they answered (TRYAGAIN|ASK|MOVED)\), so it was not applied; a reshard that was interrupted is finished with redis-cli --cluster fix$/,
      ),
    });
    expect((failure as Error).message).not.toContain('cluster-pw');
    expect(await c.inspect('job')).toBeUndefined();
    expect(await c.list()).toEqual([]);
    await c.close();
  });

  it('after its redirections run out, a request is sent again only when no master ran it (TRYAGAIN, ASK, MOVED, NOSCRIPT)', async () => {
    // The messages of ioredis 6 when a request's redirections run out, naming the last reply.
    const exhausted = (reply: string) =>
      new Error(`Too many Cluster redirections. Last error: ReplyError: ${reply}`);
    const answers = (replies: (string | Error)[]) => {
      const sent: unknown[][] = [];
      const fake = {
        evalsha: async (...args: unknown[]) => {
          sent.push(args);
          const next = replies.shift();
          if (next instanceof Error) throw next;
          return next;
        },
      };
      return { client: waitingOutSlotMoves(fake as never, 60_000), sent };
    };
    const moving = answers([
      exhausted('TRYAGAIN Multiple keys request during rehashing of slot'),
      exhausted('ASK 0 127.0.0.1:7001'),
      exhausted('MOVED 0 127.0.0.1:7000'),
      // The master the slot went to has not seen the script yet: nothing ran there either.
      exhausted('NOSCRIPT No matching script. Please use EVAL.'),
      'ran',
    ]);
    expect(await moving.client.evalsha('sha', 1, 'k')).toBe('ran');
    expect(moving.sent).toHaveLength(5);
    expect(moving.sent.every((args) => args.join(' ') === 'sha 1 k')).toBe(true);

    // The reply of the master that ran it is its answer: not sent again, an error of the server.
    const answered = answers([exhausted('ERR user_script:3: attempt to compare nil with number')]);
    const failed = await answered.client.evalsha('sha', 1, 'k').catch((error: unknown) => error);
    expect(answered.sent).toHaveLength(1);
    expect(mayHaveBeenApplied(failed)).toBe(false);
    expect(classify('redis://h:7000', 'acquire', failed)).toMatchObject({
      code: 'E_IO',
      message: expect.stringContaining('attempt to compare nil with number'),
    });
    // A timeout in the middle of a chain: the last master reached may have run it; not sent again.
    const timedOut = answers([new Error('Command timed out'), 'ran twice']);
    const late = await timedOut.client.evalsha('sha', 1, 'k').catch((error: unknown) => error);
    expect(timedOut.sent).toHaveLength(1);
    expect(mayHaveBeenApplied(late)).toBe(true);
  });

  it('a wrong password is E_AUTH, a database other than 0 is E_CONFIG; the password is never printed', async () => {
    const node = cluster.nodes[0]!;
    const wrong = RedisCoordinator.connect({
      url: node.url.replace('cluster-pw', 'wrong-pw'),
      projectId: 'x',
    });
    await expect(wrong).rejects.toMatchObject({
      code: 'E_AUTH',
      message: expect.stringMatching(/WRONGPASS/),
    });
    await wrong.catch((error: Error) => expect(error.message).not.toContain('wrong-pw'));
    await expect(RedisCoordinator.connect({ url: `${node.url}/3`, projectId: 'x' })).rejects.toMatchObject({
      code: 'E_CONFIG',
      message: expect.stringMatching(/names database 3, but a Redis Cluster has only database 0/),
    });
    const zero = await RedisCoordinator.connect({ url: `${node.url}/0`, projectId: 'x' });
    expect(zero.cluster).toBe(true);
    await zero.close();
  });

  it('diagnose names each master whose eviction policy can drop leases', async () => {
    const c = await connectThroughOtherNode('diagnosed');
    expect(await c.diagnose()).toEqual([]);
    const admin = cluster.connect(cluster.nodes[1]!);
    try {
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
      expect(await c.diagnose()).toEqual([
        `Redis at 127.0.0.1:${cluster.nodes[1]!.port} may evict keys when full (maxmemory-policy volatile-lru): a lease can vanish and be granted to a second holder; set maxmemory-policy noeviction`,
      ]);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
      await c.close();
    }
  });
});
