import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import { coordinationDir, gitCommonDir } from '../../src/coord/location.js';
import { makeRepo } from '../helpers.js';
import { coordinationContract } from './coordination-contract.js';
import { leaseContract } from './lease-contract.js';

leaseContract(
  'local (embedded files)',
  async () => new LocalCoordinator(fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'))),
);

coordinationContract('local', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'));
  return { c: new LocalCoordinator(dir), again: async () => new LocalCoordinator(dir) };
});

describe('local backend specifics', () => {
  it('lives under the git common directory, shared by every worktree; .workflow/.coord outside git', () => {
    const repo = makeRepo({ 'a.txt': 'x' });
    expect(coordinationDir(repo)).toBe(path.join(repo, '.git', 'wfs'));
    // A worktree: .git is a file naming its git dir, whose commondir names the shared one.
    const worktree = makeRepo({}, { git: false });
    const wtGitDir = path.join(repo, '.git', 'worktrees', 'wt');
    fs.mkdirSync(wtGitDir, { recursive: true });
    fs.writeFileSync(path.join(wtGitDir, 'commondir'), '../..\n');
    fs.writeFileSync(path.join(worktree, '.git'), `gitdir: ${wtGitDir}\n`);
    expect(gitCommonDir(worktree)).toBe(path.join(repo, '.git'));
    expect(coordinationDir(worktree)).toBe(path.join(repo, '.git', 'wfs'));
    const plain = makeRepo({}, { git: false });
    expect(coordinationDir(plain)).toBe(path.join(plain, '.workflow', '.coord'));
  });

  it('an unreadable lease or fenced-store record (an outside edit) moves the epoch on: fences stay above, stale fences are refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'));
    const c = new LocalCoordinator(dir);
    const first = await c.acquire('x', { ttlMs: 60_000 });
    if (first.status !== 'acquired') throw new Error('not acquired');
    expect(await c.acceptFence('store', first.lease.fence)).toBe(true);
    await c.close();
    fs.writeFileSync(path.join(dir, 'leases', 'x.json'), '{"last_fe');
    fs.writeFileSync(path.join(dir, 'fenced', 'store.json'), 'garbage');
    const fresh = new LocalCoordinator(dir);
    expect(await fresh.acceptFence('store', first.lease.fence)).toBe(false);
    const second = await fresh.acquire('x', { ttlMs: 60_000 });
    expect(second.status === 'acquired' && second.lease.fence > first.lease.fence).toBe(true);
    if (second.status === 'acquired') expect(await fresh.acceptFence('store', second.lease.fence)).toBe(true);
  });

  it('a damaged epoch.json is recovered from the fences on disk, never restarted below them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'));
    const c = new LocalCoordinator(dir);
    let last = 0;
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(dir, 'epoch.json'), JSON.stringify({ epoch: 5 + i, boot_id: 'earlier' }));
      const fresh = new LocalCoordinator(dir);
      const got = await fresh.acquire(`n${i}`, { ttlMs: 60_000 });
      if (got.status === 'acquired') last = got.lease.fence;
      await fresh.close();
    }
    await c.close();
    fs.writeFileSync(path.join(dir, 'epoch.json'), 'damaged');
    const after = new LocalCoordinator(dir);
    const got = await after.acquire('other', { ttlMs: 60_000 });
    expect(got.status === 'acquired' && got.lease.fence > last).toBe(true);
  });

  it('fences stay above every earlier fence after the machine restarts (a new boot id moves the epoch)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'));
    const before = new LocalCoordinator(dir);
    const first = await before.acquire('x', { ttlMs: 60_000 });
    if (first.status !== 'acquired') throw new Error('not acquired');
    // Simulate a restart that lost the (unsynced) lease file: another boot id, no lease file.
    fs.writeFileSync(
      path.join(dir, 'epoch.json'),
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(path.join(dir, 'epoch.json'), 'utf8')),
        boot_id: 'an-earlier-boot',
      }),
    );
    fs.rmSync(path.join(dir, 'leases'), { recursive: true });
    const after = new LocalCoordinator(dir);
    const second = await after.acquire('x', { ttlMs: 60_000 });
    expect(second.status === 'acquired' && second.lease.fence > first.lease.fence).toBe(true);
  });

  it('an event log whose last line was torn by a machine crash loses only that line; new events are not glued to it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'));
    const c = new LocalCoordinator(dir);
    const first = await c.publish({ type: 'test.first' });
    fs.appendFileSync(path.join(dir, 'events.jsonl'), '{"id":99,"type":"test.to');
    const next = await c.publish({ type: 'test.next' });
    expect(next.id).toBeGreaterThan(first.id);
    expect((await c.readEvents()).map((e) => e.type)).toEqual(['test.first', 'test.next']);
    expect((await c.readEvents({ limit: 1 })).map((e) => e.type)).toEqual(['test.next']);
  });
});
