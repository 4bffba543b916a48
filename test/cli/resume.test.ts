import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson } from '../helpers.js';

type Plan = {
  strategy: string;
  phase: string;
  done: string[];
  next: string;
  warnings: string[];
  retained?: string[];
};

async function pausedSession() {
  const root = makeRepo();
  await wfs(root, ['session', 'start', '--new', 'resumable']);
  await wfs(root, ['todo', 'add', 'first']);
  await wfs(root, ['todo', 'add', 'second']);
  await wfs(root, ['todo', 'done', '1']);
  await wfs(root, ['todo', 'start', '2']);
  await wfs(root, ['session', 'pause']);
  const dir = path.join(root, '.workflow', 'active', 'WFS-resumable');
  return { root, dir, file: path.join(dir, 'workflow-session.json') };
}

const resume = async (root: string) => {
  const run = await wfs(root, ['session', 'resume', '--json']);
  return { run, result: run.code === 0 ? json<{ status: string; plan: Plan }>(run) : undefined };
};

describe('session resume: validated, with a strategy and a plan', () => {
  it('complete: nothing to say; the plan tells what is done and what is next', async () => {
    const { root } = await pausedSession();
    const human = await wfs(root, ['session', 'resume']);
    expect(human.stdout).toBe(
      'RESUME_STRATEGY: complete\nSESSION_ID: WFS-resumable\nSTATUS: active\nPHASE: PLAN\nDONE: 1/2 todos done\nNEXT: Continue todo 2: second\n',
    );
    expect(human.stderr).toBe('');
  });

  it('partial: missing artifacts and disagreeing counts are repaired, with warnings', async () => {
    const { root, dir, file } = await pausedSession();
    fs.rmSync(path.join(dir, 'planning-notes.md'));
    fs.rmSync(path.join(dir, '.summaries'), { recursive: true });
    const state = readJson(file);
    (state.checkpoints as { implement: { todos: unknown } }).implement.todos = {
      total: 9,
      completed: 9,
      in_progress: 0,
    };
    fs.writeFileSync(file, JSON.stringify(state));
    const { run, result } = await resume(root);
    expect(run.code).toBe(0);
    expect(result!.plan.strategy).toBe('partial');
    expect(result!.plan.warnings).toEqual([
      '.summaries/ was missing: recreated empty (what it held is lost)',
      'planning-notes.md was missing: recreated from the template with the goal (the notes written in it are lost)',
      'The todo counts (9/9 done) did not match the todos (1/2): corrected from the todos',
    ]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('WARNING: '))).toHaveLength(3);
    expect(fs.readFileSync(path.join(dir, 'planning-notes.md'), 'utf8')).toContain('**GOAL**: resumable');
    expect(readJson(file).checkpoints).toMatchObject({
      implement: { todos: { total: 2, completed: 1, in_progress: 1 } },
    });
  });

  it('partial: unmet phase prerequisites are reported', async () => {
    const { root } = await pausedSession();
    await wfs(root, ['session', 'resume']);
    await wfs(root, ['phase', 'REVIEW']);
    await wfs(root, ['session', 'pause']);
    const { result } = await resume(root);
    expect(result!.plan).toMatchObject({ strategy: 'partial', phase: 'REVIEW' });
    expect(result!.plan.warnings).toContain('The session is in REVIEW with 1 todo(s) still open');
  });

  it('degraded: a state restored from an older backup restarts the phase with what was retained', async () => {
    const { root, file } = await pausedSession();
    fs.writeFileSync(file, '{"broken');
    const { run, result } = await resume(root);
    expect(run.code).toBe(0);
    expect(result!.plan.strategy).toBe('degraded');
    expect(run.stderr).toMatch(/^WARNING: Session WFS-resumable was damaged/);
    expect(result!.plan.retained).toEqual(expect.arrayContaining(['1/2 todos done']));
    expect(result!.plan.next).toMatch(/^Restart PLAN from what was retained; then: Start todo 2: second/);
    const todos = readJson<{ todos: { id: number; status: string }[] }>(file).todos;
    expect(todos.map((t) => `${t.id}:${t.status}`)).toEqual(['1:completed', '2:pending']);
  });

  it('degraded: a missing last checkpoint', async () => {
    const { root, dir } = await pausedSession();
    fs.rmSync(path.join(dir, '.process', 'checkpoints'), { recursive: true });
    const { result } = await resume(root);
    expect(result!.plan.strategy).toBe('degraded');
    expect(result!.plan.warnings[0]).toMatch(/^The last checkpoint CP-\S+ is missing/);
  });

  it('manual: an interrupted archiving, or damage no backup can repair, exits 3 and changes nothing', async () => {
    const { root, dir, file } = await pausedSession();
    fs.writeFileSync(path.join(dir, '.archiving'), '{}');
    const before = fs.readFileSync(file, 'utf8');
    const run = await wfs(root, ['session', 'resume', '--json']);
    expect(run.code).toBe(3);
    expect(json(run)).toMatchObject({ error: { code: 'E_NEEDS_DECISION', strategy: 'manual' } });
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    const fresh = makeRepo();
    await wfs(fresh, ['session', 'start', '--new', 'no backup']);
    await wfs(fresh, ['session', 'pause']);
    const only = path.join(fresh, '.workflow', 'active', 'WFS-no-backup');
    fs.rmSync(path.join(only, '.process', 'backups'), { recursive: true, force: true });
    fs.writeFileSync(path.join(only, 'workflow-session.json'), 'garbage');
    const manual = await wfs(fresh, ['session', 'resume', 'WFS-no-backup']);
    expect(manual.code).toBe(3);
    expect(manual.stderr).toMatch(/^ERROR: Session WFS-no-backup is corrupt: .*cannot be resumed safely/);
  });

  it('switching away and resuming loses nothing', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'keep everything']);
    await wfs(root, ['todo', 'add', 'a']);
    await wfs(root, ['todo', 'done', '1']);
    await wfs(root, ['checkpoint', '--data', '{"documents":["notes.md"]}']);
    await wfs(root, ['phase', 'IMPLEMENT']);
    const file = path.join(root, '.workflow', 'active', 'WFS-keep-everything', 'workflow-session.json');
    const before = readJson(file);
    await wfs(root, ['session', 'start', '--new', 'other work']);
    await wfs(root, ['todo', 'add', 'elsewhere']);
    await wfs(root, ['session', 'switch', 'WFS-keep-everything']);
    await wfs(root, ['session', 'resume', 'WFS-other-work']);
    await wfs(root, ['session', 'resume', 'WFS-keep-everything']);
    const after = readJson(file);
    for (const key of [
      'todos',
      'checkpoints',
      'context_chain',
      'state_transitions',
      'last_checkpoint',
      'current_phase',
      'description',
    ]) {
      expect(after[key]).toEqual(before[key]);
    }
  });
});
