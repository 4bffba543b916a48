import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coordinationSettings, identityOf, readConfig } from '../../src/coord/open.js';
import { openProject, reloadProject } from '../../src/store/project.js';
import { contextSummary } from '../../src/views/context-summary.js';
import { makeRepo } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function projectWith(config: string) {
  const root = makeRepo({ '.workflow/config.json': config });
  return { root, configPath: path.join(root, '.workflow', 'config.json') };
}

describe('.workflow/config.json, read once per project context', () => {
  it('a whole command (the context summary: backend, identity, coordinator) reads it once', async () => {
    const { root, configPath } = projectWith('{"project_id": "shop", "coordination": {"backend": "local"}}');
    const ctx = openProject({ cwd: root, env: {} });
    const read = vi.spyOn(fs, 'readFileSync');
    await contextSummary(ctx);
    expect(read.mock.calls.filter(([file]) => file === configPath)).toHaveLength(1);
    expect(identityOf(ctx)).toMatchObject({ id: 'shop', source: 'config.json' });
    expect(read.mock.calls.filter(([file]) => file === configPath)).toHaveLength(1);
  });

  it('one context sees one configuration; copies share it; reloadProject reads the file again', () => {
    const { root, configPath } = projectWith('{"coordination": {"on_unreachable": "skip"}}');
    const ctx = openProject({ cwd: root, env: {} });
    expect(coordinationSettings(ctx).onUnreachable).toBe('skip');
    fs.writeFileSync(configPath, '{"coordination": {"on_unreachable": "run-unlocked"}}');
    expect(coordinationSettings(ctx).onUnreachable).toBe('skip');
    // A copy with another environment (withConversation makes one) reads the same file through it.
    const copy = { ...ctx, env: { WFS_ON_UNREACHABLE: 'fail' } };
    expect(coordinationSettings(copy).onUnreachable).toBe('fail');
    expect(readConfig(copy)).toBe(readConfig(ctx));
    expect(coordinationSettings(reloadProject(ctx)).onUnreachable).toBe('run-unlocked');
    expect(openProject({ cwd: root, env: {} }).memo).toEqual({});
  });

  it('a bad file is the same error each time it is asked for, until the project is reloaded', () => {
    const { root, configPath } = projectWith('{"coordination": {"backend": "carrier-pigeon"}}');
    const ctx = openProject({ cwd: root, env: {} });
    let first: unknown;
    try {
      coordinationSettings(ctx);
    } catch (error) {
      first = error;
    }
    expect(first).toMatchObject({ code: 'E_INVALID_INPUT' });
    fs.writeFileSync(configPath, '{}');
    expect(() => identityOf(ctx)).toThrow(first as Error);
    expect(coordinationSettings(reloadProject(ctx)).backend).toBe('local');
  });
});
