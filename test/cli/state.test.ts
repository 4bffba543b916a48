import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newCheckpointId } from '../../src/store/checkpoints.js';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson } from '../helpers.js';

const dirOf = (root: string, id: string) => path.join(root, '.workflow', 'active', id);
const stateFile = (root: string, id: string) => path.join(dirOf(root, id), 'workflow-session.json');

async function session(name = 'state work') {
  const root = makeRepo();
  await wfs(root, ['session', 'start', '--new', name]);
  return { root, id: `WFS-${name.replaceAll(' ', '-')}` };
}

describe('wfs phase', () => {
  it('records the transition, the context chain and a checkpoint, and updates the listed phase', async () => {
    const { root, id } = await session();
    const run = await wfs(root, [
      'phase',
      'implement',
      '--handoff',
      '{"plan":"IMPL_PLAN.md"}',
      '--trigger',
      'agent_complete',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const result = json<{ phase: string; from: string; changed: boolean; checkpoint: { id: string } }>(run);
    expect(result).toMatchObject({ phase: 'IMPLEMENT', from: 'PLAN', changed: true });
    const state = readJson(stateFile(root, id));
    expect(state.state_transitions).toEqual([
      {
        from: 'PLAN',
        to: 'IMPLEMENT',
        timestamp: expect.any(String),
        trigger: 'agent_complete',
        handoff_data: { plan: 'IMPL_PLAN.md' },
      },
    ]);
    expect(state.context_chain).toEqual([
      expect.objectContaining({ phase: 'IMPLEMENT', checkpoint_id: result.checkpoint.id }),
    ]);
    const checkpointFile = path.join(
      dirOf(root, id),
      '.process',
      'checkpoints',
      `${result.checkpoint.id}.IMPLEMENT.json`,
    );
    expect(readJson(checkpointFile)).toMatchObject({
      trigger: 'phase_transition',
      phase: 'IMPLEMENT',
      data: { from: 'PLAN', to: 'IMPLEMENT' },
    });
    expect(
      json<{ sessions: { phase: string }[] }>(await wfs(root, ['session', 'list', '--json'])).sessions[0]!
        .phase,
    ).toBe('IMPLEMENT');
    const same = await wfs(root, ['phase', 'IMPLEMENT']);
    expect(same.stdout).toContain('PHASE: IMPLEMENT (unchanged)');
  });

  it('refuses a bad phase (exit 2), bad handoff JSON (exit 2), and a paused session (exit 1)', async () => {
    const { root } = await session();
    expect(await wfs(root, ['phase', 'SHIP'])).toMatchObject({
      code: 2,
      stderr: 'ERROR: Invalid phase. Valid phases: PLAN, IMPLEMENT, REVIEW\n',
    });
    expect((await wfs(root, ['phase', 'REVIEW', '--handoff', '[1]'])).code).toBe(2);
    await wfs(root, ['session', 'pause']);
    const paused = await wfs(root, ['phase', 'REVIEW']);
    expect(paused.code).toBe(1);
    expect(paused.stderr).toMatch(/^ERROR: No active session/);
  });
});

describe('wfs checkpoint', () => {
  it('saves each checkpoint durably with its data, folds the data into the phase record, and refuses a bad trigger', async () => {
    const { root, id } = await session();
    const run = await wfs(root, [
      'checkpoint',
      '--trigger',
      'agent_complete',
      '--data',
      '{"documents":["IMPL_PLAN.md"],"agent_completed":"planner","files_changed":["src/a.ts"]}',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const { checkpoint } = json<{ checkpoint: { id: string; trigger: string } }>(run);
    expect(checkpoint.trigger).toBe('agent_complete');
    const file = readJson(
      path.join(dirOf(root, id), '.process', 'checkpoints', `${checkpoint.id}.PLAN.json`),
    );
    expect(file).toMatchObject({
      session_id: id,
      data: { files_changed: ['src/a.ts'] },
      todos: { total: 0 },
    });
    const state = readJson(stateFile(root, id));
    expect(state.checkpoints).toMatchObject({
      plan: { documents: ['IMPL_PLAN.md'], agents_completed: ['planner'] },
    });
    expect(state.last_checkpoint).toMatchObject({
      id: checkpoint.id,
      trigger: 'agent_complete',
      phase: 'PLAN',
    });
    const bad = await wfs(root, ['checkpoint', '--trigger', 'whenever']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^ERROR: Invalid trigger\. Valid triggers: manual, agent_complete, todo_milestone, user_interrupt, phase_transition, file_change, compact, session_end/,
    );
    expect((await wfs(root, ['checkpoint', '--data', 'nope'])).code).toBe(2);
  });

  it('IDs never collide, within one millisecond or across processes', async () => {
    const now = '2026-11-21T10:00:00.000Z';
    const ids = new Set(Array.from({ length: 20_000 }, () => newCheckpointId(now)));
    expect(ids.size).toBe(20_000);
    const { root, id } = await session();
    const runs = await Promise.all(Array.from({ length: 20 }, () => wfs(root, ['checkpoint', '--json'])));
    const made = runs.map((r) => json<{ checkpoint: { id: string } }>(r).checkpoint.id);
    expect(new Set(made).size).toBe(20);
    expect(fs.readdirSync(path.join(dirOf(root, id), '.process', 'checkpoints'))).toHaveLength(20);
  });

  it('keeps a bounded number of checkpoints (50, pruned in batches of 5), never dropping the newest of a phase', async () => {
    const { root, id } = await session();
    const dir = path.join(dirOf(root, id), '.process', 'checkpoints');
    await wfs(root, ['checkpoint']);
    const [planOnly] = fs.readdirSync(dir);
    await wfs(root, ['phase', 'IMPLEMENT']);
    const [firstImplement] = fs.readdirSync(dir).filter((f) => f.endsWith('.IMPLEMENT.json'));
    let most = 0;
    for (let i = 0; i < 55; i++) {
      await wfs(root, ['checkpoint']);
      most = Math.max(most, fs.readdirSync(dir).length);
    }
    const kept = fs.readdirSync(dir);
    expect(most).toBeLessThanOrEqual(55);
    expect(kept.length).toBeGreaterThanOrEqual(50);
    expect(kept.length).toBeLessThanOrEqual(55);
    expect(kept).toContain(planOnly);
    expect(kept).not.toContain(firstImplement);
  }, 180_000);
});

describe('wfs todo', () => {
  it('adds, starts, completes and lists todos; counts flow into the implement record; completion is a milestone', async () => {
    const { root, id } = await session();
    expect((await wfs(root, ['todo', 'add', 'write', 'the', 'parser'])).stdout).toBe(
      'TODO: 1 write the parser\n',
    );
    await wfs(root, ['todo', 'add', 'document it']);
    await wfs(root, ['todo', 'start', '1']);
    const done = await wfs(root, ['todo', 'done', '1']);
    expect(done.stdout).toMatch(/^TODO: 1 done\nCHECKPOINT: CP-\S+ \(todo_milestone\)\n$/);
    expect((await wfs(root, ['todo', 'list'])).stdout).toBe(
      `${id}: 1/2 done\n    1 [x] write the parser\n    2 [ ] document it\n`,
    );
    expect(readJson(stateFile(root, id)).checkpoints).toMatchObject({
      implement: { todos: { total: 2, completed: 1, in_progress: 0 } },
    });
    expect((await wfs(root, ['todo', 'done', '7'])).code).toBe(1);
    expect((await wfs(root, ['todo', 'done', 'x'])).code).toBe(2);
  });

  it('sync reads a TodoWrite list on stdin', async () => {
    const { root } = await session();
    await wfs(root, ['todo', 'add', 'keep me']);
    const input = JSON.stringify([
      { content: 'keep me', status: 'completed', activeForm: 'Keeping' },
      { content: 'new', status: 'in_progress', activeForm: 'Doing new' },
    ]);
    const run = await wfs(root, ['todo', 'sync', '--json'], { input });
    expect(run.code).toBe(0);
    const result = json<{
      todos: { id: number; content: string; status: string }[];
      checkpoint?: { trigger: string };
    }>(run);
    expect(result.todos.map((t) => `${t.id}:${t.content}:${t.status}`)).toEqual([
      '1:keep me:completed',
      '2:new:in_progress',
    ]);
    expect(result.checkpoint?.trigger).toBe('todo_milestone');
    expect((await wfs(root, ['todo', 'sync'], { input: '{"oops":' })).code).toBe(2);
  });
});

describe('durability: backups and recovery (SPEC 4)', () => {
  it('keeps a backup of every previous version, at least the last 10', async () => {
    const { root, id } = await session();
    for (let i = 0; i < 24; i++) await wfs(root, ['todo', 'add', `item ${i}`]);
    const backups = fs.readdirSync(path.join(dirOf(root, id), '.process', 'backups')).sort();
    expect(backups.length).toBeGreaterThanOrEqual(10);
    expect(backups.length).toBeLessThanOrEqual(25);
    expect(backups).toContain('workflow-session.r24.json');
    expect(
      readJson(path.join(dirOf(root, id), '.process', 'backups', 'workflow-session.r24.json')).revision,
    ).toBe(24);
  }, 120_000);

  const damage: [string, (file: string) => void][] = [
    ['a truncated file', (file) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40))],
    ['garbage', (file) => fs.writeFileSync(file, '\u0000\u0001garbage')],
    [
      'valid JSON with a wrong schema',
      (file) =>
        fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), status: 42 })),
    ],
    ['a missing state file', (file) => fs.rmSync(file)],
  ];
  for (const [what, spoil] of damage) {
    it(`restores ${what} from the newest good backup, with a WARNING, keeping the damaged file aside`, async () => {
      const { root, id } = await session();
      await wfs(root, ['todo', 'add', 'survives']);
      await wfs(root, ['todo', 'add', 'lost with the damage']);
      const file = stateFile(root, id);
      const damagedText = fs.existsSync(file) ? null : undefined;
      spoil(file);
      const spoiled = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : damagedText;
      const run = await wfs(root, ['todo', 'list']);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        new RegExp(`^WARNING: Session ${id} was damaged \\(.+\\); restored revision 2 from its backup`),
      );
      expect(run.stdout).toContain('1 [ ] survives');
      expect(run.stdout).not.toContain('lost with the damage');
      const aside = fs
        .readdirSync(dirOf(root, id))
        .filter((f) => f.startsWith('workflow-session.json.corrupt-'));
      if (spoiled === null || spoiled === undefined) expect(aside).toEqual([]);
      else expect(fs.readFileSync(path.join(dirOf(root, id), aside[0]!), 'utf8')).toBe(spoiled);
      // Work goes on from the restored state.
      expect((await wfs(root, ['todo', 'add', 'after'])).stdout).toBe('TODO: 2 after\n');
    });
  }

  it('refuses a newer major version and writes nothing', async () => {
    const { root, id } = await session();
    await wfs(root, ['todo', 'add', 'x']);
    const file = stateFile(root, id);
    const text = JSON.stringify({ ...readJson(file), session_version: '3.0' });
    fs.writeFileSync(file, text);
    const before = fs.readdirSync(path.join(dirOf(root, id), '.process', 'backups'));
    for (const args of [['todo', 'add', 'y'], ['checkpoint'], ['phase', 'REVIEW'], ['session', 'show', id]]) {
      const run = await wfs(root, args);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /ERROR: Session WFS-state-work was written by a newer wfs \(session_version 3\.0\)/,
      );
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.readdirSync(path.join(dirOf(root, id), '.process', 'backups'))).toEqual(before);
  });

  it('a damaged session without any backup is an error, not a guess', async () => {
    const { root, id } = await session();
    fs.writeFileSync(stateFile(root, id), '{');
    const run = await wfs(root, ['session', 'show', id]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ERROR: Session WFS-state-work is corrupt: not valid JSON/);
    expect(fs.readFileSync(stateFile(root, id), 'utf8')).toBe('{');
  });

  it('a missing session folder is reported as not found', async () => {
    const { root, id } = await session();
    fs.rmSync(dirOf(root, id), { recursive: true });
    const run = await wfs(root, ['session', 'show', id]);
    expect(run).toMatchObject({ code: 1, stderr: `ERROR: Session ${id} not found\n` });
  });

  it('an older (v1) session file is migrated on read and saved as 2.0 on its next change', async () => {
    const root = makeRepo();
    const dir = path.join(root, '.workflow', 'active', 'WFS-legacy');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'workflow-session.json'),
      JSON.stringify({
        session_id: 'WFS-legacy',
        project: 'Legacy work',
        status: 'reviewing',
        type: 'simple',
        created_at: '2025-06-01T00:00:00Z',
      }),
    );
    const shown = json<{ session: Record<string, unknown> }>(
      await wfs(root, ['session', 'show', 'WFS-legacy', '--json']),
    );
    expect(shown.session).toMatchObject({
      session_version: '2.0',
      current_phase: 'REVIEW',
      complexity: 'simple',
      status: 'paused',
      description: 'Legacy work',
    });
    await wfs(root, ['session', 'resume', 'WFS-legacy']);
    // Two saves: the repairs (its planning notes, now written by wfs, are recorded so that a later
    // loss of them is reported as one), then the activation.
    expect(readJson(path.join(dir, 'workflow-session.json'))).toMatchObject({
      session_version: '2.0',
      status: 'active',
      revision: 2,
    });
  });
});
