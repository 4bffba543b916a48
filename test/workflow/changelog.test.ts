import { describe, expect, it } from 'vitest';
import {
  changelogStyle,
  findChangelog,
  placeSection,
  renderSection,
  unreleasedHeading,
} from '../../src/workflow/builtin/changelog.js';
import { parseCommits } from '../../src/workflow/builtin/release-plan.js';

const commits = parseCommits(
  ['feat(api)!: drop v1', 'feat: search', 'fix: crash', 'docs: typo'].map((message, i) => ({
    hash: `${i}`.repeat(40),
    message,
  })),
);
const DATE = '2026-11-21';

describe('which changelog', () => {
  it('finds the usual names in any case and spelling, the likeliest first; a configured one wins; none is a new CHANGELOG.md', () => {
    expect(findChangelog(['index.js', 'History.md', 'Readme.md'])).toEqual({
      file: 'History.md',
      exists: true,
      chosen_by: 'found',
      others: [],
    });
    for (const name of [
      'CHANGELOG.md',
      'changelog.md',
      'CHANGE_LOG.md',
      'HISTORY.md',
      'CHANGES.md',
      'CHANGES',
      'NEWS.md',
      'NEWS',
      'changes.rst',
      'ChangeLog',
    ])
      expect(findChangelog(['LICENSE', name, 'package.json']).file).toBe(name);
    // CHANGELOG before HISTORY before CHANGES before NEWS; Markdown before no extension before text.
    expect(findChangelog(['NEWS', 'CHANGES.md', 'HISTORY', 'CHANGELOG.txt'])).toMatchObject({
      file: 'CHANGELOG.txt',
      others: ['HISTORY', 'CHANGES.md', 'NEWS'],
    });
    expect(findChangelog(['CHANGES', 'CHANGES.md']).file).toBe('CHANGES.md');
    // Not changelogs: release process notes, a changelog tool's configuration, other extensions.
    expect(findChangelog(['RELEASES.md', 'changelog.config.js', 'history.js', 'package.json'])).toEqual({
      file: 'CHANGELOG.md',
      exists: false,
      chosen_by: 'new',
      others: [],
    });
    expect(findChangelog(['History.md'], 'docs/releases.md', () => false)).toEqual({
      file: 'docs/releases.md',
      exists: false,
      chosen_by: 'config.json',
      others: ['History.md'],
    });
  });
});

