import { describe, expect, it } from 'vitest';
import { migrateSession } from '../../src/core/migrate.js';
import {
  applyCheckpointData,
  changePhase,
  checkpointsToPrune,
  parsePhase,
  parseTrigger,
} from '../../src/core/phase.js';
import { newSessionState } from '../../src/core/session.js';
import { parseSessionText, validateSession } from '../../src/core/session-file.js';
import { addTodo, countTodos, parseTodoWrite, setTodoStatus, syncTodos } from '../../src/core/todos.js';

const now = '2026-11-21T10:00:00.000Z';
const fresh = () =>
  newSessionState({
    id: 'WFS-x',
    project: 'x',
    description: 'x',
    type: 'workflow',
    complexity: 'medium',
    now,
  });

describe('todos', () => {
  it('numbers todos, tracks status, and keeps the implement counts equal to the list', () => {
    let state = addTodo(fresh(), 'one', now).state;
    state = addTodo(state, '  two  ', now).state;
    state = setTodoStatus(state, 1, 'in_progress', now).state;
    state = setTodoStatus(state, 2, 'completed', now).state;
    expect(state.todos!.map((t) => `${t.id}:${t.content}:${t.status}`)).toEqual([
      '1:one:in_progress',
      '2:two:completed',
    ]);
    expect(state.checkpoints.implement.todos).toEqual({ total: 2, completed: 1, in_progress: 1 });
    expect(state.todos![1]!.completed_at).toBe(now);
    expect(setTodoStatus(state, 2, 'completed', now).changed).toBe(false);
    expect(() => setTodoStatus(state, 9, 'completed', now)).toThrow(/No todo 9/);
    expect(() => addTodo(state, '   ', now)).toThrow(/needs a text/);
  });

  it('syncs a TodoWrite list, keeping the numbers of todos with the same text', () => {
    let state = addTodo(fresh(), 'keep me', now).state;
    state = addTodo(state, 'drop me', now).state;
    const items = parseTodoWrite(
      JSON.stringify([
        { content: 'new one', status: 'pending', activeForm: 'Doing the new one' },
        { content: 'keep me', status: 'completed' },
      ]),
    );
    const synced = syncTodos(state, items, now);
    expect(synced.state.todos!.map((t) => `${t.id}:${t.content}:${t.status}`)).toEqual([
      '3:new one:pending',
      '1:keep me:completed',
    ]);
    expect(synced.completedNow).toBe(1);
    expect(countTodos(synced.state.todos!)).toEqual({ total: 2, completed: 1, in_progress: 0 });
    expect(() => parseTodoWrite('not json')).toThrow(/not valid JSON/);
    expect(() => parseTodoWrite('[{"content":"x","status":"done"}]')).toThrow(/status/);
    expect(parseTodoWrite('{"todos":[{"content":"x","status":"pending"}]}')).toHaveLength(1);
  });
});

describe('phases and checkpoints', () => {
  it('records a transition, the context chain, and the phase records', () => {
    const change = changePhase(fresh(), 'IMPLEMENT', {
      now,
      trigger: 'manual',
      handoff: { plan: 'p.md' },
      checkpointId: 'CP-1',
    });
    expect(change.changed).toBe(true);
    expect(change.state.current_phase).toBe('IMPLEMENT');
    expect(change.state.state_transitions).toEqual([
      { from: 'PLAN', to: 'IMPLEMENT', timestamp: now, trigger: 'manual', handoff_data: { plan: 'p.md' } },
    ]);
    expect(change.state.context_chain).toEqual([
      expect.objectContaining({ phase: 'IMPLEMENT', from: 'PLAN', checkpoint_id: 'CP-1' }),
    ]);
    expect(change.state.checkpoints.plan.status).toBe('completed');
    expect(change.state.checkpoints.implement.status).toBe('in_progress');
    const back = changePhase(
      changePhase(change.state, 'REVIEW', { now, trigger: 'm', checkpointId: 'CP-2' }).state,
      'IMPLEMENT',
      { now, trigger: 'fix', checkpointId: 'CP-3' },
    );
    expect(back.state.checkpoints.review.status).toBe('in_progress');
    expect(back.state.state_transitions).toHaveLength(3);
    expect(changePhase(fresh(), 'REVIEW', { now, trigger: 'm', checkpointId: 'CP' }).warnings).toEqual([
      'Skipping IMPLEMENT',
    ]);
    expect(changePhase(fresh(), 'PLAN', { now, trigger: 'm', checkpointId: 'CP' }).changed).toBe(false);
    expect(() =>
      changePhase({ ...fresh(), status: 'paused' }, 'REVIEW', { now, trigger: 'm', checkpointId: 'CP' }),
    ).toThrow(/resume it first/);
  });

  it('validates phases and triggers with clear messages', () => {
    expect(parsePhase('implement')).toBe('IMPLEMENT');
    expect(() => parsePhase('SHIP')).toThrow('Invalid phase. Valid phases: PLAN, IMPLEMENT, REVIEW');
    expect(parseTrigger(undefined, 'manual')).toBe('manual');
    expect(() => parseTrigger('bogus', 'manual')).toThrow(
      /Invalid trigger. Valid triggers: manual, agent_complete/,
    );
  });

  it('folds checkpoint data into the phase record', () => {
    const record = fresh().checkpoints.implement;
    const a = applyCheckpointData(record, { agent: 'coder', documents: ['a.md'] }, now);
    const b = applyCheckpointData(a, { agent_completed: 'coder', quality_checks: [{ lint: 'ok' }] }, now);
    expect(b).toMatchObject({
      documents: ['a.md'],
      agents_completed: ['coder'],
      current_agent: null,
      quality_checks: [{ lint: 'ok' }],
      timestamp: now,
    });
  });

  it('retention drops the oldest but never the newest of a phase', () => {
    const all = [
      { id: 'CP-01', phase: 'PLAN' as const },
      { id: 'CP-02', phase: 'IMPLEMENT' as const },
      { id: 'CP-03', phase: 'IMPLEMENT' as const },
      { id: 'CP-04', phase: 'IMPLEMENT' as const },
      { id: 'CP-05', phase: 'IMPLEMENT' as const },
    ];
    expect(checkpointsToPrune(all, 2)).toEqual(['CP-02', 'CP-03', 'CP-04']);
    expect(checkpointsToPrune(all, 10)).toEqual([]);
  });
});

describe('migration of older session files on read', () => {
  it('brings a v1 CCW file to 2.0: status implementing -> IMPLEMENT, type complex -> complexity, project -> description, project kept', () => {
    const v1 = {
      session_id: 'WFS-old',
      project: 'Old task\nwith details',
      status: 'implementing',
      type: 'complex',
      created_at: '2025-01-01T00:00:00Z',
      custom: 1,
    };
    const parsed = parseSessionText(JSON.stringify(v1), 'WFS-old');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.migrated).toBe(true);
    expect(parsed.state).toMatchObject({
      session_version: '2.0',
      description: 'Old task\nwith details',
      project: 'Old task\nwith details',
      type: 'workflow',
      complexity: 'complex',
      status: 'paused',
      current_phase: 'IMPLEMENT',
      custom: 1,
    });
    expect(parsed.state.checkpoints.plan.status).toBe('completed');
    expect(validateSession(parsed.state).ok).toBe(true);
    expect(migrateSession({ status: 'completed', session_version: '1.0' }, 'WFS-done')).toMatchObject({
      status: 'completed',
      description: 'WFS-done',
    });
  });
});
