import os from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESULT_MAX_BYTES } from '../../src/coord/rules.js';
import type { Coordinator, WfsEvent } from '../../src/coord/types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The rest of the coordination contract (SPEC 5): announcements, shared results, presence and path
 * claims. Every backend runs exactly these cases with these expectations. `make` gives a new,
 * empty project each time; `again` a second coordinator on the same project (another process would
 * see the same); `storeAsBefore` writes a live result into that project's storage by hand, in the
 * form wfs stored every result in before values were bytes (its text in `value`, no `encoding`).
 */
export interface OldResult {
  key: string;
  value: string;
  session: string | null;
  host: string;
  put_at: string;
}

export function coordinationContract(
  backend: string,
  make: () => Promise<{
    c: Coordinator;
    again: () => Promise<Coordinator>;
    storeAsBefore: (record: OldResult, ttlMs: number) => Promise<void>;
  }>,
): void {
  describe(`coordination contract: ${backend}`, () => {
    let c: Coordinator;
    let again: () => Promise<Coordinator>;
    let storeAsBefore: (record: OldResult, ttlMs: number) => Promise<void>;
    const opened: Coordinator[] = [];
    beforeEach(async () => {
      ({ c, again, storeAsBefore } = await make());
      opened.push(c);
    });
    afterEach(async () => {
      for (const one of opened.splice(0)) await one.close();
    });
    const other = async () => {
      const second = await again();
      opened.push(second);
      return second;
    };

    it('announcements: IDs only grow, read oldest first, from any point, with the fields of the SPEC', async () => {
      expect(c.backend).toBe(backend);
      const published: WfsEvent[] = [];
      for (let i = 0; i < 5; i++)
        published.push(await c.publish({ type: 'test.event', session: 'WFS-a', data: { i } }));
      for (let i = 1; i < 5; i++) expect(published[i]!.id).toBeGreaterThan(published[i - 1]!.id);
      for (const event of published) expect(Number.isSafeInteger(event.id)).toBe(true);
      const all = await (await other()).readEvents();
      expect(all).toEqual(published);
      expect(all[0]).toEqual({
        id: published[0]!.id,
        type: 'test.event',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        session: 'WFS-a',
        host: os.hostname(),
        data: { i: 0 },
      });
      // With --since: the oldest `limit` after it (so a reader can page on); without: the newest.
      expect((await c.readEvents({ since: published[1]!.id })).map((e) => e.data.i)).toEqual([2, 3, 4]);
      expect((await c.readEvents({ since: published[0]!.id, limit: 2 })).map((e) => e.data.i)).toEqual([
        1, 2,
      ]);
      expect((await c.readEvents({ limit: 2 })).map((e) => e.data.i)).toEqual([3, 4]);
      expect(await c.readEvents({ since: published[4]!.id })).toEqual([]);
    });

    it('announcements: bad types are refused; oversized data is truncated alike', async () => {
      await expect(c.publish({ type: 'NoDots' })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
      await expect(c.publish({ type: 'a.b', session: '../x' })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
      const big = await c.publish({ type: 'test.big', data: { text: 'x'.repeat(10_000) } });
      expect(big.data).toEqual({ truncated: true });
      expect((await c.readEvents()).at(-1)).toEqual(big);
      expect(await c.publish({ type: 'test.empty' })).toMatchObject({ session: null, data: {} });
    });

    it('announcements are followed live by another coordinator, from a point, until aborted', async () => {
      const first = await c.publish({ type: 'test.before' });
      const follower = await other();
      const seen: WfsEvent[] = [];
      const controller = new AbortController();
      const following = follower.followEvents(first.id, (e) => seen.push(e), controller.signal);
      await sleep(100);
      const later = [await c.publish({ type: 'test.one' }), await c.publish({ type: 'test.two' })];
      for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(50);
      controller.abort();
      await following;
      expect(seen).toEqual(later);
      // From 0: everything, the earlier event too.
      const all: WfsEvent[] = [];
      const again = new AbortController();
      const second = follower.followEvents(0, (e) => all.push(e), again.signal);
      for (let i = 0; i < 100 && all.length < 3; i++) await sleep(50);
      again.abort();
      await second;
      expect(all.map((e) => e.type)).toEqual(['test.before', 'test.one', 'test.two']);
    });

    it('batch: several operations (nested too) as one unit of locking, each one visible after', async () => {
      const result = await c.batch(async () => {
        const event = await c.publish({ type: 'session.started', session: 'WFS-batch' });
        await c.heartbeat({ session: 'WFS-batch', ttlMs: 60_000 });
        await c.batch(async () => c.putResult({ key: 'in-batch', value: 'v', ttlMs: 60_000 }));
        return event.id;
      });
      const reader = await other();
      expect((await reader.readEvents()).map((e) => e.id)).toEqual([result]);
      expect((await reader.liveSessions()).map((p) => p.session)).toEqual(['WFS-batch']);
      expect((await reader.getResult('in-batch'))?.text).toBe('v');
      await expect(c.batch(async () => c.publish({ type: 'bad' }))).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
      // The lock is free again after a failure inside.
      expect((await reader.publish({ type: 'test.after' })).type).toBe('test.after');
    });

    it('results: read back exactly by another coordinator, listed, expire at their TTL', async () => {
      const value = 'line 1\n\u00e9 \u{1F512}\n';
      const put = await c.putResult({
        key: 'test-coverage:tree-abc',
        value,
        ttlMs: 60_000,
        session: 'WFS-a',
      });
      expect(put).toMatchObject({
        key: 'test-coverage:tree-abc',
        value: Buffer.from(value, 'utf8'),
        text: value,
        session: 'WFS-a',
        host: os.hostname(),
      });
      expect(put.expires_at).toBeGreaterThan(Date.now() + 50_000);
      const reader = await other();
      expect(await reader.getResult('test-coverage:tree-abc')).toEqual(put);
      await c.putResult({ key: 'short', value: 'x', ttlMs: 200 });
      expect((await reader.listResults()).map((r) => r.key)).toEqual(['short', 'test-coverage:tree-abc']);
      await sleep(300);
      expect(await reader.getResult('short')).toBeUndefined();
      expect(await reader.getResult('never')).toBeUndefined();
      expect((await reader.listResults()).map((r) => r.key)).toEqual(['test-coverage:tree-abc']);
      // Put again: replaced.
      await c.putResult({ key: 'test-coverage:tree-abc', value: 'new', ttlMs: 60_000 });
      expect((await reader.getResult('test-coverage:tree-abc'))?.text).toBe('new');
      await expect(c.putResult({ key: '../x', value: '', ttlMs: 10 })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
      await expect(c.putResult({ key: 'k', value: '', ttlMs: 0 })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
    });

    it('results are bytes: any bytes read back exactly (a gzip too), with text only where they are UTF-8', async () => {
      const raw = Uint8Array.from([0xff, 0xfe, 0x00, 0x41]);
      const log = 'a line of a build log\n'.repeat(2_000);
      const gzipped = gzipSync(log);
      const put = await c.putResult({ key: 'raw', value: raw, ttlMs: 60_000, session: 'WFS-a' });
      expect(put).toMatchObject({ key: 'raw', value: Buffer.from(raw), text: undefined, session: 'WFS-a' });
      await c.putResult({ key: 'log.gz', value: gzipped, ttlMs: 60_000 });
      // Bytes that happen to be UTF-8 (an empty value too) read as text as well.
      await c.putResult({ key: 'utf8-bytes', value: Buffer.from('\u00e9 \u{1F512}'), ttlMs: 60_000 });
      await c.putResult({ key: 'empty', value: new Uint8Array(0), ttlMs: 60_000 });
      const reader = await other();
      expect(await reader.getResult('raw')).toEqual(put);
      const got = (await reader.getResult('log.gz'))!;
      expect(got.value.equals(gzipped)).toBe(true);
      expect(got.text).toBeUndefined();
      expect(gunzipSync(got.value).toString('utf8')).toBe(log);
      expect(await reader.getResult('utf8-bytes')).toMatchObject({ text: '\u00e9 \u{1F512}' });
      expect(await reader.getResult('empty')).toMatchObject({ value: Buffer.alloc(0), text: '' });
      const listed = await reader.listResults();
      expect(listed.map((r) => [r.key, r.value.length, r.text === undefined])).toEqual([
        ['empty', 0, false],
        ['log.gz', gzipped.length, true],
        ['raw', 4, true],
        ['utf8-bytes', 7, false],
      ]);
      expect(listed.find((r) => r.key === 'raw')).toEqual(put);
    });

    it('results: the bound counts bytes (binary at the bound is stored whole); text without UTF-8 is refused', async () => {
      // Every byte value, over and over: stored in a form larger than the bound (base64) and still whole.
      const largest = Buffer.alloc(RESULT_MAX_BYTES);
      for (let i = 0; i < largest.length; i++) largest[i] = (i * 7 + (i >> 8)) & 0xff;
      await c.putResult({ key: 'largest', value: largest, ttlMs: 60_000 });
      expect((await (await other()).getResult('largest'))!.value.equals(largest)).toBe(true);
      await expect(
        c.putResult({ key: 'over', value: Buffer.alloc(RESULT_MAX_BYTES + 1), ttlMs: 60_000 }),
      ).rejects.toMatchObject({ code: 'E_INVALID_INPUT', message: expect.stringContaining('bytes') });
      // Half as many characters of two bytes each: at the bound, and one byte over it.
      const text = '\u00e9'.repeat(RESULT_MAX_BYTES / 2);
      expect((await c.putResult({ key: 'text', value: text, ttlMs: 60_000 })).value.length).toBe(
        RESULT_MAX_BYTES,
      );
      await expect(c.putResult({ key: 'over', value: `${text}x`, ttlMs: 60_000 })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
      // A lone surrogate has no UTF-8 form: refused, never stored as something else.
      await expect(c.putResult({ key: 'half', value: 'a\ud800b', ttlMs: 60_000 })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
        message: expect.stringContaining('lone surrogate'),
      });
      expect(await c.getResult('over')).toBeUndefined();
      expect(await c.getResult('half')).toBeUndefined();
    });

    it('results stored before values were bytes (text in the record) still read, as that text and its bytes', async () => {
      const record = {
        key: 'coverage:old-tree',
        value: 'written by an older wfs \u00e9\n',
        session: 'WFS-old',
        host: 'old-host',
        put_at: new Date(Date.now() - 1_000).toISOString(),
      };
      await storeAsBefore(record, 60_000);
      const got = await c.getResult(record.key);
      expect(got).toMatchObject({
        key: record.key,
        value: Buffer.from(record.value, 'utf8'),
        text: record.value,
        session: 'WFS-old',
        host: 'old-host',
      });
      expect(got?.put_at).toBe(record.put_at);
      expect(await c.listResults()).toEqual([got]);
    });

    it('results and presence take keys and sessions of the longest length allowed (300)', async () => {
      const key = `a${'/x'.repeat(149)}y`;
      expect(key).toHaveLength(300);
      const sibling = `a${'/x'.repeat(149)}z`;
      await c.putResult({ key, value: 'first', ttlMs: 60_000 });
      await c.putResult({ key: sibling, value: 'second', ttlMs: 60_000 });
      const reader = await other();
      expect((await reader.getResult(key))?.text).toBe('first');
      expect((await reader.getResult(sibling))?.text).toBe('second');
      expect((await reader.listResults()).map((r) => r.key)).toEqual([key, sibling]);
      const session = `WFS-${'s'.repeat(296)}`;
      await c.heartbeat({ session, ttlMs: 60_000 });
      expect((await reader.liveSessions()).map((p) => p.session)).toEqual([session]);
      await c.leave(session);
      expect(await reader.liveSessions()).toEqual([]);
    });

    it('presence: live sessions with host and pid; a silent one drops out after its TTL; leave is at once', async () => {
      await c.heartbeat({ session: 'WFS-alive', ttlMs: 60_000 });
      await c.heartbeat({ session: 'WFS-crashed', ttlMs: 300 });
      await c.heartbeat({ session: 'WFS-leaving', ttlMs: 60_000, pid: 4242 });
      const reader = await other();
      expect((await reader.liveSessions()).map((p) => p.session)).toEqual([
        'WFS-alive',
        'WFS-crashed',
        'WFS-leaving',
      ]);
      await c.leave('WFS-leaving');
      await sleep(400);
      const live = await reader.liveSessions();
      expect(live).toEqual([
        {
          session: 'WFS-alive',
          host: os.hostname(),
          pid: process.pid,
          heartbeat_at: expect.stringMatching(/^\d{4}-/),
          expires_at: expect.any(Number),
        },
      ]);
      // A heartbeat extends: the session stays.
      const renewed = await c.heartbeat({ session: 'WFS-alive', ttlMs: 60_000 });
      expect(renewed.expires_at).toBeGreaterThanOrEqual(live[0]!.expires_at);
    });

    it('claims: overlapping claims of other live sessions are reported before work starts', async () => {
      expect(await c.claimPaths({ session: 'WFS-a', paths: ['src/auth/**'], ttlMs: 60_000 })).toEqual([]);
      const b = await other();
      expect(
        await b.claimPaths({ session: 'WFS-b', paths: ['docs/**', 'src/auth/login.ts'], ttlMs: 60_000 }),
      ).toEqual([{ session: 'WFS-a', theirs: 'src/auth/**', ours: 'src/auth/login.ts' }]);
      // A session's own claim never conflicts with itself; claiming again replaces it.
      expect(
        await c.claimPaths({ session: 'WFS-a', paths: ['src/auth/**', 'lib/**'], ttlMs: 60_000 }),
      ).toEqual([{ session: 'WFS-b', theirs: 'src/auth/login.ts', ours: 'src/auth/**' }]);
      expect(await c.claimPaths({ session: 'WFS-c', paths: ['tests/**'], ttlMs: 300 })).toEqual([]);
      expect((await b.listClaims()).map((claim) => [claim.session, claim.paths])).toEqual([
        ['WFS-a', ['src/auth/**', 'lib/**']],
        ['WFS-b', ['docs/**', 'src/auth/login.ts']],
        ['WFS-c', ['tests/**']],
      ]);
      await c.releaseClaims('WFS-a');
      await c.claimPaths({ session: 'WFS-gone', paths: ['src/**'], ttlMs: 60_000 });
      await c.leave('WFS-gone');
      await sleep(400);
      // WFS-a released, WFS-c expired, WFS-gone left: only WFS-b is left to conflict with.
      expect(
        await b.claimPaths({ session: 'WFS-d', paths: ['src/**', 'tests/x.ts'], ttlMs: 60_000 }),
      ).toEqual([{ session: 'WFS-b', theirs: 'src/auth/login.ts', ours: 'src/**' }]);
      await expect(c.claimPaths({ session: 'WFS-e', paths: [], ttlMs: 1_000 })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
    });

    it('claims are atomic: of two sessions claiming one path at once the second sees the first, strict lets one win, one session keeps both its paths', async () => {
      const b = await other();
      const d = await other();
      const rounds = 20;
      let blind = 0;
      let bothWon = 0;
      let lost = 0;
      for (let i = 0; i < rounds; i++) {
        for (const [who, on] of [
          [`WFS-a${i}`, c],
          [`WFS-b${i}`, b],
        ] as const)
          await on.heartbeat({ session: who, ttlMs: 60_000 });
        // Each on its own coordinator (on Redis its own connection), started together.
        const [x, y] = await Promise.all([
          c.changeClaims({ session: `WFS-a${i}`, add: [`same/${i}`], ttlMs: 60_000 }),
          b.changeClaims({ session: `WFS-b${i}`, add: [`same/${i}`], ttlMs: 60_000 }),
        ]);
        if (x.conflicts.length === 0 && y.conflicts.length === 0) blind++;
        const [sx, sy] = await Promise.all([
          c.changeClaims({ session: `WFS-a${i}`, add: [`strict/${i}`], ttlMs: 60_000, strict: true }),
          b.changeClaims({ session: `WFS-b${i}`, add: [`strict/${i}`], ttlMs: 60_000, strict: true }),
        ]);
        if (sx.applied && sy.applied) bothWon++;
        expect(sx.applied || sy.applied).toBe(true);
        await Promise.all([
          c.changeClaims({ session: `WFS-c${i}`, add: [`one/${i}/p`], ttlMs: 60_000 }),
          d.changeClaims({ session: `WFS-c${i}`, add: [`one/${i}/q`], ttlMs: 60_000 }),
        ]);
        const ours = (await b.listClaims()).find((claim) => claim.session === `WFS-c${i}`);
        if (ours?.paths.length !== 2) lost++;
      }
      expect({ blind, bothWon, lost }).toEqual({ blind: 0, bothWon: 0, lost: 0 });
    });

    it('claims: a change adds, drops, extends and reports the live conflicts with when they end', async () => {
      await c.heartbeat({ session: 'WFS-live', ttlMs: 60_000 });
      await c.changeClaims({ session: 'WFS-live', add: ['src/a.ts'], ttlMs: 60_000 });
      await c.changeClaims({ session: 'WFS-dead', add: ['src/**'], ttlMs: 60_000 });
      const added = await c.changeClaims({ session: 'WFS-me', add: ['src/a.ts', 'docs/x.md'], ttlMs: 1_000 });
      expect(added.applied).toBe(true);
      expect(added.previous).toBeUndefined();
      expect(added.claim).toEqual({
        session: 'WFS-me',
        paths: ['src/a.ts', 'docs/x.md'],
        expires_at: expect.any(Number),
      });
      expect(added.conflicts).toEqual([
        { session: 'WFS-dead', theirs: 'src/**', ours: 'src/a.ts', live: false, until: expect.any(Number) },
        { session: 'WFS-live', theirs: 'src/a.ts', ours: 'src/a.ts', live: true, until: expect.any(Number) },
      ]);
      // A later TTL extends what is kept; drop then add.
      const more = await c.changeClaims({
        session: 'WFS-me',
        drop: ['docs/x.md'],
        add: ['lib/**'],
        ttlMs: 60_000,
      });
      expect(more.claim?.paths).toEqual(['src/a.ts', 'lib/**']);
      expect(more.claim!.expires_at).toBeGreaterThan(added.claim!.expires_at);
      expect(more.previous?.paths).toEqual(['src/a.ts', 'docs/x.md']);
      // Strict: only a live session's claim refuses, and nothing changes.
      const refused = await c.changeClaims({
        session: 'WFS-me',
        add: ['src/a.ts', 'x'],
        ttlMs: 60_000,
        strict: true,
      });
      expect(refused.applied).toBe(false);
      expect(refused.claim).toEqual(more.claim);
      const allowed = await c.changeClaims({
        session: 'WFS-other',
        add: ['src/b.ts'],
        ttlMs: 60_000,
        strict: true,
      });
      expect(allowed.applied).toBe(true);
      expect(allowed.conflicts.map((x) => [x.session, x.live])).toEqual([['WFS-dead', false]]);
      // Without a TTL the end stays (not earlier); dropping everything ends the claim.
      const kept = await c.changeClaims({ session: 'WFS-me', drop: ['lib/**'] });
      expect(kept.claim?.paths).toEqual(['src/a.ts']);
      // (Kept, not renewed: at most the time between the read and the write later.)
      expect(kept.claim!.expires_at).toBeGreaterThanOrEqual(more.claim!.expires_at);
      expect(kept.claim!.expires_at).toBeLessThan(more.claim!.expires_at + 1_000);
      const gone = await c.changeClaims({ session: 'WFS-me', drop: 'all' });
      expect(gone.claim).toBeUndefined();
      expect((await c.listClaims()).map((x) => x.session)).toEqual(['WFS-dead', 'WFS-live', 'WFS-other']);
      await expect(c.changeClaims({ session: 'WFS-new', add: ['y'] })).rejects.toMatchObject({
        code: 'E_INVALID_INPUT',
      });
    });

    it('presence view: the count, the sessions that expire last and the members asked for, only live ones', async () => {
      const b = await other();
      for (let i = 0; i < 12; i++) await c.heartbeat({ session: `WFS-s${i}`, ttlMs: 60_000 + i * 1_000 });
      const ws = { id: 'ws-other2', name: 'other-clone' };
      await b.heartbeat({ session: 'WFS-s0', workspace: ws, ttlMs: 1_000 });
      await c.heartbeat({ session: 'WFS-short', ttlMs: 300 });
      // A heartbeat again replaces the session's place (no second count).
      await c.heartbeat({ session: 'WFS-s3', ttlMs: 120_000 });
      const view = await b.presenceView({
        limit: 3,
        members: [{ session: 'WFS-s0', workspace: ws }, { session: 'WFS-s5' }, { session: 'WFS-nobody' }],
      });
      expect(view.count).toBe(14);
      expect(view.sessions.map((p) => p.session)).toEqual(['WFS-s3', 'WFS-s11', 'WFS-s10']);
      expect(view.sessions[0]).toEqual((await c.liveSessions()).find((p) => p.session === 'WFS-s3'));
      expect(view.members.map((p) => [p.session, p.workspace?.name])).toEqual([
        ['WFS-s0', 'other-clone'],
        ['WFS-s5', undefined],
      ]);
      await c.leave('WFS-s11');
      await sleep(400);
      const after = await c.presenceView({ limit: 2, members: [{ session: 'WFS-short' }] });
      expect(after.count).toBe(12);
      expect(after.sessions.map((p) => p.session)).toEqual(['WFS-s3', 'WFS-s10']);
      expect(after.members).toEqual([]);
      expect((await c.presenceView({ limit: 0 })).sessions).toEqual([]);
    });
  });
}
