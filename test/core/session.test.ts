import { describe, expect, it } from 'vitest';
import { WfsError } from '../../src/core/errors.js';
import { validateDescription } from '../../src/core/input.js';
import * as lifecycle from '../../src/core/lifecycle.js';
import { newSessionState, parseSessionType } from '../../src/core/session.js';
import { parseSessionText, validateSession } from '../../src/core/session-file.js';

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

describe('session schema', () => {
  it('a new session is valid, active, in PLAN, with three checkpoint records', () => {
    const state = fresh();
    expect(validateSession(state)).toEqual({ ok: true, state });
    expect(state.status).toBe('active');
    expect(state.current_phase).toBe('PLAN');
    expect(state.session_version).toBe('2.0');
    expect(Object.keys(state.checkpoints)).toEqual(['plan', 'implement', 'review']);
  });

  it('keeps unknown fields', () => {
    const result = validateSession({ ...fresh(), extra_field: { a: 1 } });
    expect(result.ok && result.state.extra_field).toEqual({ a: 1 });
  });

  it('reports garbage, truncation and wrong shapes, and a future major apart', () => {
    expect(parseSessionText('{"session_id": "WFS-x", "stat').ok).toBe(false);
    expect(parseSessionText('garbage').ok).toBe(false);
    const wrong = parseSessionText(JSON.stringify({ ...fresh(), status: 'planning' }));
    expect(wrong.ok === false && wrong.reason).toMatch(/status/);
    const future = parseSessionText(JSON.stringify({ ...fresh(), session_version: '3.0' }));
    expect(future.ok === false && future.futureVersion).toBe('3.0');
  });

  it('gives the exact invalid-type message', () => {
    expect(() => parseSessionType('bogus')).toThrow(
      'Invalid session type. Valid types: workflow, review, tdd, test, docs',
    );
    expect(parseSessionType(undefined)).toBe('workflow');
    expect(parseSessionType('tdd')).toBe('tdd');
  });
});

describe('lifecycle rules', () => {
  it('active <-> paused -> completed -> archived', () => {
    const paused = lifecycle.pause(fresh(), now);
    expect(paused.status).toBe('paused');
    expect(paused.paused_at).toBe(now);
    const active = lifecycle.activate(paused, now);
    expect(active.status).toBe('active');
    expect(active.resumed_at).toBe(now);
    const completed = lifecycle.complete(active, now);
    expect(lifecycle.markArchived(completed, now).status).toBe('archived');
  });

  it('refuses what the lifecycle does not allow', () => {
    expect(() => lifecycle.markArchived(fresh(), now)).toThrow(WfsError);
    const archived = { ...fresh(), status: 'archived' as const };
    expect(() => lifecycle.activate(archived, now)).toThrow(/archived/);
    expect(() => lifecycle.pause(lifecycle.complete(fresh(), now), now)).toThrow(/completed/);
  });
});

describe('descriptions', () => {
  it('refuses empty, oversized and control-character input with a clear message', () => {
    expect(() => validateDescription('   ')).toThrow(/required/);
    expect(() => validateDescription('x'.repeat(1024 * 1024))).toThrow(/too long: 1048576 characters/);
    expect(() => validateDescription('evil \u001b[2J clear')).toThrow(/control character \(U\+001b\)/);
    expect(() => validateDescription('nul\u0000byte')).toThrow(/U\+0000/);
  });

  it('accepts unicode, tabs and newlines', () => {
    expect(validateDescription('  Réparer la connexion 🔐\n\tdétails ')).toBe(
      'Réparer la connexion 🔐\n\tdétails',
    );
  });
});
