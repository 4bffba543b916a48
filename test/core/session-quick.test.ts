import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_STATUSES,
  COMPLEXITIES,
  isWellFormedSession,
  newSessionState,
  PHASES,
  SESSION_STATUSES,
  SESSION_TYPES,
  sessionSchema,
  TODO_STATUSES,
} from '../../src/core/session.js';
import { validateSession } from '../../src/core/session-file.js';

// isWellFormedSession is a shortcut past the session schema: whatever it accepts must be accepted by
// the schema. These tests take a session holding every field the schema knows and replace each value
// in it, at every depth, by values of every kind, and check that the shortcut never says yes where
// the schema says no. A field added to the schema and not to the shortcut fails the first test.

const NOW = '2026-12-04T10:00:00.000Z';

function fullSession(): Record<string, unknown> {
  const state = newSessionState({
    id: 'WFS-quick',
    project: 'quick',
    description: 'every field',
    type: 'workflow',
    complexity: 'medium',
    now: NOW,
  }) as unknown as Record<string, unknown>;
  return {
    ...state,
    paused_at: NOW,
    resumed_at: null,
    completed_at: null,
    archived_at: null,
    context_chain: [{ any: 'thing' }],
    state_transitions: ['x'],
    checkpoints: {
      plan: {
        status: 'completed',
        documents: ['plan.md'],
        agents_completed: ['a'],
        current_agent: 'b',
        todos: { total: 2, completed: 1, in_progress: 1 },
        quality_checks: [{ ok: true }],
        timestamp: NOW,
      },
      implement: (state.checkpoints as Record<string, unknown>).implement,
      review: (state.checkpoints as Record<string, unknown>).review,
    },
    todos: [
      {
        id: 1,
        content: 'a todo',
        status: 'completed',
        active_form: 'doing it',
        created_at: NOW,
        updated_at: NOW,
        completed_at: NOW,
      },
    ],
    last_checkpoint: { id: 'CP-1', trigger: 'manual', phase: 'PLAN', timestamp: NOW },
    conversations: [{ agent: 'claude', conversation_id: 'c1', bound_at: NOW, ended_at: null }],
  };
}

type Def = {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
};

/** The object paths the schema names, to the depth where it stops naming fields. */
function schemaPaths(def: Def, prefix: string[] = []): string[][] {
  if (def.type === 'optional' || def.type === 'nullable') return schemaPaths(def.innerType!._zod.def, prefix);
  if (def.type === 'array') return schemaPaths(def.element!._zod.def, [...prefix, '0']);
  if (def.type !== 'object') return [];
  return Object.entries(def.shape!).flatMap(([key, field]) => [
    [...prefix, key],
    ...schemaPaths(field._zod.def, [...prefix, key]),
  ]);
}

function get(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], value);
}

function withValue(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const parent = get(copy, path.slice(0, -1)) as Record<string, unknown>;
  const key = path.at(-1)!;
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return copy;
}

const words = [
  ...SESSION_TYPES,
  ...SESSION_STATUSES,
  ...PHASES,
  ...COMPLEXITIES,
  ...CHECKPOINT_STATUSES,
  ...TODO_STATUSES,
];
const KINDS: unknown[] = [
  undefined,
  null,
  0,
  1,
  -1,
  1.5,
  2 ** 60,
  Number.NaN,
  '',
  'x',
  '2.0',
  NOW,
  true,
  false,
  [],
  ['x'],
  [1],
  [null],
  {},
  { x: 1 },
  ...words,
  ...words.map((w) => w.toUpperCase()),
];

describe('the quick session check', () => {
  const schema = sessionSchema();
  const full = fullSession();
  const paths = schemaPaths(schema._zod.def as unknown as Def);

  it('is given a session holding every field the schema names, and accepts it', () => {
    expect(paths.length).toBeGreaterThan(40);
    for (const path of paths) expect(get(full, path), path.join('.')).not.toBeUndefined();
    expect(schema.safeParse(full).success).toBe(true);
    expect(isWellFormedSession(full)).toBe(true);
    // What wfs itself writes for a new session.
    const fresh = newSessionState({
      id: 'WFS-a',
      project: 'p',
      description: 'd',
      type: 'tdd',
      complexity: 'simple',
      now: NOW,
    });
    expect(isWellFormedSession(JSON.parse(JSON.stringify(fresh)))).toBe(true);
  });

  it('never accepts what the schema refuses, for any value at any field', () => {
    let refusedBySchema = 0;
    for (const path of [...paths, ['todos', '1'], ['conversations', '1']]) {
      for (const kind of KINDS) {
        const mutated = withValue(full, path, kind);
        const schemaSays = schema.safeParse(mutated).success;
        if (!schemaSays) refusedBySchema++;
        if (isWellFormedSession(mutated))
          expect(schemaSays, `${path.join('.')} = ${String(kind)}`).toBe(true);
      }
    }
    expect(refusedBySchema).toBeGreaterThan(1000);
  });

  it('what it accepts, the schema gives back unchanged: an object the schema would strip goes to the schema', () => {
    const objects = [[], ...paths].filter((path) => {
      const value = get(full, path);
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    });
    expect(objects.length).toBeGreaterThan(8);
    let accepted = 0;
    for (const path of objects) {
      const mutated = withValue(full, [...path, 'zz_unknown'], { kept: 'or dropped' });
      if (!isWellFormedSession(mutated)) continue;
      accepted++;
      expect(schema.parse(mutated), path.join('.')).toEqual(mutated);
    }
    expect(accepted).toBeGreaterThan(5);
    for (const path of paths) {
      for (const kind of KINDS) {
        const mutated = withValue(full, path, kind);
        if (isWellFormedSession(mutated)) expect(schema.parse(mutated)).toEqual(mutated);
      }
    }
  });

  it('refuses values that are not objects, and objects with a __proto__ key (zod drops it)', () => {
    for (const value of [null, [], 'x', 1, undefined]) expect(isWellFormedSession(value)).toBe(false);
    const withProto = JSON.parse(JSON.stringify(full).replace('{', '{"__proto__":{"x":1},'));
    expect(isWellFormedSession(withProto)).toBe(false);
    const parsed = validateSession(withProto);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(Object.hasOwn(parsed.state, '__proto__')).toBe(false);
  });

  it('keeps fields the schema does not know, as the schema does', () => {
    const extra = { ...full, from_a_newer_wfs: { kept: true } };
    const parsed = validateSession(extra);
    expect(parsed.ok && (parsed.state as Record<string, unknown>).from_a_newer_wfs).toEqual({ kept: true });
  });
});
