import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import {
  claimPaths,
  getResult,
  globsMayOverlap,
  heartbeat,
  listResults,
  liveSessions,
  putResult,
  releaseClaims,
} from '../../src/coord/local/shared.js';

const coordinator = () => new LocalCoordinator(fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-coord-')));

describe('shared results (local)', () => {
  it('are read back exactly, expire at their TTL, and are listed', async () => {
    const c = coordinator();
    const value = 'line 1\n\u00e9 \u{1F512}\n';
    await putResult(c, { key: 'test-coverage:tree-abc', value, ttlMs: 60_000, session: 'WFS-a' });
    expect(getResult(c, 'test-coverage:tree-abc')).toMatchObject({ value, session: 'WFS-a' });
    await putResult(c, { key: 'short', value: 'x', ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(getResult(c, 'short')).toBeUndefined();
    expect(listResults(c).map((r) => r.key)).toEqual(['test-coverage:tree-abc']);
    await expect(putResult(c, { key: '../x', value: '', ttlMs: 10 })).rejects.toMatchObject({
      code: 'E_INVALID_INPUT',
    });
  });
});

describe('presence (local)', () => {
  it('lists sessions whose heartbeat is live; a silent one drops out after its TTL', async () => {
    const c = coordinator();
    await heartbeat(c, { session: 'WFS-alive', ttlMs: 60_000 });
    await heartbeat(c, { session: 'WFS-crashed', ttlMs: 1_000 });
    expect(liveSessions(c).map((p) => p.session)).toEqual(['WFS-alive', 'WFS-crashed']);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(liveSessions(c).map((p) => p.session)).toEqual(['WFS-alive']);
    expect(liveSessions(c)[0]).toMatchObject({ host: os.hostname(), pid: process.pid });
  });
});

describe('path claims (local)', () => {
  it('reports overlapping claims of other live sessions before work starts', async () => {
    const c = coordinator();
    expect(await claimPaths(c, { session: 'WFS-a', paths: ['src/auth/**'], ttlMs: 60_000 })).toEqual([]);
    expect(
      await claimPaths(c, { session: 'WFS-b', paths: ['docs/**', 'src/auth/login.ts'], ttlMs: 60_000 }),
    ).toEqual([{ session: 'WFS-a', theirs: 'src/auth/**', ours: 'src/auth/login.ts' }]);
    expect(await claimPaths(c, { session: 'WFS-c', paths: ['tests/**'], ttlMs: 60_000 })).toEqual([]);
    await releaseClaims(c, 'WFS-a');
    expect(await claimPaths(c, { session: 'WFS-d', paths: ['src/**'], ttlMs: 60_000 })).toEqual([
      { session: 'WFS-b', theirs: 'src/auth/login.ts', ours: 'src/**' },
    ]);
  });

  it('glob overlap is decided on literal prefixes: never a miss', () => {
    expect(globsMayOverlap('src/**', 'src/a/b.ts')).toBe(true);
    expect(globsMayOverlap('src/a.ts', 'src/a.ts')).toBe(true);
    expect(globsMayOverlap('src/a.ts', 'src/ab.ts')).toBe(false);
    expect(globsMayOverlap('src/a', 'src/a/b.ts')).toBe(true);
    expect(globsMayOverlap('docs/**', 'src/**')).toBe(false);
    expect(globsMayOverlap('**/*.ts', 'docs/x.md')).toBe(true);
  });
});
