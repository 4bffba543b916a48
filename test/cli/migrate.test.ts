import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson, registryLines } from '../helpers.js';

/** A repository as the CCW tools left it: sessions in .workflow/ and .workflow/sessions/, v1 metadata, markers. */
function legacyRepo() {
  const root = makeRepo();
  const w = path.join(root, '.workflow');
  const write = (file: string, value: unknown) => {
    fs.mkdirSync(path.dirname(path.join(w, file)), { recursive: true });
    fs.writeFileSync(path.join(w, file), typeof value === 'string' ? value : JSON.stringify(value));
  };
  write('WFS-auth-flow/workflow-session.json', {
    session_id: 'WFS-auth-flow',
    project: 'Auth flow',
    status: 'implementing',
    type: 'complex',
    created_at: '2025-03-01T10:00:00Z',
  });
  write('WFS-auth-flow/IMPL_PLAN.md', '# plan');
  write('WFS-auth-flow/.task/IMPL-1.json', '{"id":"IMPL-1","status":"completed"}');
  write('.active-WFS-auth-flow', '');
  write('WFS-docs-pass/workflow-session.json', {
    session_id: 'WFS-docs-pass',
    project: 'Docs pass',
    status: 'planning',
    type: 'simple',
  });
  write('sessions/WFS-old-review/workflow-session.json', {
    session_id: 'WFS-old-review',
    project: 'Old review',
    status: 'reviewing',
    type: 'medium',
    session_version: '1.0',
  });
  write('sessions/WFS-no-state/notes.md', 'only notes');
  return { root, w };
}

describe('wfs migrate', () => {
  it('imports the older layouts with a backup, keeps the marked session active, and rebuilds the registry', async () => {
    const { root, w } = legacyRepo();
    const run = await wfs(root, ['migrate', '--json']);
    expect(run.code).toBe(0);
    const report = json<{
      backup: string;
      moved: { session_id: string; status: string; to: string }[];
      markers: string[];
      warnings: string[];
    }>(run);
    expect(report.moved.map((m) => `${m.session_id}:${m.status}`).sort()).toEqual([
      'WFS-auth-flow:active',
      'WFS-docs-pass:paused',
      'WFS-no-state:paused',
      'WFS-old-review:paused',
    ]);
    expect(report.warnings).toEqual([expect.stringMatching(/^WFS-no-state: no workflow-session.json/)]);
    // The backup holds .workflow/ as it was.
    expect(fs.existsSync(path.join(root, report.backup, 'WFS-auth-flow', 'workflow-session.json'))).toBe(
      true,
    );
    expect(fs.existsSync(path.join(root, report.backup, '.active-WFS-auth-flow'))).toBe(true);
    // The new layout.
    const auth = readJson(path.join(w, 'active', 'WFS-auth-flow', 'workflow-session.json'));
    expect(auth).toMatchObject({
      session_version: '2.0',
      status: 'active',
      current_phase: 'IMPLEMENT',
      complexity: 'complex',
      type: 'workflow',
      description: 'Auth flow',
    });
    expect(fs.readFileSync(path.join(w, 'active', 'WFS-auth-flow', 'IMPL_PLAN.md'), 'utf8')).toBe('# plan');
    expect(readJson(path.join(w, 'active', 'WFS-old-review', 'workflow-session.json'))).toMatchObject({
      current_phase: 'REVIEW',
      complexity: 'medium',
    });
    expect(fs.existsSync(path.join(w, 'WFS-auth-flow'))).toBe(false);
    expect(fs.existsSync(path.join(w, 'sessions'))).toBe(false);
    expect(fs.existsSync(path.join(w, '.active-WFS-auth-flow'))).toBe(false);
    expect(
      registryLines(root)
        .map((l) => `${l.id}:${l.status}`)
        .sort(),
    ).toEqual([
      'WFS-auth-flow:active',
      'WFS-docs-pass:paused',
      'WFS-no-state:paused',
      'WFS-old-review:paused',
    ]);
    expect(
      json<{ session: { session_id: string } }>(await wfs(root, ['session', 'show', '--json'])).session
        .session_id,
    ).toBe('WFS-auth-flow');
    const doctor = await wfs(root, ['doctor', '--json']);
    expect(json<{ problems: number }>(doctor).problems).toBe(0);
    // Nothing left to do.
    expect((await wfs(root, ['migrate'])).stdout).toBe(
      'Nothing to migrate: .workflow/ already follows this version of wfs.\n',
    );
  });

  it('upgrades v1 files already in place, renames a colliding ID, and keeps one session active', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'current']);
    const w = path.join(root, '.workflow');
    fs.mkdirSync(path.join(w, 'active', 'WFS-inplace'));
    fs.writeFileSync(
      path.join(w, 'active', 'WFS-inplace', 'workflow-session.json'),
      JSON.stringify({ session_id: 'WFS-inplace', project: 'In place', status: 'initialized' }),
    );
    fs.mkdirSync(path.join(w, 'WFS-current'));
    fs.writeFileSync(
      path.join(w, 'WFS-current', 'workflow-session.json'),
      JSON.stringify({ project: 'Same name, older tool', status: 'planning' }),
    );
    fs.writeFileSync(path.join(w, '.active-WFS-current'), '');
    const run = await wfs(root, ['migrate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('UPGRADED: WFS-inplace to session_version 2.0');
    expect(run.stderr).toContain(
      'WARNING: WFS-current: a session of that ID already exists; imported as WFS-current-2',
    );
    expect(readJson(path.join(w, 'active', 'WFS-inplace', 'workflow-session.json')).session_version).toBe(
      '2.0',
    );
    const list = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    // The marker named the older tool's session, imported under its new ID; the one that was active is paused.
    expect(list.sessions.filter((s) => s.status === 'active').map((s) => s.id)).toEqual(['WFS-current-2']);
    expect(list.sessions.find((s) => s.id === 'WFS-current')?.status).toBe('paused');
  });

  it('a marker naming a session already in place makes it the active one', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'first']);
    await wfs(root, ['session', 'start', '--new', 'second']);
    fs.writeFileSync(path.join(root, '.workflow', '.active-WFS-first'), '');
    const run = await wfs(root, ['migrate', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ markers: string[] }>(run).markers).toEqual(['.workflow/.active-WFS-first']);
    const list = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    expect(list.sessions.filter((s) => s.status === 'active').map((s) => s.id)).toEqual(['WFS-first']);
    expect(json<{ problems: number }>(await wfs(root, ['doctor', '--json'])).problems).toBe(0);
  });
});
