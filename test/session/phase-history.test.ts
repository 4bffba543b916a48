import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASE_HISTORY_KEPT, trimPhaseHistory } from '../../src/core/phase.js';
import type { SessionState } from '../../src/core/session.js';
import { startNewSession } from '../../src/session/start.js';
import { changeSessionPhase, readSessionPhaseHistory } from '../../src/session/state.js';
import { sessionDir, sessionLayout } from '../../src/store/layout.js';
import { appendPhaseHistory } from '../../src/store/phase-history.js';
import { openProject } from '../../src/store/project.js';
import { makeRepo, readJson } from '../helpers.js';

const PHASES = ['IMPLEMENT', 'REVIEW', 'PLAN'] as const;

async function sessionWithChanges(changes: number) {
  const ctx = openProject({ cwd: makeRepo(), env: {} });
  const { session_id: id } = await startNewSession(ctx, { description: 'long one' });
  for (let i = 0; i < changes; i++)
    await changeSessionPhase(ctx, { to: PHASES[i % 3]!, handoff: { change: i } });
  const dir = sessionDir(ctx.layout, id, 'active');
  return { ctx, id, dir, state: () => readJson<SessionState>(sessionLayout(dir).state) };
}

describe('phase history', () => {
  it('the session file keeps the newest changes; the rest moves to .process/phase-history.jsonl, and the whole history reads back in order', async () => {
    const { ctx, id, dir, state } = await sessionWithChanges(75);
    const s = state();
    expect(s.state_transitions.length).toBeGreaterThanOrEqual(PHASE_HISTORY_KEPT);
    expect(s.state_transitions.length).toBeLessThanOrEqual(PHASE_HISTORY_KEPT + 10);
    expect(s.context_chain.length).toBe(s.state_transitions.length);
    const counts = (s as { phase_history?: Record<'state_transitions' | 'context_chain', number> })
      .phase_history!;
    expect(counts.state_transitions + s.state_transitions.length).toBe(75);
    expect(counts.context_chain + s.context_chain.length).toBe(75);
    // The newest is always in the file: what resume and the dashboard's card need.
    expect(s.state_transitions.at(-1)).toMatchObject({ to: 'PLAN', handoff_data: { change: 75 - 1 } });
    const lines = fs.readFileSync(sessionLayout(dir).phaseHistory, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(counts.state_transitions + counts.context_chain);

    const history = await readSessionPhaseHistory(ctx, id);
    expect(history.warnings).toEqual([]);
    expect(
      history.state_transitions.map((t) => (t as { handoff_data: { change: number } }).handoff_data.change),
    ).toEqual(Array.from({ length: 75 }, (_, i) => i));
    expect(history.context_chain).toHaveLength(75);
    expect(history.context_chain[0]).toMatchObject({ phase: 'IMPLEMENT', from: 'PLAN' });
  });

  it('the session file stays the same size after 150 phase changes as after 40', async () => {
    const few = await sessionWithChanges(40);
    const many = await sessionWithChanges(150);
    const size = (s: { dir: string }) => fs.statSync(sessionLayout(s.dir).state).size;
    expect(size(many)).toBeLessThan(size(few) * 1.5);
  });

  it('lines a crash left twice, or ahead of the state that never got saved, are read once and only when counted', async () => {
    const { ctx, id, dir, state } = await sessionWithChanges(35);
    const s = state();
    const counted = (s as { phase_history?: Record<'state_transitions' | 'context_chain', number> })
      .phase_history!.state_transitions;
    // A move written again (its state save was lost) and a move of the next entries whose save
    // never happened: both leave lines the reader must not double nor take as moved.
    const again = fs.readFileSync(sessionLayout(dir).phaseHistory, 'utf8');
    fs.appendFileSync(sessionLayout(dir).phaseHistory, again);
    const ahead = trimPhaseHistory(s, 0, 0).moved;
    appendPhaseHistory(dir, ahead);
    fs.appendFileSync(sessionLayout(dir).phaseHistory, '{"list":"state_tr');
    const history = await readSessionPhaseHistory(ctx, id);
    expect(history.state_transitions).toHaveLength(35);
    expect(history.warnings).toEqual([]);
    expect(counted).toBeGreaterThan(0);
    // A later move continues after the torn line, numbered from the state's count.
    for (let i = 0; i < 20; i++) await changeSessionPhase(ctx, { to: PHASES[(35 + i) % 3]! });
    expect((await readSessionPhaseHistory(ctx, id)).state_transitions).toHaveLength(55);
  });

  it('a history file lost by hand is named in a warning, and the rest still reads', async () => {
    const { ctx, id, dir } = await sessionWithChanges(35);
    fs.rmSync(sessionLayout(dir).phaseHistory);
    const history = await readSessionPhaseHistory(ctx, id);
    expect(history.warnings).toEqual([
      expect.stringMatching(/earlier phase change\(s\) are missing from .process\/phase-history.jsonl$/),
    ]);
    expect(history.state_transitions.length).toBeLessThan(35);
    expect(path.basename(sessionLayout(dir).phaseHistory)).toBe('phase-history.jsonl');
  });
});
