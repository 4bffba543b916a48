import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectIdentity } from '../../src/store/identity.js';
import { makeRepo } from '../helpers.js';

describe('project identity (SPEC 5)', () => {
  it('WFS_PROJECT_ID, then project_id, then origin, then the root commit (kept), then the root path', () => {
    const root = makeRepo({ 'a.txt': 'a\n' });
    // No commits yet: the root path, and git is not asked.
    expect(projectIdentity(root, {}, {})).toEqual({ id: `path:${root}`, source: 'root-path' });
    const git = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
        cwd: root,
        encoding: 'utf8',
      });
    git('add', '.');
    git('commit', '-qm', 'first');
    const sha = git('rev-parse', 'HEAD').stdout.trim();
    expect(projectIdentity(root, {}, {})).toEqual({ id: `git:${sha}`, source: 'root-commit' });
    expect(fs.readFileSync(path.join(root, '.git', 'wfs', 'root-commit'), 'utf8').trim()).toBe(sha);
    git('commit', '-qm', 'second', '--allow-empty');
    expect(projectIdentity(root, {}, {}).id).toBe(`git:${sha}`);
    git('remote', 'add', 'origin', 'git@github.com:Example/Shop.git');
    expect(projectIdentity(root, {}, {})).toEqual({ id: 'github.com/example/shop', source: 'origin' });
    expect(projectIdentity(root, { project_id: 'shop' }, {})).toEqual({ id: 'shop', source: 'config.json' });
    expect(projectIdentity(root, { project_id: 'shop' }, { WFS_PROJECT_ID: 'env' })).toEqual({
      id: 'env',
      source: 'WFS_PROJECT_ID',
    });
    const plain = makeRepo({}, { git: false });
    expect(projectIdentity(plain, {}, {})).toEqual({ id: `path:${plain}`, source: 'root-path' });
  });
});
