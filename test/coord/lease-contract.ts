import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepLease } from '../../src/coord/keep-lease.js';
import type { LeaseCoordinator } from '../../src/coord/types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lease contract (SPEC 5). Every backend runs exactly these cases with these expectations
 * (the embedded one now, Redis with it), so they cannot drift apart.
 */
export interface LeaseContractHooks {
  /**
   * Deletes the stored lease of `name` by hand, as a person clearing a "stuck" lock would (the
   * embedded backend: its record file; Redis: its key). Without it, that case is skipped.
   */
  forgetLease?(c: LeaseCoordinator, name: string): Promise<void>;
}

export function leaseContract(
  backend: string,
  make: () => Promise<LeaseCoordinator>,
  hooks: LeaseContractHooks = {},
): void {
  describe(`lease contract: ${backend}`, () => {
    let c: LeaseCoordinator;
    beforeEach(async () => {
      c = await make();
    });
    afterEach(async () => {
      await c.close();
    });

    it('grants a free lease with a token, a fence and an expiry, and reports the holder to others', async () => {
      const got = await c.acquire('build', { ttlMs: 5_000, holder: { session: 'WFS-a' } });
      expect(got.status).toBe('acquired');
      if (got.status !== 'acquired') return;
      expect(got.lease).toMatchObject({ name: 'build', holder: { session: 'WFS-a', pid: process.pid } });
      expect(Number.isSafeInteger(got.lease.fence)).toBe(true);
      expect(got.lease.expiresAt).toBeGreaterThan(Date.now());
      const second = await c.acquire('build', { ttlMs: 5_000, holder: { session: 'WFS-b' } });
      expect(second).toEqual({
        status: 'held',
        current: {
          name: 'build',
          fence: got.lease.fence,
          expiresAt: got.lease.expiresAt,
          holder: got.lease.holder,
        },
      });
      expect(await c.inspect('build')).toEqual(second.status === 'held' ? second.current : undefined);
      expect((await c.list()).map((l) => l.name)).toEqual(['build']);
    });

    it('fences increase strictly with every grant of a name', async () => {
      const fences: number[] = [];
      for (let i = 0; i < 20; i++) {
        const got = await c.acquire('fenced', { ttlMs: 5_000 });
        if (got.status !== 'acquired') throw new Error('not acquired');
        fences.push(got.lease.fence);
        expect(await c.release(got.lease)).toBe('released');
      }
      for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
    });

    it('release says what happened: released, not_owner, expired', async () => {
      const got = await c.acquire('rel', { ttlMs: 5_000 });
      if (got.status !== 'acquired') throw new Error('not acquired');
      expect(await c.release({ name: 'rel', token: 'someone-else' })).toBe('not_owner');
      expect(await c.release(got.lease)).toBe('released');
      // Released already: nobody holds it any more, which is `expired`, not someone else's.
      expect(await c.release(got.lease)).toBe('expired');
      const short = await c.acquire('rel', { ttlMs: 50 });
      if (short.status !== 'acquired') throw new Error('not acquired');
      await sleep(120);
      expect(await c.release(short.lease)).toBe('expired');
      expect(await c.inspect('rel')).toBeUndefined();
    });

    it('renew extends only the owner’s live lease; an expired lease is free for the next holder, with a higher fence', async () => {
      const got = await c.acquire('renew', { ttlMs: 3_000 });
      if (got.status !== 'acquired') throw new Error('not acquired');
      const renewed = await c.renew(got.lease, 5_000);
      expect(renewed?.fence).toBe(got.lease.fence);
      expect(renewed!.expiresAt).toBeGreaterThan(got.lease.expiresAt);
      expect(await c.renew({ name: 'renew', token: 'nope' }, 5_000)).toBeUndefined();
      const short = await c.acquire('renew-2', { ttlMs: 50 });
      if (short.status !== 'acquired') throw new Error('not acquired');
      await sleep(120);
      expect(await c.renew(short.lease, 5_000)).toBeUndefined();
      const next = await c.acquire('renew-2', { ttlMs: 5_000 });
      expect(next.status === 'acquired' && next.lease.fence > short.lease.fence).toBe(true);
    });

    it('acquire can wait for a held lease', async () => {
      const first = await c.acquire('wait', { ttlMs: 5_000 });
      if (first.status !== 'acquired') throw new Error('not acquired');
      setTimeout(() => void c.release(first.lease), 150);
      const started = Date.now();
      const second = await c.acquire('wait', { ttlMs: 5_000, waitMs: 3_000 });
      expect(second.status).toBe('acquired');
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      const third = await c.acquire('wait', { ttlMs: 5_000, waitMs: 100 });
      expect(third.status).toBe('held');
    });

    it('a fenced store refuses a fence older than the newest it has seen', async () => {
      const a = await c.acquire('store', { ttlMs: 50 });
      if (a.status !== 'acquired') throw new Error('not acquired');
      await sleep(100);
      const b = await c.acquire('store', { ttlMs: 5_000 });
      if (b.status !== 'acquired') throw new Error('not acquired');
      expect(await c.acceptFence('store-data', b.lease.fence)).toBe(true);
      expect(await c.acceptFence('store-data', a.lease.fence)).toBe(false);
      expect(await c.acceptFence('store-data', b.lease.fence)).toBe(true);
    });

    it('keepLease renews while the holder works, and aborts its signal when the lease is lost', async () => {
      // TTLs of a second or more: a loaded two-core machine can delay a timer by a few hundred ms.
      const got = await c.acquire('kept', { ttlMs: 1_200 });
      if (got.status !== 'acquired') throw new Error('not acquired');
      const kept = keepLease(c, got.lease, { ttlMs: 1_200 });
      await sleep(1_600);
      expect(kept.signal.aborted).toBe(false);
      expect(kept.current().expiresAt).toBeGreaterThan(got.lease.expiresAt);
      kept.stop();
      // Stopped renewing: it expires, someone else takes it, and a holder that renews is told.
      expect((await c.acquire('kept', { ttlMs: 5_000, waitMs: 5_000 })).status).toBe('acquired');
      const stale = keepLease(c, got.lease, { ttlMs: 1_200, intervalMs: 10 });
      await new Promise((resolve) => stale.signal.addEventListener('abort', resolve));
      expect(stale.signal.reason).toMatchObject({ code: 'E_LEASE_LOST' });
    });

    it('a listing shows only live leases: released and expired ones drop out', async () => {
      const short = [];
      for (const name of ['short-a', 'short-b', 'short-c']) {
        const got = await c.acquire(name, { ttlMs: 100 });
        if (got.status !== 'acquired') throw new Error('not acquired');
        short.push(got.lease);
      }
      const kept = await c.acquire('long-kept', { ttlMs: 60_000 });
      const released = await c.acquire('long-released', { ttlMs: 60_000 });
      if (kept.status !== 'acquired' || released.status !== 'acquired') throw new Error('not acquired');
      expect(await c.release(released.lease)).toBe('released');
      await sleep(250);
      expect((await c.list()).map((l) => l.name)).toEqual(['long-kept']);
      expect(await c.inspect('short-a')).toBeUndefined();
      expect(await c.inspect('long-released')).toBeUndefined();
      // Their names are free, with fences above every earlier one.
      const again = await c.acquire('short-a', { ttlMs: 5_000 });
      expect(again.status === 'acquired' && again.lease.fence > short[0]!.fence).toBe(true);
    });

    it.skipIf(hooks.forgetLease === undefined)(
      'a live lease deleted by hand: the next holder gets a fence above every earlier fence, and the old holder is refused',
      async () => {
        const first = await c.acquire('cleared', { ttlMs: 60_000 });
        if (first.status !== 'acquired') throw new Error('not acquired');
        expect(await c.acceptFence('cleared-store', first.lease.fence)).toBe(true);
        await hooks.forgetLease!(c, 'cleared');
        const second = await c.acquire('cleared', { ttlMs: 60_000 });
        expect(second.status).toBe('acquired');
        if (second.status !== 'acquired') return;
        expect(second.lease.fence).toBeGreaterThan(first.lease.fence);
        expect(await c.acceptFence('cleared-store', second.lease.fence)).toBe(true);
        expect(await c.acceptFence('cleared-store', first.lease.fence)).toBe(false);
        expect(await c.renew(first.lease, 5_000)).toBeUndefined();
        // The second holder has it: the first is told so.
        expect(await c.release(first.lease)).toBe('not_owner');
        expect(await c.release(second.lease)).toBe('released');
      },
    );

    it('refuses bad names and TTLs', async () => {
      await expect(c.acquire('../x', { ttlMs: 100 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
      await expect(c.acquire('ok', { ttlMs: 0 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
      await expect(c.acquire('ok', { ttlMs: 1.5 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
    });
  });
}
