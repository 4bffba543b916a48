import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { completeSession } from '../../src/session/archive.js';
import { startNewSession } from '../../src/session/start.js';
import { openProject } from '../../src/store/project.js';
import { makeRepo } from '../helpers.js';

describe('the archive manifest', () => {
  it('each archiving adds its entry as a whole rewrite would, byte for byte, keyed by session ID', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const entries: unknown[] = [];
    for (const description of ['one', 'two', 'three']) {
      await startNewSession(ctx, { description });
      const done = await completeSession(ctx, undefined);
      entries.push(done.manifest_entry);
      expect(fs.readFileSync(ctx.layout.manifestPath, 'utf8')).toBe(`${JSON.stringify(entries, null, 2)}\n`);
    }
  });

  it('a manifest written by hand in another form is read whole: an entry for the ID is not added twice', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'again' });
    fs.mkdirSync(ctx.layout.archivesDir, { recursive: true });
    const earlier = { session_id: 'WFS-again', description: 'by hand', tags: [] };
    fs.writeFileSync(ctx.layout.manifestPath, `  [${JSON.stringify(earlier)}]`);
    await completeSession(ctx, undefined);
    const manifest = JSON.parse(fs.readFileSync(ctx.layout.manifestPath, 'utf8')) as { session_id: string }[];
    expect(manifest).toEqual([earlier]);
    await startNewSession(ctx, { description: 'fresh' });
    await completeSession(ctx, undefined);
    const again = JSON.parse(fs.readFileSync(ctx.layout.manifestPath, 'utf8')) as { session_id: string }[];
    expect(again.map((e) => e.session_id)).toEqual(['WFS-again', 'WFS-fresh']);
  });

  it('an empty manifest gets its first entry', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'first' });
    fs.mkdirSync(ctx.layout.archivesDir, { recursive: true });
    fs.writeFileSync(ctx.layout.manifestPath, '[]\n');
    const done = await completeSession(ctx, undefined);
    expect(fs.readFileSync(ctx.layout.manifestPath, 'utf8')).toBe(
      `${JSON.stringify([done.manifest_entry], null, 2)}\n`,
    );
  });
});
