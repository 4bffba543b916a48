import { describe, expect, it } from 'vitest';
import { normaliseRemoteUrl, parseConfig, resolveCoordination } from '../../src/core/config.js';

describe('project identity from the origin URL', () => {
  it('is one form for every way of writing the same remote', () => {
    for (const url of [
      'git@github.com:Example/Shop.git',
      'https://github.com/example/shop',
      'https://user:token@github.com/example/shop.git/',
      'ssh://git@github.com:22/example/shop.git',
      'git://github.com/example/shop.git',
    ])
      expect(normaliseRemoteUrl(url)).toBe('github.com/example/shop');
    expect(normaliseRemoteUrl('https://gitlab.example.com:8443/group/sub/repo.git')).toBe(
      'gitlab.example.com/group/sub/repo',
    );
    expect(normaliseRemoteUrl('/srv/git/shop.git')).toBe('file:/srv/git/shop.git');
    expect(normaliseRemoteUrl('file:///srv/git/shop.git/')).toBe('file:/srv/git/shop.git');
  });
});

describe('coordination settings', () => {
  it('environment over config.json over the default; WFS_REDIS_URL alone chooses Redis', () => {
    expect(resolveCoordination({}, {})).toEqual({
      backend: 'local',
      chosenBy: 'default',
      onUnreachable: 'fail',
      timeoutMs: 2_000,
    });
    expect(resolveCoordination({}, { WFS_REDIS_URL: 'redis://h:1' })).toMatchObject({
      backend: 'redis',
      chosenBy: 'WFS_REDIS_URL',
      redisUrl: 'redis://h:1',
    });
    const config = parseConfig(
      '{"coordination": {"redis_url": "rediss://c:2", "on_unreachable": "skip", "timeout_ms": 500}, "future": 1}',
    );
    expect(resolveCoordination(config, {})).toMatchObject({
      backend: 'redis',
      chosenBy: 'config.json',
      redisUrl: 'rediss://c:2',
      onUnreachable: 'skip',
      timeoutMs: 500,
    });
    expect(
      resolveCoordination(config, { WFS_COORD: 'local', WFS_ON_UNREACHABLE: 'run-unlocked' }),
    ).toMatchObject({
      backend: 'local',
      chosenBy: 'WFS_COORD',
      onUnreachable: 'run-unlocked',
    });
    expect(resolveCoordination(config, { WFS_REDIS_URL: 'redis://env:3' }).redisUrl).toBe('redis://env:3');
  });

  it('refuses what it cannot use, never ignoring it', () => {
    expect(() => parseConfig('{')).toThrow(/config\.json is not valid JSON/);
    expect(() => parseConfig('{"coordination": {"backend": "etcd"}}')).toThrow(/coordination\.backend/);
    expect(() => parseConfig('{"coordination": {"timeout_ms": 5}}')).toThrow(/coordination\.timeout_ms/);
    expect(() => resolveCoordination({}, { WFS_COORD: 'redis' })).toThrow(/no URL is set/);
    expect(() => resolveCoordination({}, { WFS_REDIS_URL: 'http://x' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => resolveCoordination({}, { WFS_ON_UNREACHABLE: 'maybe' })).toThrow(
      /expected one of fail\|run-unlocked\|skip/,
    );
  });
});

describe('workflow settings in config.json', () => {
  it('are validated like the rest: the known keys have their types, paths stay inside the project', () => {
    const config = parseConfig(
      JSON.stringify({
        workflows: {
          'docs-check': {
            docs_root: 'website/docs',
            extensions: ['.md', '.mdx'],
            ignore: ['docs/api/**'],
            future: 1,
          },
          'release-prep': { changelog: 'History.md' },
          'test-coverage': { command: 'npm run cov' },
        },
      }),
    );
    expect(config.workflows?.['docs-check']?.docs_root).toBe('website/docs');
    for (const [settings, message] of [
      [
        { 'docs-check': { docs_root: '/abs' } },
        'workflows.docs-check.docs_root: a relative path inside the project',
      ],
      [
        { 'docs-check': { static: ['docs/../../x'] } },
        'workflows.docs-check.static.0: a relative path inside the project',
      ],
      [
        { 'docs-check': { anchors: 'gitlab' } },
        'workflows.docs-check.anchors: expected one of github|vitepress|mkdocs|off',
      ],
      [{ 'docs-check': { html_links: 'yes' } }, 'workflows.docs-check.html_links: expected boolean'],
      [{ 'docs-check': { ignore: [''] } }, 'workflows.docs-check.ignore.0: at least 1'],
      [
        { 'release-prep': { changelog: '..\\History.md' } },
        'workflows.release-prep.changelog: a relative path inside the project',
      ],
      [{ 'test-coverage': { command: 42 } }, 'workflows.test-coverage.command: expected string'],
    ] as const)
      expect(() => parseConfig(JSON.stringify({ workflows: settings }))).toThrow(message);
  });
});
