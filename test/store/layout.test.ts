import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionLayout } from '../../src/store/layout.js';

// sessionLayout joins with the folder normalised once (it is made several times by every
// command): each path must be exactly what path.join gives, whatever form the folder has.
describe('sessionLayout', () => {
  it('gives exactly the paths path.join gives, for folders of every form', () => {
    const dirs = [
      '/r/.workflow/active/WFS-a',
      '/r/a/',
      '/r//a',
      '/r/./a',
      '/r/b/../a',
      '/',
      '.',
      '',
      './a',
      'a',
      'a/',
      '../a',
      '..',
    ];
    for (const dir of dirs) {
      const layout = sessionLayout(dir);
      const process = path.join(dir, '.process');
      expect(layout, JSON.stringify(dir)).toEqual({
        dir,
        state: path.join(dir, 'workflow-session.json'),
        planningNotes: path.join(dir, 'planning-notes.md'),
        archivingMarker: layout.archivingMarker,
        process,
        backups: path.join(process, 'backups'),
        checkpoints: path.join(process, 'checkpoints'),
        audit: path.join(process, 'audit.jsonl'),
        phaseHistory: path.join(process, 'phase-history.jsonl'),
        outputs: path.join(process, 'outputs'),
        runs: path.join(process, 'runs'),
        tasks: path.join(dir, '.task'),
        summaries: path.join(dir, '.summaries'),
      });
      expect(layout.archivingMarker).toBe(path.join(dir, path.basename(layout.archivingMarker)));
    }
  });
});
