import { describe, expect, it } from 'vitest';
import { bumpFor, bumpManifest, nextVersion, parseCommits } from '../../src/workflow/builtin/release-plan.js';

const commits = (...messages: string[]) =>
  parseCommits(messages.map((message, i) => ({ hash: `${i}`.repeat(40).slice(0, 40), message })));

describe('release plan', () => {
  it('the bump from Conventional Commits: breaking > feat > fix/perf; nothing else releases', () => {
    expect(bumpFor(commits('docs: x', 'chore: y', 'not conventional'), '1.0.0')).toBeNull();
    expect(bumpFor(commits('fix: a', 'docs: b'), '1.0.0')).toBe('patch');
    expect(bumpFor(commits('perf: a'), '1.0.0')).toBe('patch');
    expect(bumpFor(commits('fix: a', 'feat(ui): b'), '1.0.0')).toBe('minor');
    expect(bumpFor(commits('feat: a', 'fix!: b'), '1.0.0')).toBe('major');
    expect(bumpFor(commits('fix: a\n\nBREAKING CHANGE: renamed'), '1.0.0')).toBe('major');
    // 0.y.z: a breaking change moves the minor.
    expect(bumpFor(commits('feat!: a'), '0.4.1')).toBe('minor');
    expect(nextVersion('1.2.3', 'minor')).toBe('1.3.0');
    expect(() => nextVersion('one', 'patch')).toThrow(/not a semantic version/);
  });

  it('the version bumped in place', () => {
    expect(bumpManifest('{\n  "name": "x",\n  "version": "1.0.0"\n}\n', '2.0.0')).toBe(
      '{\n  "name": "x",\n  "version": "2.0.0"\n}\n',
    );
    expect(() => bumpManifest('{}', '1.0.0')).toThrow(/no "version"/);
  });
});
