import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINTS_KEPT } from '../../src/core/phase.js';
import { TEMP_SUFFIX } from '../../src/store/atomic.js';
import { CLI, ISOLATED, json, makeRepo, wfs } from '../helpers.js';

const KILLS = 200;
const SLOTS = 4;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs one wfs command; with `killAfter`, SIGKILLs it that many ms after it starts. */
function run(root: string, args: string[], killAfter?: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: root,
      env: { ...process.env, ...ISOLATED },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const timer = killAfter === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfter);
    // 'close', not 'exit': the exit can come before the last of stdout has been read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}

/** Every file under `dir` whose name ends in .json, and every line of .jsonl files, must parse. */
function unparsable(dir: string): string[] {
  const bad: string[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, entry);
    if (entry.endsWith(TEMP_SUFFIX) || !fs.statSync(file).isFile()) continue;
    if (entry.endsWith('.json')) {
      try {
        JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        bad.push(entry);
      }
    } else if (entry.endsWith('.jsonl')) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          JSON.parse(line);
        } catch {
          bad.push(`${entry}: ${line.slice(0, 60)}`);
        }
      }
    }
  }
  return bad;
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs at random instants: every file parses, no acknowledged write is lost, doctor --fix leaves it clean`, async () => {
    const root = makeRepo();
    expect((await wfs(root, ['session', 'start', '--new', 'crash test'])).code).toBe(0);
    // A large state (~150 KB) makes every write long enough for kills to land inside it.
    const bulk = Array.from({ length: 400 }, (_, i) => ({
      content: `seed ${i} ${'x'.repeat(300)}`,
      status: 'pending',
    }));
    expect((await wfs(root, ['todo', 'sync'], { input: JSON.stringify(bulk) })).code).toBe(0);
    const ackedTodos: string[] = [];
    const ackedCheckpoints: string[] = [];
    let kills = 0;
    let runs = 0;
    let next = 0;

    const slot = async () => {
      while (kills < KILLS) {
        const n = next++;
        const todo = n % 3 !== 2;
        const args = todo
          ? ['todo', 'add', `item ${n}`, '--json']
          : ['checkpoint', '--data', JSON.stringify({ n }), '--json'];
        // Most runs are killed, at any instant from start-up to the last write (~60-200 ms in).
        const killAfter = Math.random() < 0.7 ? 20 + Math.random() * 200 : undefined;
        const outcome = await run(root, args, killAfter);
        runs++;
        if (outcome.signal === 'SIGKILL') {
          kills++;
          continue;
        }
        expect(outcome.code).toBe(0);
        // Exit 0 means acknowledged: it must survive everything that happens after.
        if (todo) ackedTodos.push(`item ${n}`);
        else ackedCheckpoints.push(JSON.parse(outcome.stdout).checkpoint.id);
      }
    };
    await Promise.all(Array.from({ length: SLOTS }, slot));
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(ackedTodos.length).toBeGreaterThan(10);

    // Every state file parses (temp files of killed writes are doctor's to sweep), and none ever
    // needed restoring from a backup: a kill leaves the old or the new version, never a torn one.
    expect(unparsable(path.join(root, '.workflow'))).toEqual([]);
    const restored = (fs.readdirSync(path.join(root, '.workflow'), { recursive: true }) as string[]).filter(
      (f) => f.includes('.corrupt-'),
    );
    expect(restored).toEqual([]);

    // No acknowledged write is lost.
    const list = await wfs(root, ['todo', 'list', '--json']);
    expect(list.code).toBe(0);
    const contents = new Set(json<{ todos: { content: string }[] }>(list).todos.map((t) => t.content));
    expect(ackedTodos.filter((t) => !contents.has(t))).toEqual([]);
    // Checkpoints are kept up to a bound (the newest CHECKPOINTS_KEPT, pruned in batches): an
    // acknowledged one may be gone only as one of the oldest, with the bound's worth kept after it.
    // (The faster the commands, the more of them finish before their kill, and the more
    // checkpoints a run makes: more than the bound since the start-up got faster.)
    const kept = fs
      .readdirSync(path.join(root, '.workflow', 'active', 'WFS-crash-test', '.process', 'checkpoints'))
      .filter((name) => name.startsWith('CP-') && name.endsWith('.json'))
      .map((name) => name.split('.')[0]!)
      .sort();
    const pruned = (id: string) => kept.length >= CHECKPOINTS_KEPT && id < kept[0]!;
    expect(ackedCheckpoints.filter((id) => !kept.includes(id) && !pruned(id))).toEqual([]);

    // doctor --fix repairs what the kills left (temp files, a held lock), and then all is clean.
    const fixed = await wfs(root, ['doctor', '--fix', '--json']);
    expect(json<{ remaining: number }>(fixed).remaining).toBe(0);
    const clean = await wfs(root, ['doctor', '--json']);
    expect(clean.code).toBe(0);
    expect(json<{ problems: number }>(clean).problems).toBe(0);
    console.log(
      `crash test: ${runs} runs, ${kills} killed, ${ackedTodos.length} todos and ${ackedCheckpoints.length} checkpoints acknowledged`,
    );
  }, 600_000);
});
