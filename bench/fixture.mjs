// Builds a project with N sessions quickly for benchmarks: the same files `wfs session start --new`
// and `wfs session complete` write (made by the library's own constructors), but one registry write
// instead of N. With `open` < N, the oldest N - open sessions are archived, as in a repository that
// has accumulated many sessions.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { internalsOf } from './internals.mjs';

const { renderPlanningNotes, newSessionState, entryFromState, fingerprintOf, serializeRegistry } =
  await internalsOf();

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

export function makeFixture(count, open = count) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `wfs-bench-${count}-`)));
  execFileSync('git', ['init', '-q'], { cwd: root });
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"bench"}\n');
  execFileSync(process.execPath, [path.resolve('dist/wfs.cjs'), 'init'], { cwd: root, stdio: 'ignore' });
  const active = path.join(root, '.workflow', 'active');
  const archives = path.join(root, '.workflow', 'archives');
  fs.mkdirSync(active, { recursive: true });
  fs.mkdirSync(archives, { recursive: true });
  const entries = [];
  const manifest = [];
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const description = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} task number ${i}`;
    const id = `WFS-${description.replaceAll(' ', '-')}`;
    const now = new Date(start + i * 60_000).toISOString();
    const archived = i < count - open;
    const dir = path.join(archived ? archives : active, id);
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
    if (archived) {
      Object.assign(state, { status: 'archived', completed_at: now, archived_at: now });
      manifest.push({
        session_id: id,
        description,
        archived_at: now,
        archive_path: `.workflow/archives/${id}`,
        metrics: { duration_hours: 0, tasks_completed: 0, summaries_generated: 0 },
        tags: ['workflow'],
        lessons: [],
      });
    } else if (i !== count - 1) Object.assign(state, { status: 'paused', paused_at: now });
    const file = path.join(dir, 'workflow-session.json');
    fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
    entries.push(entryFromState(state, archived ? 'archives' : 'active', fingerprintOf(fs.statSync(file))));
  }
  fs.writeFileSync(path.join(root, '.workflow', 'session_status.jsonl'), serializeRegistry(entries));
  fs.writeFileSync(path.join(archives, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const last = entries.at(-1);
  fs.writeFileSync(
    path.join(root, '.workflow', 'active-session.json'),
    `${JSON.stringify({ session_id: last.id, updated_at: last.updated })}\n`,
  );
  return root;
}

/** A repository of `count` empty source files in 100-file folders, plus a node_modules to skip. */
export function makeBigTree(count, { git }) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `wfs-bench-tree-${count}-`)));
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, `pkg${Math.floor(i / 1000)}`, `mod${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i % 100}.ts`), '');
  }
  fs.mkdirSync(path.join(root, 'node_modules', 'dep'), { recursive: true });
  for (let i = 0; i < 5000; i++) fs.writeFileSync(path.join(root, 'node_modules', 'dep', `x${i}.js`), '');
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"big","scripts":{"test":"vitest run"}}\n');
  if (git) {
    execFileSync('git', ['init', '-q'], { cwd: root });
    execFileSync('git', ['add', '-A'], { cwd: root });
    execFileSync(
      'git',
      ['-c', 'user.name=bench', '-c', 'user.email=bench@invalid', 'commit', '-qm', 'tree'],
      { cwd: root },
    );
  }
  return root;
}
