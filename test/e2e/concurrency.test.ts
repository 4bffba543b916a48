import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, makeRepo, readJson, registryLines, sessionIdOf, wfs } from '../helpers.js';

describe('concurrency', () => {
  it('100 processes starting the same session at once get 100 distinct IDs, one active, and a registry that matches the folders', async () => {
    const root = makeRepo({ 'package.json': '{"name":"race"}' });
    const runs = await Promise.all(
      Array.from({ length: 100 }, () => wfs(root, ['session', 'start', '--new', 'same thing'])),
    );
    const failures = runs.filter((r) => r.code !== 0 || r.stderr !== '');
    expect(failures).toEqual([]);
    const ids = runs.map(sessionIdOf);
    expect(new Set(ids).size).toBe(100);
    const expected = ['WFS-same-thing', ...Array.from({ length: 99 }, (_, i) => `WFS-same-thing-${i + 2}`)];
    expect([...ids].sort()).toEqual([...expected].sort());

    const activeDir = path.join(root, '.workflow', 'active');
    const folders = fs.readdirSync(activeDir).sort();
    expect(folders).toEqual([...expected].sort());
    const states = folders.map((id) => readJson(path.join(activeDir, id, 'workflow-session.json')));
    expect(states.filter((s) => s.status === 'active')).toHaveLength(1);

    const registry = registryLines(root);
    expect(registry.map((l) => l.id).sort()).toEqual(folders);
    for (const state of states) {
      const line = registry.find((l) => l.id === state.session_id)!;
      expect(line.status).toBe(state.status);
      expect(line.directory).toBe(`.workflow/active/${state.session_id}`);
    }
    const listed = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    expect(listed.sessions).toHaveLength(100);
    expect(listed.sessions.filter((s) => s.status === 'active')).toHaveLength(1);
    // The project was initialised exactly once.
    expect(fs.readdirSync(path.join(root, '.workflow')).filter((f) => f.startsWith('.backups'))).toEqual([]);
  });

  it('parallel switches, pauses and resumes never leave two active sessions and never lose a revision', async () => {
    const root = makeRepo();
    for (const name of ['a', 'b', 'c', 'd']) await wfs(root, ['session', 'start', '--new', name]);
    const ops = Array.from({ length: 40 }, (_, i) => {
      const id = `WFS-${'abcd'[i % 4]}`;
      return i % 3 === 0
        ? ['session', 'pause']
        : i % 3 === 1
          ? ['session', 'switch', id]
          : ['session', 'resume', id];
    });
    const runs = await Promise.all(ops.map((args) => wfs(root, args)));
    // A pause may find nothing active (exit 1); nothing else may fail.
    expect(runs.filter((r, i) => r.code !== 0 && ops[i]![1] !== 'pause')).toEqual([]);
    const states = ['a', 'b', 'c', 'd'].map((n) =>
      readJson(path.join(root, '.workflow', 'active', `WFS-${n}`, 'workflow-session.json')),
    );
    expect(states.filter((s) => s.status === 'active').length).toBeLessThanOrEqual(1);
    const changed = runs.filter(
      (r, i) => r.code === 0 && ops[i]![1] !== 'pause' && !r.stdout.includes('(unchanged)'),
    ).length;
    const paused = runs.filter(
      (r, i) => r.code === 0 && ops[i]![1] === 'pause' && !r.stdout.includes('(unchanged)'),
    ).length;
    // Every save is a revision: creation (1 each), the pauses done by later creations (3), and
    // every real change since; a lost update would make the sum smaller.
    const revisions = states.reduce((sum, s) => sum + (s.revision as number), 0);
    const pausedBySwitches = runs.reduce((sum, r) => sum + (r.stdout.match(/^PAUSED: /gm)?.length ?? 0), 0);
    expect(revisions).toBe(4 + 3 + changed + paused + pausedBySwitches);
    expect(
      registryLines(root)
        .map((l) => `${l.id}:${l.status}`)
        .sort(),
    ).toEqual(states.map((s) => `${s.session_id}:${s.status}`).sort());
  });
});
