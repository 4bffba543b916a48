// Checkpoint save on a 64 KB state, in process: everything `wfs checkpoint` does after start-up
// (project lock, read and validate the state, the checkpoint file, a backup of the previous state,
// the new state written atomically with its fsyncs, retention), timed one save at a time.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openProject, saveCheckpoint, startNewSession, syncSessionTodos } from '../dist/lib/index.js';

export async function benchCheckpoint({ saves = 200, stateBytes = 64 * 1024 } = {}) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-bench-checkpoint-')));
  execFileSync('git', ['init', '-q'], { cwd: root });
  const ctx = openProject({ cwd: root, env: {} });
  const { session_id } = await startNewSession(ctx, { description: 'checkpoint benchmark' });
  const file = path.join(root, '.workflow', 'active', session_id, 'workflow-session.json');
  // Grow the state with todos until workflow-session.json is 64 KB.
  const todos = [];
  while (fs.statSync(file).size < stateBytes) {
    for (let i = 0; i < 20; i++)
      todos.push({ content: `todo ${todos.length} ${'detail '.repeat(20)}`, status: 'pending' });
    await syncSessionTodos(ctx, todos);
  }
  const size = fs.statSync(file).size;
  const times = [];
  for (let i = 0; i < saves; i++) {
    const started = performance.now();
    await saveCheckpoint(ctx, { trigger: 'manual', data: { n: i } });
    times.push(performance.now() - started);
  }
  fs.rmSync(root, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  return {
    size,
    saves,
    median: times[times.length >> 1],
    p90: times[Math.floor(times.length * 0.9)],
    min: times[0],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchCheckpoint());
