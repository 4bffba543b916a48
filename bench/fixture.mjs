// Builds a project with N sessions quickly for benchmarks: the same files `wfs session start --new`
// writes (made by the library's own constructors), but one registry write instead of N.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderPlanningNotes } from '../dist/lib/core/planning-notes.js';
import { newSessionState } from '../dist/lib/core/session.js';
import { entryFromState, fingerprintOf, serializeRegistry } from '../dist/lib/store/registry.js';

const WORDS = [
  'login',
  'page',
  'api',
  'cache',
  'billing',
  'search',
  'export',
  'import',
  'auth',
  'report',
  'schema',
  'queue',
];

export function makeFixture(count) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `wfs-bench-${count}-`)));
  execFileSync('git', ['init', '-q'], { cwd: root });
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"bench"}\n');
  execFileSync(process.execPath, [path.resolve('dist/wfs.cjs'), 'init'], { cwd: root, stdio: 'ignore' });
  const active = path.join(root, '.workflow', 'active');
  fs.mkdirSync(active, { recursive: true });
  const entries = [];
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const description = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} task number ${i}`;
    const id = `WFS-${description.replaceAll(' ', '-')}`;
    const now = new Date(start + i * 60_000).toISOString();
    const dir = path.join(active, id);
    fs.mkdirSync(dir);
    for (const sub of ['.process', '.task', '.summaries']) fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(
      path.join(dir, 'planning-notes.md'),
      renderPlanningNotes({ id, description, created: now }),
    );
    const state = {
      ...newSessionState({
        id,
        project: description,
        description,
        type: 'workflow',
        complexity: 'medium',
        now,
      }),
      revision: 1,
    };
    if (i !== count - 1) Object.assign(state, { status: 'paused', paused_at: now });
    const file = path.join(dir, 'workflow-session.json');
    fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
    entries.push(entryFromState(state, 'active', fingerprintOf(fs.statSync(file))));
  }
  fs.writeFileSync(path.join(root, '.workflow', 'session_status.jsonl'), serializeRegistry(entries));
  return root;
}
