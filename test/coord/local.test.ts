import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import { coordinationDir, gitCommonDir } from '../../src/coord/location.js';
import { makeRepo } from '../helpers.js';
import { leaseContract } from './lease-contract.js';

leaseContract(
  'local (embedded files)',
  async () => new LocalCoordinator(fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-'))),
);

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
});
