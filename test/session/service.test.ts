import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pauseSession, switchSession } from '../../src/session/lifecycle.js';
import { listSessions } from '../../src/session/list.js';
import { findActiveSession } from '../../src/session/show.js';
import { startNewSession } from '../../src/session/start.js';
import { openProject } from '../../src/store/project.js';
import { Registry } from '../../src/store/registry.js';
import { makeRepo, readJson } from '../helpers.js';

const entry = (id: string, status = 'paused') => ({
  id,
  status: status as 'paused',
  type: 'workflow' as const,
  description: `d ${id} "quoted" "status":"active"`,
  created: 't',
  updated: 't',
  directory: `.workflow/active/${id}`,
  phase: 'PLAN' as const,
  project: id,
});

describe('registry lines', () => {
  it('counts lines that are not registry lines as damage', () => {
    const text = `${Registry.fromEntries([entry('WFS-a')]).serialize()}garbage\n{"id":"WFS-x","trunc\n`;
    const registry = Registry.parse(text);
    expect(registry.damagedLines).toBe(2);
    expect([...registry.entries()].map((e) => e.id)).toEqual(['WFS-a']);
  });
});

describe('the active-session pointer', () => {
  it('follows every activation; after a pause it names a session that is not active, which means none is', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const pointer = () => readJson(ctx.layout.activePointerPath).session_id;
    await startNewSession(ctx, { description: 'one' });
    expect(pointer()).toBe('WFS-one');
    await startNewSession(ctx, { description: 'two' });
    expect(pointer()).toBe('WFS-two');
    await switchSession(ctx, 'WFS-one');
    expect(pointer()).toBe('WFS-one');
    await pauseSession(ctx);
    expect(pointer()).toBe('WFS-one');
    expect(findActiveSession(ctx)).toBeUndefined();
    await startNewSession(ctx, { description: 'three' });
    expect(pointer()).toBe('WFS-three');
  });

  it('without a pointer file, the folders are scanned', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'found by scan' });
    fs.rmSync(ctx.layout.activePointerPath);
    expect(findActiveSession(ctx)?.id).toBe('WFS-found-by-scan');
    // The next change writes the pointer again.
    await startNewSession(ctx, { description: 'next' });
    expect(readJson(ctx.layout.activePointerPath).session_id).toBe('WFS-next');
    expect(
      listSessions(ctx)
        .filter((s) => s.status === 'active')
        .map((s) => s.id),
    ).toEqual(['WFS-next']);
  });

  it('a pointer left naming a session that is not active (a crash between writes) means none is active', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'a' });
    await pauseSession(ctx);
    fs.writeFileSync(ctx.layout.activePointerPath, JSON.stringify({ session_id: 'WFS-a' }));
    expect(findActiveSession(ctx)).toBeUndefined();
    const started = await startNewSession(ctx, { description: 'b' });
    expect(started.paused).toEqual([]);
    const statuses = listSessions(ctx)
      .map((s) => `${s.id}:${s.status}`)
      .sort();
    expect(statuses).toEqual(['WFS-a:paused', 'WFS-b:active']);
  });
});

describe('session IDs', () => {
  it('keep counting past the probing limit, also around archived and removed IDs', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await startNewSession(ctx, { description: 'same' })).session_id);
    expect(ids[0]).toBe('WFS-same');
    expect(ids[39]).toBe('WFS-same-40');
    expect(new Set(ids).size).toBe(40);
    fs.mkdirSync(path.join(ctx.layout.archivesDir, 'WFS-same-41'), { recursive: true });
    expect((await startNewSession(ctx, { description: 'same' })).session_id).toBe('WFS-same-42');
  });
});

describe('registry edge cases', () => {
  it('handles a file without a final newline, multi-byte text, and replacing the last line', () => {
    const text = Registry.fromEntries([entry('WFS-a'), { ...entry('WFS-ü'), description: 'Grüße 🔐' }])
      .serialize()
      .trimEnd();
    const registry = Registry.parse(text);
    expect(registry.get('WFS-ü')?.description).toBe('Grüße 🔐');
    registry.set({ ...entry('WFS-ü'), description: 'ändern 🔐', status: 'active' as 'paused' });
    registry.set(entry('WFS-new'));
    const again = Registry.parse(registry.serialize());
    expect([...again.entries()].map((e) => `${e.id}:${e.status}:${e.description.slice(0, 6)}`)).toEqual([
      'WFS-a:paused:d WFS-',
      'WFS-ü:active:ändern',
      'WFS-new:paused:d WFS-',
    ]);
    expect(again.damagedLines).toBe(0);
  });
});