describe('a release section in the changelog’s own style', () => {
  it("express's History.md: underlined `X.Y.Z / date`, `*` items, no groups; after its Unreleased section, before the newest release", () => {
    const history = [
      '# Unreleased Changes',
      '',
      '## 🐞 Bug fixes',
      '',
      '- Fixed a header conflict',
      '',
      '5.2.1 / 2025-12-01',
      '=======================',
      '',
      '* Revert a security fix',
      '',
      '5.2.0 / 2025-12-01',
      '========================',
      '',
      '* deps: `body-parser@^2.2.1`',
      '',
    ].join('\n');
    const style = changelogStyle(history, true);
    expect(style).toMatchObject({ bullet: '*', newestFirst: true, model: { version: '5.2.1', marker: '=' } });
    expect(style.groups).toBeUndefined();
    expect(style.description).toBe(
      'in its style: headings like "5.2.1 / 2025-12-01" underlined with =, "*" items; before 5.2.1',
    );
    expect(unreleasedHeading(history)).toBe('Unreleased Changes');
    const section = renderSection(style, '6.0.0', DATE, commits);
    // The underline as long as the model's (longer than its text), breaking changes first and said so.
    expect(section).toBe(
      [
        '6.0.0 / 2026-11-21',
        '=======================',
        '',
        '* **Breaking:** **api:** drop v1 (0000000)',
        '* search (1111111)',
        '* crash (2222222)',
        '',
      ].join('\n'),
    );
    const written = placeSection(history, section, style);
    expect(written).toBe(history.replace('5.2.1 / 2025-12-01\n', `${section}\n5.2.1 / 2025-12-01\n`));
  });

  it('Keep a Changelog: `## [X.Y.Z] - date`, groups under its own titles, below `## [Unreleased]`', () => {
    const text = [
      '# Changelog',
      '',
      '## [Unreleased]',
      '',
      '## [1.2.0] - 2026-01-02',
      '',
      '### Added',
      '',
      '- a thing',
      '',
      '### Fixed',
      '',
      '- a bug',
      '',
      '## [1.1.0] - 2025-12-01',
      '',
      '### Performance improvements',
      '',
      '- faster',
      '',
    ].join('\n');
    const style = changelogStyle(text, true);
    expect(style.groups).toEqual({
      level: 3,
      titles: {
        breaking: 'Breaking changes',
        features: 'Added',
        fixes: 'Fixed',
        performance: 'Performance improvements',
      },
    });
    const section = renderSection(style, '2.0.0', DATE, commits);
    expect(section).toBe(
      [
        '## [2.0.0] - 2026-11-21',
        '',
        '### Breaking changes',
        '',
        '- **api:** drop v1 (0000000)',
        '',
        '### Added',
        '',
        '- search (1111111)',
        '',
        '### Fixed',
        '',
        '- crash (2222222)',
        '',
      ].join('\n'),
    );
    expect(placeSection(text, section, style)).toContain(
      `## [Unreleased]\n\n${section}\n## [1.2.0] - 2026-01-02`,
    );
  });

  it("conventional-changelog's compare links move on; a heading with another date format is not copied; oldest-first files get it at the end", () => {
    const conventional =
      '# Changelog\n\n## [1.2.3](https://github.com/o/r/compare/v1.2.2...v1.2.3) (2026-01-01)\n\n### Bug Fixes\n\n* a fix ([abc](x))\n';
    const style = changelogStyle(conventional, true);
    expect(renderSection(style, '1.3.0', DATE, commits.slice(1, 2)).split('\n')[0]).toBe(
      '## [1.3.0](https://github.com/o/r/compare/v1.2.3...v1.3.0) (2026-11-21)',
    );
    const spelled = changelogStyle('# Changes\n\n## 1.2.3 (March 3, 2026)\n\n- x\n', true);
    expect(renderSection(spelled, '1.3.0', DATE, commits.slice(1, 2)).split('\n')[0]).toBe(
      '## [1.3.0] - 2026-11-21',
    );
    const ascending = '# Log\n\n## 1.0.0\n\n- one\n\n## 1.1.0\n\n- two\n';
    const oldestFirst = changelogStyle(ascending, true);
    expect(oldestFirst.newestFirst).toBe(false);
    const appended = placeSection(
      ascending,
      renderSection(oldestFirst, '1.2.0', DATE, commits.slice(2, 3)),
      oldestFirst,
    );
    expect(appended).toBe(`${ascending}\n## 1.2.0\n\n- crash (2222222)\n`);
  });

  it('a new or empty file, a Markdown one without releases yet, and a plain-text one it cannot read', () => {
    const fresh = changelogStyle(undefined, true);
    const section = renderSection(fresh, '0.1.0', DATE, commits.slice(1, 3));
    expect(section).toBe(
      '## [0.1.0] - 2026-11-21\n\n### Features\n\n- search (1111111)\n\n### Bug fixes\n\n- crash (2222222)\n',
    );
    expect(placeSection(undefined, section, fresh)).toBe(`# Changelog\n\n${section}`);
    const intro = '# Changelog\n\nAll notable changes.\n';
    expect(placeSection(intro, section, changelogStyle(intro, true))).toBe(`${intro}\n${section}`);
    const plain = changelogStyle('Things that changed, newest first.\n', false);
    expect(plain.problem).toMatch(/^has no release heading/);
    expect(() => placeSection('x\n', section, plain)).toThrow(/has no release heading/);
    // reStructuredText's underlines are headings too; a `---` inside a code fence is not.
    const rst = changelogStyle(
      'Changes\n=======\n\n```\nx\n---\n```\n\n1.0.0 (2026-01-01)\n------------------\n\n- first\n',
      false,
    );
    expect(rst).toMatchObject({ model: { version: '1.0.0', marker: '-' }, bullet: '-' });
    expect(renderSection(rst, '1.1.0', DATE, commits.slice(1, 2))).toBe(
      '1.1.0 (2026-11-21)\n------------------\n\n- search (1111111)\n',
    );
  });
});
