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

  // A manifest of thousands of entries is not read into memory: its brackets are found in its first
  // and last 4 KB, the ID chunk by chunk, and the new file is a copy with the entry at its end.
  const bigManifest = (count: number, first?: Record<string, unknown>) => {
    const entries: Record<string, unknown>[] = first ? [first] : [];
    for (let i = 0; i < count; i++)
      entries.push({ session_id: `WFS-old-${i}`, description: `old work ${i} `.repeat(8), tags: ['x'] });
    return entries;
  };

  it('a large manifest gets the entry a whole rewrite would give, byte for byte', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'large' });
    fs.mkdirSync(ctx.layout.archivesDir, { recursive: true });
    const entries: unknown[] = bigManifest(3_000);
    fs.writeFileSync(ctx.layout.manifestPath, `${JSON.stringify(entries, null, 2)}\n`);
    expect(fs.statSync(ctx.layout.manifestPath).size).toBeGreaterThan(512 * 1024);
    const done = await completeSession(ctx, undefined);
    entries.push(done.manifest_entry);
    expect(fs.readFileSync(ctx.layout.manifestPath, 'utf8')).toBe(`${JSON.stringify(entries, null, 2)}\n`);
    expect(fs.readdirSync(ctx.layout.archivesDir).filter((n) => n.includes('.wfs-tmp'))).toEqual([]);
  });

  it('a large manifest that holds the entry already, far from its end, does not get it twice', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'listed' });
    fs.mkdirSync(ctx.layout.archivesDir, { recursive: true });
    // The ID in the first entry, compact: 600 KB before the end, across chunk boundaries.
    const entries = bigManifest(3_000, { session_id: 'WFS-listed', description: 'by hand' });
    const text = `${JSON.stringify(entries, null, 2).replace('"session_id": "WFS-listed"', '"session_id":"WFS-listed"')}\n`;
    fs.writeFileSync(ctx.layout.manifestPath, text);
    await completeSession(ctx, undefined);
    const after = JSON.parse(fs.readFileSync(ctx.layout.manifestPath, 'utf8')) as { session_id: string }[];
    expect(after.filter((e) => e.session_id === 'WFS-listed')).toHaveLength(1);
    expect(after).toHaveLength(entries.length);
  });

  it('a large manifest with text after its closing bracket is read whole, and refused as no JSON array', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'trailing' });
    fs.mkdirSync(ctx.layout.archivesDir, { recursive: true });
    const text = `${JSON.stringify(bigManifest(2_000), null, 2)}\n// a note\n`;
    fs.writeFileSync(ctx.layout.manifestPath, text);
    await expect(completeSession(ctx, undefined)).rejects.toThrow(/is not a JSON array/);
    expect(fs.readFileSync(ctx.layout.manifestPath, 'utf8')).toBe(text);
  });

  it("a read-only manifest is replaced as before (its copy gets the owner's write bit), keeping its other bits", async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'read only' });
    fs.mkdirSync(ctx.layout.archivesDir, { recursive: true });
    const entries: unknown[] = bigManifest(100);
    fs.writeFileSync(ctx.layout.manifestPath, `${JSON.stringify(entries, null, 2)}\n`);
    fs.chmodSync(ctx.layout.manifestPath, 0o444);
    const done = await completeSession(ctx, undefined);
    entries.push(done.manifest_entry);
    expect(fs.readFileSync(ctx.layout.manifestPath, 'utf8')).toBe(`${JSON.stringify(entries, null, 2)}\n`);
    expect(fs.statSync(ctx.layout.manifestPath).mode & 0o777).toBe(0o644);
  });
});
