import { describe, expect, it } from 'vitest';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import { type CoordinationState, readResults } from '../../src/dashboard/model.js';
import { resultsSection } from '../../src/dashboard/render.js';
import { tempDir } from '../helpers.js';

describe('the dashboard: shared results', () => {
  it('a value that is not text is shown as "binary" and its size in bytes, text by its start; the workspace it came from', async () => {
    const c = new LocalCoordinator(tempDir('wfs-dashboard-results-'));
    try {
      await c.putResult({
        key: 'raw',
        value: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
        ttlMs: 60_000,
        session: 'WFS-maker',
        workspace: { id: 'ws-abcd1234', name: 'other-tree' },
      });
      await c.putResult({ key: 'notes', value: 'all green\n\u00e9 second line', ttlMs: 60_000 });
      const rows = await readResults(c);
      expect(rows.map(({ key, bytes, binary, preview }) => ({ key, bytes, binary, preview }))).toEqual([
        { key: 'notes', bytes: 24, binary: false, preview: 'all green \u00e9 second line' },
        { key: 'raw', bytes: 4, binary: true, preview: null },
      ]);
      const state: CoordinationState = {
        backend: 'local',
        location: null,
        projectId: 'p',
        projectIdSource: 'test',
        warnings: [],
        live: [],
        locks: [],
        claims: [],
        results: rows,
      };
      const html = String(resultsSection(state));
      expect(html).toContain('<code class="key">raw</code> <span class="muted">binary, 4 B</span>');
      expect(html).toContain('<code class="key">notes</code> <span class="muted">24 B</span>');
      expect(html).toContain('all green \u00e9 second line');
      // Where it came from, as for locks and claims.
      expect(html).toContain('by WFS-maker <span class="tag" title="workspace">other-tree</span>');
      expect(html).not.toContain('\ufffd');
    } finally {
      await c.close();
    }
  });
});
