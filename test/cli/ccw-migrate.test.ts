import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { currentLayout, sessionsLayout, v2Layout, writeTree } from '../fixtures/ccw.js';
import { expectNothingLost, sessionAt, snapshot } from '../fixtures/ccw-check.js';
import { expectV2Meaning, v2Expected } from '../fixtures/ccw-expected.js';
import { json, makeRepo, readJson } from '../helpers.js';

type Json = Record<string, unknown>;

interface Report {
  backup: string;
  moved: { from: string; to: string; session_id: string; status: string }[];
  upgraded: string[];
  markers: string[];
  removed: string[];
  warnings: string[];
}

const inPlace = (...folders: string[]) => Object.fromEntries(folders.map((f) => [f, f]));

/** A repository holding `tree`, migrated: its root, what CCW left, and the report. */
async function migrated(
  tree: Record<string, string>,
): Promise<{ root: string; before: Map<string, Buffer>; report: Report }> {
  const root = makeRepo();
  writeTree(root, tree);
  const before = snapshot(root);
  const run = await wfs(root, ['migrate', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return { root, before, report: json<Report>(run) };
}

const CURRENT_SESSIONS = inPlace(
  '.workflow/active/WFS-implement-oauth2-auth',
  '.workflow/active/WFS-redesign--settings-ui-',
  '.workflow/active/WFS-tdd-parser',
  '.workflow/active/WFS-ship-release',
  '.workflow/archives/WFS-fix-login-bug',
  '.workflow/archives/WFS-auth-feature',
  '.workflow/archives/WFS-docs-refresh',
);

describe('wfs migrate on data CCW wrote: nothing lost, field by field', () => {
  it('the current layout (sessions of CCW CLI, archives of its prompt layer, tasks, hook state)', async () => {
    const { root, before, report } = await migrated(currentLayout());
    expectNothingLost(root, before, {
      moves: CURRENT_SESSIONS,
      replaced: ['.workflow/archives/WFS-docs-refresh/.archiving', '.workflow/archives/manifest.json'],
    });
    expect(report.upgraded.sort()).toEqual(
      Object.keys(CURRENT_SESSIONS)
        .map((f) => path.basename(f))
        .sort(),
    );
    expect(report.moved).toEqual([]);
    expect(report.removed).toEqual(['.workflow/archives/WFS-docs-refresh/.archiving']);
    expect(report.warnings).toEqual([
      'WFS-ship-release: CCW began archiving it and did not finish (.archiving): to archive it, wfs session complete WFS-ship-release; to keep working in it, move .archiving out of its folder',
    ]);
    // CCW's manifest entry is kept exactly as it was, the others added.
    const manifest = readJson<Json[]>(path.join(root, '.workflow', 'archives', 'manifest.json'));
    const ccwEntries = JSON.parse(before.get('.workflow/archives/manifest.json')!.toString()) as Json[];
    expect(manifest[0]).toEqual(ccwEntries[0]);
    expect((await wfs(root, ['migrate'])).stdout).toBe(
      'Nothing to migrate: .workflow/ already follows this version of wfs.\n',
    );
  });

  it('the v2.0 layout (.active-* markers, .archives/ and its manifest, project.json, CCW registry, v1 tasks)', async () => {
    const t0 = Date.now();
    const { root, before, report } = await migrated(v2Layout(2));
    const t1 = Date.now();
    expectNothingLost(root, before, v2Expected(2));
    await expectV2Meaning(root, [t0, t1]);
    expect(report.markers).toEqual(['.workflow/.active-WFS-oauth-integration']);
    expect(report.removed).toEqual(['.workflow/.archives/manifest.json']);
    const doctor = await wfs(root, ['doctor', '--json']);
    expect(json<{ problems: number }>(doctor).problems, doctor.stdout).toBe(0);
    expect((await wfs(root, ['migrate'])).stdout).toBe(
      'Nothing to migrate: .workflow/ already follows this version of wfs.\n',
    );
  });

  it("the sessions/ layout: open sessions imported (one active), CCW's sessions/<uuid>/state.json left alone", async () => {
    const { root, before, report } = await migrated(sessionsLayout());
    expectNothingLost(root, before, {
      moves: {
        '.workflow/sessions/WFS-search-index': '.workflow/active/WFS-search-index',
        '.workflow/sessions/WFS-cache-layer': '.workflow/active/WFS-cache-layer',
        ...inPlace('.workflow/archives/WFS-old-thing'),
      },
      replaced: [],
    });
    expect(report.warnings).toContain(
      '2 sessions were active in CCW (WFS-search-index, WFS-cache-layer); WFS-search-index, the most recently updated, is active, the others paused',
    );
    expect(sessionAt(root, 'active', 'WFS-search-index')).toMatchObject({
      status: 'active',
      updated_at: '2025-11-19T12:00:00Z',
    });
    expect(sessionAt(root, 'active', 'WFS-cache-layer')).toMatchObject({ status: 'paused' });
    expect(sessionAt(root, 'archives', 'WFS-old-thing')).toMatchObject({
      status: 'archived',
      archived_at: '2025-11-05T12:00:00.000Z',
    });
  });
});

describe('wfs migrate on data CCW wrote: the meaning', () => {
  it('sessions CCW archived are archived, keeping its archived_at, with their manifest entries; never active', async () => {
    const { root } = await migrated(currentLayout());
    // `ccw session archive` left completed; the prompt layer's complete left active.
    expect(sessionAt(root, 'archives', 'WFS-fix-login-bug')).toMatchObject({
      status: 'archived',
      archived_at: '2025-12-03T10:00:00.000Z',
      migrated_from: { status: 'completed' },
    });
    expect(sessionAt(root, 'archives', 'WFS-auth-feature')).toMatchObject({
      status: 'archived',
      archived_at: '2025-11-22T12:00:00.000Z',
      migrated_from: { status: 'active' },
    });
    expect(sessionAt(root, 'archives', 'WFS-docs-refresh')).toMatchObject({
      status: 'archived',
      type: 'docs',
    });
    const manifest = readJson<Json[]>(path.join(root, '.workflow', 'archives', 'manifest.json'));
    expect(manifest.map((e) => [e.session_id, e.archived_at])).toEqual([
      ['WFS-auth-feature', '2025-11-22T12:00:00.000Z'],
      ['WFS-docs-refresh', '2025-11-25T08:00:00Z'],
      ['WFS-fix-login-bug', '2025-12-03T10:00:00.000Z'],
    ]);
    // The one CCW session marked active in active/ is the active one; the pointer names no archive.
    expect(sessionAt(root, 'active', 'WFS-ship-release')).toMatchObject({ status: 'active' });
    expect(readJson(path.join(root, '.workflow', 'active-session.json')).session_id).toBe('WFS-ship-release');
    const list = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--all', '--json']),
    );
    expect(list.sessions.filter((s) => s.status === 'active').map((s) => s.id)).toEqual(['WFS-ship-release']);
    // Doctor advises no move "to active/ by hand"; what is left is CCW's unfinished archiving, for a person.
    const doctor = json<{
      findings: { check: string; severity: string; message: string; manual?: string }[];
    }>(await wfs(root, ['doctor', '--json']));
    expect(doctor.findings.filter((f) => f.severity === 'problem')).toEqual([
      {
        check: 'archiving',
        severity: 'problem',
        message: 'WFS-ship-release: an .archiving marker on a session that is not completed',
        manual: 'complete it (wfs session complete WFS-ship-release) or move .archiving out of its folder',
      },
    ]);
  });

  it('the v2.0 .archives/ and its manifest are imported, and doctor names them first; project.json is mentioned', async () => {
    const root = makeRepo();
    writeTree(root, v2Layout());
    const doctor = json<{ findings: { check: string; severity: string; message: string }[] }>(
      await wfs(root, ['doctor', '--json']),
    );
    const layout = doctor.findings.filter((f) => f.check === 'layout');
    expect(layout.find((f) => f.severity === 'problem')?.message).toMatch(/\.archives/);
    expect(layout.find((f) => f.severity === 'info')?.message).toMatch(
      /^project\.json \(CCW's project overview/,
    );
    const run = await wfs(root, ['migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      "WARNING: .workflow/project.json (CCW's project overview and feature registry) is kept as it is: wfs does not read it (wfs init writes its own project-tech.json)",
    );
    expect(run.stdout).toContain(
      'MIGRATED: .workflow/.archives/WFS-payment-flow -> .workflow/archives/WFS-payment-flow (archived)',
    );
    expect(run.stdout).toContain('REMOVED: .workflow/.archives/manifest.json (kept in the backup)');
    expect(sessionAt(root, 'archives', 'WFS-payment-flow')).toMatchObject({
      status: 'archived',
      archived_at: '2025-08-11T09:00:00.000Z',
    });
    expect(
      readJson<Json[]>(path.join(root, '.workflow', 'archives', 'manifest.json')).map((e) => e.archive_path),
    ).toEqual(['.workflow/archives/WFS-payment-flow']);
    expect(fs.existsSync(path.join(root, '.workflow', '.archives'))).toBe(false);
  });

  it('keeps what CCW wrote: project, updated_at, v2.0 checkpoint records and INIT; created_at from where CCW recorded it', async () => {
    const { root } = await migrated({ ...currentLayout(), ...v2Layout() });
    // 7 of 9 CCW CLI sessions have a description whose first line is not the project.
    expect(sessionAt(root, 'active', 'WFS-implement-oauth2-auth')).toMatchObject({
      project: 'implement OAuth2 auth',
      description:
        'GOAL: Build JWT-based authentication\nSCOPE: registration, login, token validation\nCONTEXT: REST API',
      created_at: '2026-01-10T09:00:00.000Z',
      updated_at: '2026-01-10T09:00:00.000Z',
    });
    expect(sessionAt(root, 'active', 'WFS-redesign--settings-ui-')).toMatchObject({
      project: 'redesign: settings UI!',
      current_phase: 'IMPLEMENT',
      updated_at: '2026-01-14T16:30:00.000Z',
    });
    const oauth = sessionAt(root, 'active', 'WFS-oauth-integration');
    expect(oauth.checkpoints).toMatchObject({
      plan: {
        status: 'completed',
        documents: ['IMPL_PLAN.md', 'TASK_BREAKDOWN.md'],
        timestamp: '2025-09-08T09:00:00Z',
      },
      implement: { agents_completed: ['code-developer'], current_agent: 'code-review-agent' },
      review: {
        quality_checks: [
          { name: 'code_quality', result: 'passed' },
          { name: 'test_coverage', result: 'pending' },
        ],
      },
    });
    // SPEC 2 keeps the counts equal to the todos; the counts CCW wrote are kept beside them.
    expect(oauth.migrated_from).toMatchObject({
      replaced: { 'checkpoints.implement.todos': { total: 12, completed: 8, in_progress: 1 } },
    });
    expect(sessionAt(root, 'active', 'WFS-bug-fix-123')).toMatchObject({
      current_phase: 'PLAN',
      created_at: '2025-09-06T14:00:00Z',
      migrated_from: { replaced: { current_phase: 'INIT' } },
    });
    expect(sessionAt(root, 'active', 'WFS-user-profile')).toMatchObject({
      created_at: '2025-09-05T10:00:00Z',
    });
    expect(String(sessionAt(root, 'active', 'WFS-quick-fix').created_at)).not.toMatch(/^1970/);
  });

  it('resume without an ID takes the paused session CCW updated last, not the first by name', async () => {
    const { root } = await migrated(currentLayout());
    const resumed = await wfs(root, ['session', 'resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json<{ session_id: string }>(resumed).session_id).toBe('WFS-tdd-parser');
  });

  it("CCW's tasks become the session's todos (the task files stay as they are)", async () => {
    const { root } = await migrated(currentLayout());
    const oauth = sessionAt(root, 'active', 'WFS-implement-oauth2-auth');
    expect((oauth.todos as Json[]).map((t) => [t.content, t.status])).toEqual([
      ['IMPL-001: Token service', 'completed'],
      ['IMPL-002: Login endpoint', 'in_progress'],
      ['IMPL-010: Refresh tokens', 'pending'],
    ]);
    const redesign = sessionAt(root, 'active', 'WFS-redesign--settings-ui-');
    expect((redesign.todos as Json[]).map((t) => [t.task_id, t.status, t.task_status])).toEqual([
      ['IMPL-1', 'pending', 'blocked'],
      ['IMPL-1.1', 'completed', 'cancelled'],
    ]);
    expect((await wfs(root, ['session', 'switch', 'WFS-implement-oauth2-auth'])).code).toBe(0);
    expect((await wfs(root, ['context'])).stdout).toContain('- Todos: 1/3 done, 1 in progress');
  });

  it("IDs CCW's slug rule makes are used in place; a name no command could use is renamed with a WARNING and a note", async () => {
    const root = makeRepo();
    writeTree(root, currentLayout());
    for (const args of [
      ['session', 'show', 'WFS-redesign--settings-ui-'],
      ['session', 'show', 'redesign--settings-ui-'],
      ['session', 'switch', 'WFS-redesign--settings-ui-'],
      ['session', 'pause', 'WFS-redesign--settings-ui-'],
      ['session', 'resume', 'WFS-redesign--settings-ui-'],
    ]) {
      const run = await wfs(root, args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
    const { root: v2, report } = await migrated(v2Layout());
    expect(report.warnings).toContain(
      'WFS-notes draft: not usable as a session ID; imported as WFS-notes-draft (its old name is kept in migrated_from.folder)',
    );
    expect(sessionAt(v2, 'active', 'WFS-notes-draft')).toMatchObject({
      migrated_from: { folder: 'WFS-notes draft' },
    });
    expect(fs.readFileSync(path.join(v2, '.workflow', 'active', 'WFS-notes-draft', 'notes.md'), 'utf8')).toBe(
      'kept\n',
    );
  });

  it("CCW's empty .archiving marker: resume names a way out that works", async () => {
    const { root } = await migrated(currentLayout());
    const stuck = await wfs(root, ['session', 'resume', 'WFS-ship-release']);
    expect(stuck.code).toBe(3);
    expect(stuck.stderr).toContain('finish that (wfs session complete WFS-ship-release)');
    const completed = await wfs(root, ['session', 'complete', 'WFS-ship-release', '--json']);
    expect(completed.code, completed.stderr).toBe(0);
    expect(sessionAt(root, 'archives', 'WFS-ship-release').status).toBe('archived');
    expect(json<{ problems: number }>(await wfs(root, ['doctor', '--json'])).problems).toBe(0);
  });

  it("CCW's sessions/<uuid>/state.json is no older layout", async () => {
    const { root } = await migrated(currentLayout());
    const doctor = json<{ findings: { check: string; severity: string }[] }>(
      await wfs(root, ['doctor', '--json']),
    );
    expect(doctor.findings.filter((f) => f.check === 'layout')).toEqual([]);
    expect(
      fs.existsSync(
        path.join(root, '.workflow', 'sessions', '9b2f6c1e-4d7a-4f0e-b1a2-0c9d8e7f6a5b', 'state.json'),
      ),
    ).toBe(true);
  });

  it('resume of a session CCW made says the planning notes were created, not lost; of one wfs made, that they are lost', async () => {
    const { root } = await migrated(currentLayout());
    const resumed = await wfs(root, ['session', 'resume', 'WFS-implement-oauth2-auth', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const warnings = json<{ warnings: string[] }>(resumed).warnings;
    expect(warnings).toContain('planning-notes.md did not exist: created from the template with the goal');
    expect(warnings.join('\n')).not.toContain('lost');
    // Once wfs has written them, a later loss is one.
    fs.rmSync(path.join(root, '.workflow', 'active', 'WFS-implement-oauth2-auth', 'planning-notes.md'));
    await wfs(root, ['session', 'pause']);
    const again = json<{ warnings: string[] }>(
      await wfs(root, ['session', 'resume', 'WFS-implement-oauth2-auth', '--json']),
    );
    expect(again.warnings).toContain(
      'planning-notes.md was missing: recreated from the template with the goal (the notes written in it are lost)',
    );
  });
});

describe('a status CCW writes into a wfs session', () => {
  /** What `ccw session <id> status <s>` does: a shallow merge of {status, updated_at}, written in place. */
  function ccwStatusWrite(file: string, status: string, at: string): void {
    const merged = { ...readJson(file), status, updated_at: at };
    fs.writeFileSync(file, JSON.stringify(merged, null, 2));
  }

  it('is read as the phase it means with a WARNING, never restored over: nothing wfs wrote is lost', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'keep my work']);
    for (const text of ['one', 'two', 'three']) expect((await wfs(root, ['todo', 'add', text])).code).toBe(0);
    const file = path.join(root, '.workflow', 'active', 'WFS-keep-my-work', 'workflow-session.json');
    ccwStatusWrite(file, 'implementing', '2026-02-01T10:00:00.000Z');
    const list = await wfs(root, ['todo', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toBe(
      'WARNING: Session WFS-keep-my-work: its status was set to "implementing" by another tool (CCW); read as phase IMPLEMENT, status active, and saved so at its next change\n',
    );
    // All three todos: the last change wfs made is there, no backup was restored.
    expect(json<{ todos: { content: string }[] }>(list).todos.map((t) => t.content)).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.corrupt-'))).toEqual([]);
    // The next change saves it as wfs's: the phase moved on, the status is what it was.
    expect((await wfs(root, ['todo', 'add', 'four'])).code).toBe(0);
    const state = readJson(file);
    expect(state).toMatchObject({
      status: 'active',
      current_phase: 'IMPLEMENT',
      foreign_status: [
        { status: 'implementing', written_at: '2026-02-01T10:00:00.000Z', phase_before: 'PLAN' },
      ],
    });
    expect((state.state_transitions as Json[]).at(-1)).toMatchObject({
      from: 'PLAN',
      to: 'IMPLEMENT',
      trigger: 'foreign_status',
    });
    expect((state.todos as Json[]).map((t) => t.content)).toEqual(['one', 'two', 'three', 'four']);
    expect(json<{ problems: number }>(await wfs(root, ['doctor', '--json'])).problems).toBe(0);
  });

  it('on a session that is not the active one it is paused; other damage is still restored from the backup', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'first']);
    await wfs(root, ['session', 'start', '--new', 'second']);
    const first = path.join(root, '.workflow', 'active', 'WFS-first', 'workflow-session.json');
    ccwStatusWrite(first, 'reviewing', '2026-02-01T10:00:00.000Z');
    const show = await wfs(root, ['session', 'show', 'WFS-first', '--json']);
    expect(show.code).toBe(0);
    expect(show.stderr).toContain('read as phase REVIEW, status paused');
    expect(json<{ session: Json }>(show).session).toMatchObject({
      status: 'paused',
      current_phase: 'REVIEW',
    });
    // A status that is nobody's is damage, as before (SPEC 4).
    ccwStatusWrite(first, 'garbage', '2026-02-01T10:00:00.000Z');
    const damaged = await wfs(root, ['todo', 'list', '--session', 'WFS-first']);
    expect(damaged.stderr).toMatch(/^WARNING: Session WFS-first was damaged .*restored revision/);
  });
});
