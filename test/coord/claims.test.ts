import { describe, expect, it } from 'vitest';
import { conflictsWith, globsMayOverlap } from '../../src/coord/claims.js';

describe('path claims: overlap', () => {
  it('is decided on literal prefixes: never a miss', () => {
    expect(globsMayOverlap('src/**', 'src/a/b.ts')).toBe(true);
    expect(globsMayOverlap('src/a.ts', 'src/a.ts')).toBe(true);
    expect(globsMayOverlap('src/a.ts', 'src/ab.ts')).toBe(false);
    expect(globsMayOverlap('src/a', 'src/a/b.ts')).toBe(true);
    expect(globsMayOverlap('docs/**', 'src/**')).toBe(false);
    expect(globsMayOverlap('**/*.ts', 'docs/x.md')).toBe(true);
    expect(globsMayOverlap('./src/x.ts', 'src/x.ts')).toBe(true);
  });

  it('reports every overlapping pair with other sessions, never a session with itself', () => {
    const claims = [
      { session: 'WFS-a', paths: ['src/**', 'docs/a.md'], expires_at: 0 },
      { session: 'WFS-b', paths: ['docs/**'], expires_at: 0 },
    ];
    expect(conflictsWith(claims, 'WFS-a', ['docs/a.md'])).toEqual([
      { session: 'WFS-b', theirs: 'docs/**', ours: 'docs/a.md' },
    ]);
    expect(conflictsWith(claims, 'WFS-c', ['src/x.ts', 'tests/y.ts'])).toEqual([
      { session: 'WFS-a', theirs: 'src/**', ours: 'src/x.ts' },
    ]);
  });
});
