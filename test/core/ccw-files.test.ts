import { describe, expect, it } from 'vitest';
import type { WfsError } from '../../src/core/errors.js';
import { isSessionFolderName, parseSessionId, slugify } from '../../src/core/ids.js';
import {
  adoptForeignStatus,
  migrateSession,
  needsMigration,
  todosFromTasks,
} from '../../src/core/migrate.js';
import { newSessionState } from '../../src/core/session.js';
import { validateSession } from '../../src/core/session-file.js';

/** What CCW's prompt commands do to a description: every character outside a-zA-Z0-9 becomes `-`, nothing trimmed. */
const ccwSlug = (description: string) =>
  description
    .replace(/[^a-zA-Z0-9]/g, '-')
    .toLowerCase()
    .slice(0, 50);

describe('session IDs other tools made', () => {
  it.each([
    `WFS-${ccwSlug('redesign: settings UI!')}`,
    `WFS-${ccwSlug(' fix the login')}`,
    'WFS--',
    'WFS-Old_Style.v1',
    'WFS-implement-oauth2-auth-20251128172537',
  ])('%j names an existing session in every command', (id) => {
    expect(parseSessionId(id)).toBe(id);
    expect(parseSessionId(id.slice(4))).toBe(id);
    expect(isSessionFolderName(id)).toBe(true);
  });

  it.each([
    'WFS-a/b',
    'WFS-a\\b',
    'WFS-..',
    'WFS-a..b',
    'WFS-../x',
    'WFS-.hidden',
    '.hidden',
    'WFS-a.',
    'WFS-a\0b',
    'WFS-a b',
    'WFS-',
    `WFS-${'a'.repeat(200)}`,
  ])('%j is still refused: it could leave the session folder', (id) => {
    try {
      parseSessionId(id);
      expect.unreachable();
    } catch (error) {
      expect((error as WfsError).code).toBe('E_INVALID_ID');
    }
  });

  it('new IDs keep the strict rule of SPEC 2', () => {
    expect(slugify('redesign: settings UI!')).toBe('redesign-settings-ui');
    expect(ccwSlug('redesign: settings UI!')).toBe('redesign--settings-ui-');
  });
});

describe('older files are recognised by positive evidence only (SPEC 4)', () => {
  it.each([
    [{}],
    [[]],
    [{ session_id: 'WFS-x' }],
    [{ session_id: 'WFS-x', session_version: '2.0', status: 'implementing' }],
    [{ session_version: '2.0', status: 'planning', project: 'p' }],
  ])('%j is damage, not an older session', (value) => {
    expect(validateSession(value, 'WFS-x').ok).toBe(false);
  });

  it('only a status CCW uses, in an otherwise valid 2.0 file, is read instead of restored', () => {
    const state = newSessionState({
      id: 'WFS-x',
      project: 'x',
      description: 'x',
      type: 'workflow',
      complexity: 'medium',
      now: '2026-01-01T00:00:00.000Z',
    });
    const written = { ...state, status: 'implementing', updated_at: '2026-01-02T00:00:00.000Z' };
    const read = validateSession(written, 'WFS-x', () => ({ location: 'active', active: true }));
    expect(read).toMatchObject({ ok: true, migrated: true });
    if (!read.ok) return;
    expect(read.state).toMatchObject({ status: 'active', current_phase: 'IMPLEMENT' });
    expect(read.state.checkpoints.plan.status).toBe('completed');
    expect(read.state.checkpoints.implement.status).toBe('in_progress');
    expect(validateSession({ ...state, status: 'bogus' }, 'WFS-x').ok).toBe(false);
    expect(adoptForeignStatus({ ...state, status: 'active' })).toBeUndefined();
    // Without the folder (a value read on its own), nothing is adopted.
    expect(validateSession(written).ok).toBe(false);
  });

  it('needsMigration is unchanged: an ID and one field older writers always wrote', () => {
    expect(needsMigration({ session_id: 'WFS-x', status: 'planning' })).toBe(true);
    expect(needsMigration({ id: 'WFS-x', description: 'd' })).toBe(true);
    expect(needsMigration({ session_id: 'WFS-x', session_version: '2.0', status: 'planning' })).toBe(false);
  });
});

describe('migrateSession keeps what CCW wrote', () => {
  it('a session in archives/ is archived; the active flag is evidence, never the file', () => {
    const ccw = { session_id: 'WFS-a', project: 'a', status: 'active', created_at: '2025-01-01T00:00:00Z' };
    expect(
      migrateSession(ccw, 'WFS-a', { location: 'archives', manifestArchivedAt: '2025-02-01T00:00:00Z' }),
    ).toMatchObject({
      status: 'archived',
      archived_at: '2025-02-01T00:00:00Z',
    });
    expect(migrateSession(ccw, 'WFS-a', { location: 'active' }).status).toBe('paused');
    expect(migrateSession(ccw, 'WFS-a', { location: 'active', active: true }).status).toBe('active');
  });

  it('times: created_at from meta.created, the registry, the name, the folder; updated_at as written', () => {
    expect(
      migrateSession({ session_id: 'WFS-a', status: 'planning', meta: { created: 'M' } }, 'WFS-a').created_at,
    ).toBe('M');
    expect(
      migrateSession({ session_id: 'WFS-a', status: 'planning' }, 'WFS-a', {
        registryCreated: 'R',
        folderTime: 'F',
      }).created_at,
    ).toBe('R');
    expect(
      migrateSession({ session_id: 'WFS-a-20251128172537', status: 'planning' }, 'WFS-a-20251128172537', {
        folderTime: 'F',
      }).created_at,
    ).toBe('2025-11-28T17:25:37Z');
    expect(
      migrateSession({ session_id: 'WFS-a', status: 'planning' }, 'WFS-a', { folderTime: 'F' }).created_at,
    ).toBe('F');
    expect(
      migrateSession({ session_id: 'WFS-a', status: 'planning', created_at: 'C', updated_at: 'U' }, 'WFS-a')
        .updated_at,
    ).toBe('U');
  });

  it('tasks become todos in CCW order, containers left out, statuses mapped and kept', () => {
    const tasks = [
      { name: 'IMPL-10.json', value: { id: 'IMPL-10', title: 'ten', status: 'pending' } },
      { name: 'IMPL-2.json', value: { id: 'IMPL-2', title: 'two', status: 'active' } },
      { name: 'IMPL-1.json', value: { id: 'IMPL-1', title: 'one', status: 'container' } },
      {
        name: 'IMPL-1.1.json',
        value: { id: 'IMPL-1.1', title: 'one.one\u0007', status: 'completed', completed_at: 'D' },
      },
      { name: 'notes.json', value: { nothing: true } },
    ];
    const { todos, skipped } = todosFromTasks(tasks, 'C');
    expect(skipped).toBe(0);
    expect(todos.map((t) => [t.id, t.content, t.status, t.task_status])).toEqual([
      [1, 'IMPL-1.1: one.one', 'completed', undefined],
      [2, 'IMPL-2: two', 'in_progress', 'active'],
      [3, 'IMPL-10: ten', 'pending', undefined],
    ]);
    expect(todos[0]).toMatchObject({ completed_at: 'D', created_at: 'C', task_file: '.task/IMPL-1.1.json' });
  });
});
