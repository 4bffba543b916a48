import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from './helpers.js';

const dist = path.resolve(import.meta.dirname, '..', 'dist', 'lib');

describe('the library as published (dist/lib, what `import "wfs"` loads)', () => {
  it('has type declarations and works end to end', async () => {
    expect(fs.existsSync(path.join(dist, 'index.d.ts'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(dist, '..', '..', 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/lib/index.d.ts', import: './dist/lib/index.js' });
    const wfs = await import(path.join(dist, 'index.js'));
    const project = wfs.openProject({ cwd: makeRepo(), env: {} });
    const started = await wfs.startNewSession(project, { description: 'from the library', type: 'docs' });
    expect(started).toMatchObject({ session_id: 'WFS-from-the-library', decision: 'created' });
    expect(wfs.listSessions(project)).toEqual([
      expect.objectContaining({ id: 'WFS-from-the-library', type: 'docs', status: 'active' }),
    ]);
    await expect(wfs.switchSession(project, 'WFS-missing')).rejects.toMatchObject({
      code: 'E_SESSION_NOT_FOUND',
      exitCode: 1,
    });
    expect(wfs.isWfsError(new wfs.WfsError('E_USAGE', 'x'))).toBe(true);
  });
});
