import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson, registryLines, sessionIdOf, treeOf } from '../helpers.js';

const sessionFile = (root: string, id: string, where = 'active') =>
  path.join(root, '.workflow', where, id, 'workflow-session.json');

describe('wfs session start', () => {
  it('--new creates the layout, the state file, the notes and the registry line, initialising the project first', async () => {
    const root = makeRepo({ 'package.json': '{"name":"demo"}' });
    const run = await wfs(root, ['session', 'start', '--new', 'Add login page', '--type', 'tdd']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('SESSION_ID: WFS-add-login-page');
    expect(run.stdout).toContain('PROJECT_STATE: created');
    const dir = path.join(root, '.workflow', 'active', 'WFS-add-login-page');
    for (const sub of ['.process', '.task', '.summaries'])
      expect(fs.statSync(path.join(dir, sub)).isDirectory()).toBe(true);
    const state = readJson(path.join(dir, 'workflow-session.json'));
    expect(state).toMatchObject({
      session_id: 'WFS-add-login-page',
      session_version: '2.0',
      description: 'Add login page',
      type: 'tdd',
      complexity: 'medium',
      status: 'active',
      current_phase: 'PLAN',
      revision: 1,
    });
    const notes = fs.readFileSync(path.join(dir, 'planning-notes.md'), 'utf8');
    for (const section of [
      'User Intent (Phase 1)',
      'Context Findings (Phase 2)',
      'Conflict Decisions (Phase 2)',
      'Consolidated Constraints (Phase 3 Input)',
      'Task Generation (Phase 3)',
      'N+1 Context',
    ]) {
      expect(notes).toContain(`## ${section}`);
    }
    expect(notes).toContain('**GOAL**: Add login page');
    expect(notes).toContain('KEY_CONSTRAINTS');
    expect(notes).toMatch(/### Decisions\n\n\| Decision/);
    expect(notes).toContain('### Deferred');
    expect(registryLines(root)).toEqual([
      expect.objectContaining({
        id: 'WFS-add-login-page',
        status: 'active',
        type: 'tdd',
        description: 'Add login page',
        directory: '.workflow/active/WFS-add-login-page',
      }),
    ]);
    expect(fs.existsSync(path.join(root, '.workflow', 'project-tech.json'))).toBe(true);
    expect(fs.existsSync(path.join(root, '.workflow', 'project-guidelines.json'))).toBe(true);
  });

  it('--new with the same description gets -2, -3 and keeps a single active session', async () => {
    const root = makeRepo();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(sessionIdOf(await wfs(root, ['session', 'start', '--new', 'same thing'])));
    expect(ids).toEqual(['WFS-same-thing', 'WFS-same-thing-2', 'WFS-same-thing-3']);
    const list = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    expect(list.sessions.filter((s) => s.status === 'active').map((s) => s.id)).toEqual(['WFS-same-thing-3']);
  });

  it('--new avoids IDs of archived sessions too', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'thing']);
    expect((await wfs(root, ['session', 'complete'])).code).toBe(0);
    expect(sessionIdOf(await wfs(root, ['session', 'start', '--new', 'thing']))).toBe('WFS-thing-2');
  });

  it('rejects an invalid type with the exact message and exit 2, writing nothing', async () => {
    const root = makeRepo();
    const run = await wfs(root, ['session', 'start', '--new', 'x', '--type', 'bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('ERROR: Invalid session type. Valid types: workflow, review, tdd, test, docs\n');
    expect(fs.existsSync(path.join(root, '.workflow'))).toBe(false);
    const asJson = await wfs(root, ['session', 'start', '--new', 'x', '--type', 'bogus', '--json']);
    expect(json(asJson)).toEqual({
      error: {
        code: 'E_INVALID_TYPE',
        message: 'Invalid session type. Valid types: workflow, review, tdd, test, docs',
      },
    });
  });

  it('--auto with no open session creates one', async () => {
    const root = makeRepo();
    const run = await wfs(root, ['session', 'start', '--auto', 'Add login page']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('DECISION: Creating new session');
    expect(run.stdout).not.toContain('ANALYSIS:');
    expect(run.stdout.trim().split('\n').at(-1)).toBe('SESSION_ID: WFS-add-login-page');
  });

  it('--auto reuses a relevant session (and activates it) and creates one for an unrelated task', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'Add login page with OAuth']);
    await wfs(root, ['session', 'pause']);
    const reuse = await wfs(root, ['session', 'start', '--auto', 'style the login page']);
    expect(reuse.stdout).toMatch(
      /ANALYSIS: Task relevance = high\nDECISION: Reusing existing session\nSESSION_ID: WFS-add-login-page-with-oauth\n$/,
    );
    expect(readJson(sessionFile(root, 'WFS-add-login-page-with-oauth')).status).toBe('active');

    const fresh = await wfs(root, ['session', 'start', '--auto', 'upgrade the CI pipeline', '--json']);
    const doc = json(fresh);
    expect(doc).toMatchObject({
      session_id: 'WFS-upgrade-the-ci-pipeline',
      decision: 'created',
      relevance: 'low',
      warnings: [],
    });
    expect(readJson(sessionFile(root, 'WFS-add-login-page-with-oauth')).status).toBe('paused');
  });

  it('--auto judges against the planning notes too', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'Sprint work']);
    const notes = path.join(root, '.workflow', 'active', 'WFS-sprint-work', 'planning-notes.md');
    fs.appendFileSync(notes, '\nWe also migrate the billing database schema.\n');
    const run = await wfs(root, ['session', 'start', '--auto', 'billing schema migration', '--json']);
    expect(json(run)).toMatchObject({ session_id: 'WFS-sprint-work', decision: 'reused', relevance: 'high' });
  });

  it('--auto with several open sessions warns and uses the active one, else the most recently updated', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'first task']);
    await wfs(root, ['session', 'start', '--new', 'second task']);
    await wfs(root, ['session', 'switch', 'WFS-first-task']);
    const run = await wfs(root, ['session', 'start', '--auto', 'something else entirely']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('WARNING: Multiple active sessions detected');
    expect(sessionIdOf(run)).toBe('WFS-first-task');
    await wfs(root, ['session', 'pause']);
    await wfs(root, ['session', 'switch', 'second-task']);
    await wfs(root, ['session', 'pause']);
    const none = await wfs(root, ['session', 'start', '--auto', 'x y z', '--json']);
    expect(json(none)).toMatchObject({
      session_id: 'WFS-second-task',
      decision: 'reused',
      warnings: ['Multiple active sessions detected'],
    });
  });

  it('discovery lists open sessions and exits 0 without a terminal', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'alpha']);
    await wfs(root, ['session', 'start', '--new', 'beta']);
    const run = await wfs(root, ['session', 'start']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/WFS-alpha\s+paused\s+PLAN\s+workflow/);
    expect(run.stdout).toMatch(/\*\s+WFS-beta\s+active/);
    const doc = json<{ sessions: unknown[]; active: string }>(
      await wfs(root, ['session', 'start', '--json']),
    );
    expect(doc.sessions).toHaveLength(2);
    expect(doc.active).toBe('WFS-beta');
  });

  it('refuses --auto together with --new, and a missing or blank description', async () => {
    const root = makeRepo();
    expect((await wfs(root, ['session', 'start', '--auto', 'a', '--new', 'b'])).code).toBe(2);
    const blank = await wfs(root, ['session', 'start', '--new', '   ']);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toMatch(/^ERROR: A session description is required/);
    const missing = await wfs(root, ['session', 'start', '--new']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("ERROR: option '--new' needs a value\n");
  });
});

describe('wfs session list / show', () => {
  it('lists with the SPEC shape, filters by status, and shows archived ones with --all', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'one']);
    await wfs(root, ['session', 'start', '--new', 'two']);
    await wfs(root, ['session', 'complete', 'WFS-one']);
    const open = json<{ sessions: Record<string, unknown>[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    expect(open.sessions).toEqual([
      {
        id: 'WFS-two',
        status: 'active',
        type: 'workflow',
        phase: 'PLAN',
        project: 'two',
        updated: expect.any(String),
      },
    ]);
    const all = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--all', '--json']),
    );
    expect(all.sessions.map((s) => `${s.id}:${s.status}`).sort()).toEqual([
      'WFS-one:archived',
      'WFS-two:active',
    ]);
    const archived = json<{ sessions: { id: string }[] }>(
      await wfs(root, ['session', 'list', '--status', 'archived', '--json']),
    );
    expect(archived.sessions.map((s) => s.id)).toEqual(['WFS-one']);
    const bad = await wfs(root, ['session', 'list', '--status', 'planning']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('ERROR: Invalid status. Valid statuses: active, paused, completed, archived\n');
  });

  it('lists a corrupt session, marked corrupt, and sees edits made behind its back', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'healthy']);
    await wfs(root, ['session', 'start', '--new', 'broken']);
    fs.writeFileSync(sessionFile(root, 'WFS-broken'), '{"session_id": "WFS-broken", "sta');
    const doc = json<{ sessions: Record<string, unknown>[] }>(await wfs(root, ['session', 'list', '--json']));
    expect(doc.sessions.find((s) => s.id === 'WFS-broken')).toMatchObject({
      corrupt: true,
      status: 'active',
      reason: expect.stringContaining('not valid JSON'),
    });
    expect(doc.sessions.find((s) => s.id === 'WFS-healthy')).not.toHaveProperty('corrupt');
    const human = await wfs(root, ['session', 'list']);
    expect(human.stdout).toMatch(/WFS-broken\s+CORRUPT/);

    // An outside edit that keeps the file valid is seen at once (the index is only a cache).
    const state = readJson(sessionFile(root, 'WFS-healthy'));
    fs.writeFileSync(sessionFile(root, 'WFS-healthy'), JSON.stringify({ ...state, current_phase: 'REVIEW' }));
    const again = json<{ sessions: Record<string, unknown>[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    expect(again.sessions.find((s) => s.id === 'WFS-healthy')).toMatchObject({ phase: 'REVIEW' });

    const show = await wfs(root, ['session', 'show', 'WFS-broken']);
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/^ERROR: Session WFS-broken is corrupt: not valid JSON/);
  });

  it('lists a session folder missing from the registry (the folders are the truth)', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'indexed']);
    const src = path.join(root, '.workflow', 'active', 'WFS-indexed');
    const copy = path.join(root, '.workflow', 'active', 'WFS-copied');
    fs.cpSync(src, copy, { recursive: true });
    const state = readJson(path.join(copy, 'workflow-session.json'));
    fs.writeFileSync(
      path.join(copy, 'workflow-session.json'),
      JSON.stringify({ ...state, session_id: 'WFS-copied', status: 'paused' }),
    );
    const doc = json<{ sessions: { id: string }[] }>(await wfs(root, ['session', 'list', '--json']));
    expect(doc.sessions.map((s) => s.id).sort()).toEqual(['WFS-copied', 'WFS-indexed']);
  });

  it('shows the active session by default, or a named one', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'shown']);
    const doc = json<{ session: Record<string, unknown>; directory: string }>(
      await wfs(root, ['session', 'show', '--json']),
    );
    expect(doc.session).toMatchObject({ session_id: 'WFS-shown', status: 'active' });
    expect(doc.directory).toBe('.workflow/active/WFS-shown');
    const human = await wfs(root, ['session', 'show', 'shown']);
    expect(human.stdout).toContain('SESSION_ID: WFS-shown');
    expect(human.stdout).toContain('Phase: PLAN');
    const missing = await wfs(root, ['session', 'show', 'WFS-nope', '--json']);
    expect(missing.code).toBe(1);
    expect(json(missing)).toEqual({
      error: { code: 'E_SESSION_NOT_FOUND', message: 'Session WFS-nope not found' },
    });
  });

  it('reports no active session with exit 1', async () => {
    const root = makeRepo();
    const run = await wfs(root, ['session', 'show']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ERROR: No active session/);
    expect((await wfs(root, ['session', 'list'])).stdout).toContain('No open sessions');
  });
});

describe('lifecycle: switch, pause, resume, complete, archive', () => {
  it('switch pauses the active session; pause and resume keep the single active rule', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'a']);
    await wfs(root, ['session', 'start', '--new', 'b']);
    const sw = json<Record<string, unknown>>(await wfs(root, ['session', 'switch', 'WFS-a', '--json']));
    expect(sw).toMatchObject({ session_id: 'WFS-a', status: 'active', paused: ['WFS-b'], changed: true });
    expect(readJson(sessionFile(root, 'WFS-b')).status).toBe('paused');

    const pause = await wfs(root, ['session', 'pause']);
    expect(pause.stdout).toContain('SESSION_ID: WFS-a\nSTATUS: paused');
    expect(readJson(sessionFile(root, 'WFS-a')).paused_at).toEqual(expect.any(String));

    // resume without ID takes the most recently paused session: a
    const resume = await wfs(root, ['session', 'resume', '--json']);
    expect(json(resume)).toMatchObject({ session_id: 'WFS-a', status: 'active', changed: true });
    await wfs(root, ['session', 'resume', 'WFS-b']);
    const states = ['WFS-a', 'WFS-b'].map((id) => readJson(sessionFile(root, id)).status);
    expect(states).toEqual(['paused', 'active']);
    expect(registryLines(root).map((l) => `${l.id}:${l.status}`)).toEqual(['WFS-a:paused', 'WFS-b:active']);
  });

  it('every save increases the revision by one', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'rev']);
    await wfs(root, ['session', 'pause']);
    await wfs(root, ['session', 'resume']);
    expect(readJson(sessionFile(root, 'WFS-rev')).revision).toBe(3);
  });

  it('resume with nothing paused, and pause with nothing active, fail with exit 1', async () => {
    const root = makeRepo();
    expect((await wfs(root, ['session', 'resume'])).stderr).toMatch(/^ERROR: No paused session to resume/);
    expect((await wfs(root, ['session', 'pause'])).code).toBe(1);
  });

  it('complete archives: folder moved, manifest entry, registry updated', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'ship it']);
    const dir = path.join(root, '.workflow', 'active', 'WFS-ship-it');
    fs.writeFileSync(path.join(dir, '.summaries', 'IMPL-1-summary.md'), '# done');
    fs.writeFileSync(path.join(dir, '.task', 'IMPL-1.json'), '{"id":"IMPL-1","status":"completed"}');
    fs.writeFileSync(path.join(dir, '.task', 'IMPL-2.json'), '{"id":"IMPL-2","status":"pending"}');
    const run = await wfs(root, [
      'session',
      'complete',
      '--tag',
      'release',
      '--lesson',
      'keep PRs small',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({
      session_id: 'WFS-ship-it',
      status: 'archived',
      archived: true,
      archive_path: '.workflow/archives/WFS-ship-it',
    });
    expect(fs.existsSync(dir)).toBe(false);
    const archived = readJson(sessionFile(root, 'WFS-ship-it', 'archives'));
    expect(archived).toMatchObject({
      status: 'archived',
      completed_at: expect.any(String),
      archived_at: expect.any(String),
    });
    const manifest = readJson<Record<string, unknown>[]>(
      path.join(root, '.workflow', 'archives', 'manifest.json'),
    );
    expect(manifest).toEqual([
      {
        session_id: 'WFS-ship-it',
        description: 'ship it',
        archived_at: archived.archived_at,
        archive_path: '.workflow/archives/WFS-ship-it',
        metrics: { duration_hours: expect.any(Number), tasks_completed: 1, summaries_generated: 1 },
        tags: ['workflow', 'release', 'ship'],
        lessons: ['keep PRs small'],
      },
    ]);
    expect(registryLines(root)).toEqual([
      expect.objectContaining({
        id: 'WFS-ship-it',
        status: 'archived',
        directory: '.workflow/archives/WFS-ship-it',
      }),
    ]);
    expect(fs.existsSync(path.join(root, '.workflow', 'archives', 'WFS-ship-it', '.archiving'))).toBe(false);
  });

  it('complete --no-archive leaves it completed in active/; archive ID then archives it', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'later']);
    const done = json<Record<string, unknown>>(
      await wfs(root, ['session', 'complete', '--no-archive', '--json']),
    );
    expect(done).toMatchObject({ status: 'completed', archived: false });
    expect(readJson(sessionFile(root, 'WFS-later')).status).toBe('completed');
    expect(
      json<{ sessions: unknown[] }>(await wfs(root, ['session', 'list', '--json'])).sessions,
    ).toHaveLength(1);
    const switched = await wfs(root, ['session', 'switch', 'WFS-later']);
    expect(switched.code).toBe(1);
    const archive = await wfs(root, ['session', 'archive', 'WFS-later']);
    expect(archive.stdout).toContain('ARCHIVE_PATH: .workflow/archives/WFS-later');
    const twice = await wfs(root, ['session', 'archive', 'WFS-later']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe('ERROR: Session WFS-later is already archived\n');
  });

  it('archive refuses an open session that is not completed', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'busy']);
    const run = await wfs(root, ['session', 'archive', 'busy']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Complete it first');
  });

  it('an archiving interrupted after the move is finished by running it again, with one manifest entry', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'crashy']);
    await wfs(root, ['session', 'complete', '--no-archive']);
    // Simulate a crash after steps 1 and 2: marker written, folder renamed, nothing else.
    const from = path.join(root, '.workflow', 'active', 'WFS-crashy');
    const marker = {
      session_id: 'WFS-crashy',
      started_at: '2026-01-01T00:00:00.000Z',
      entry: {
        session_id: 'WFS-crashy',
        description: 'crashy',
        archived_at: '2026-01-01T00:00:00.000Z',
        archive_path: '.workflow/archives/WFS-crashy',
        metrics: { duration_hours: 0, tasks_completed: 0, summaries_generated: 0 },
        tags: ['workflow'],
        lessons: [],
      },
    };
    fs.writeFileSync(path.join(from, '.archiving'), JSON.stringify(marker));
    fs.mkdirSync(path.join(root, '.workflow', 'archives'));
    fs.renameSync(from, path.join(root, '.workflow', 'archives', 'WFS-crashy'));

    const run = await wfs(root, ['session', 'archive', 'WFS-crashy', '--json']);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ resumed_archiving: true, status: 'archived' });
    const manifest = readJson<unknown[]>(path.join(root, '.workflow', 'archives', 'manifest.json'));
    expect(manifest).toEqual([marker.entry]);
    expect(readJson(sessionFile(root, 'WFS-crashy', 'archives')).archived_at).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(fs.existsSync(path.join(root, '.workflow', 'archives', 'WFS-crashy', '.archiving'))).toBe(false);
  });

  it('an archiving interrupted before the move is finished too, and never duplicates the manifest entry', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'early']);
    await wfs(root, ['session', 'complete', '--no-archive']);
    const dir = path.join(root, '.workflow', 'active', 'WFS-early');
    fs.writeFileSync(
      path.join(dir, '.archiving'),
      JSON.stringify({
        session_id: 'WFS-early',
        started_at: 'x',
        entry: {
          session_id: 'WFS-early',
          description: 'early',
          archived_at: '2026-02-02T00:00:00.000Z',
          archive_path: '.workflow/archives/WFS-early',
          metrics: { duration_hours: 0, tasks_completed: 0, summaries_generated: 0 },
          tags: [],
          lessons: [],
        },
      }),
    );
    const run = await wfs(root, ['session', 'complete', 'WFS-early']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Finished an interrupted archiving.');
    expect(readJson<unknown[]>(path.join(root, '.workflow', 'archives', 'manifest.json'))).toHaveLength(1);
  });
});

describe('errors and output contract', () => {
  it('usage errors exit 2 with ERROR:, and --json gives an error document', async () => {
    const root = makeRepo();
    const unknown = await wfs(root, ['session', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^ERROR: unknown command 'frobnicate'/m);
    const badOption = await wfs(root, ['session', 'list', '--bogus', '--json']);
    expect(badOption.code).toBe(2);
    expect(json(badOption)).toEqual({ error: { code: 'E_USAGE', message: "unknown option '--bogus'" } });
    expect((await wfs(root, ['--help'])).code).toBe(0);
    expect((await wfs(root, ['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('names a fault of the environment with its path, and prints no stack trace unless WFS_DEBUG=1', async () => {
    const root = makeRepo();
    // A registry that is a directory: a fault of the environment, not an internal error (SPEC 3).
    const registry = path.join(root, '.workflow', 'session_status.jsonl');
    fs.mkdirSync(registry, { recursive: true });
    const run = await wfs(root, ['session', 'start', '--new', 'x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `ERROR: a folder stands where a file belongs: cannot read ${registry} (EISDIR)\n`,
    );
    const asJson = await wfs(root, ['session', 'start', '--new', 'x', '--json']);
    expect(json(asJson)).toMatchObject({ error: { code: 'E_IO', errno: 'EISDIR', path: registry } });
    const debug = await wfs(root, ['session', 'start', '--new', 'x'], { env: { WFS_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('--root and WFS_ROOT choose the project; a subfolder of a repository is never a root', async () => {
    const root = makeRepo({ 'deep/er/file.txt': '' });
    const sub = path.join(root, 'deep', 'er');
    await wfs(sub, ['session', 'start', '--new', 'from sub']);
    expect(fs.existsSync(path.join(root, '.workflow', 'active', 'WFS-from-sub'))).toBe(true);
    expect(fs.existsSync(path.join(sub, '.workflow'))).toBe(false);
    const other = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'elsewhere', '--root', other]);
    expect(fs.existsSync(path.join(other, '.workflow', 'active', 'WFS-elsewhere'))).toBe(true);
    const viaEnv = await wfs('/', ['session', 'list', '--json'], { env: { WFS_ROOT: other } });
    expect(json<{ sessions: { id: string }[] }>(viaEnv).sessions.map((s) => s.id)).toEqual(['WFS-elsewhere']);
    const bad = await wfs(root, ['session', 'list', '--root', path.join(root, 'missing')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ERROR: --root .* is not a directory/);
  });

  it('read-only commands write nothing', async () => {
    const root = makeRepo({ 'a.txt': 'x' });
    const before = treeOf(root);
    await wfs(root, ['session', 'list']);
    await wfs(root, ['session', 'list', '--json']);
    await wfs(root, ['session', 'show']);
    expect(treeOf(root)).toEqual(before);
  });

  it('discovery initialises the project state first, like every start mode', async () => {
    const root = makeRepo({ 'package.json': '{"name":"fresh"}' });
    const run = await wfs(root, ['session', 'start']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^PROJECT_STATE: created\nNo open sessions\./);
    expect(fs.existsSync(path.join(root, '.workflow', 'project-tech.json'))).toBe(true);
    const again = json(await wfs(root, ['session', 'start', '--json']));
    expect(again).toEqual({ sessions: [], active: null, project_initialized: false });
  });
});

describe('no-op lifecycle changes', () => {
  it('switching to the active session, or pausing a paused one, writes nothing', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'steady']);
    const files = [
      'session_status.jsonl',
      'active-session.json',
      'active/WFS-steady/workflow-session.json',
    ].map((f) => path.join(root, '.workflow', f));
    const before = files.map((f) => fs.statSync(f).mtimeMs + fs.readFileSync(f, 'utf8'));
    expect((await wfs(root, ['session', 'switch', 'WFS-steady'])).stdout).toContain(
      'STATUS: active (unchanged)',
    );
    expect((await wfs(root, ['session', 'resume', 'WFS-steady'])).stdout).toContain('(unchanged)');
    expect(files.map((f) => fs.statSync(f).mtimeMs + fs.readFileSync(f, 'utf8'))).toEqual(before);
    await wfs(root, ['session', 'pause']);
    const paused = files.map((f) => fs.statSync(f).mtimeMs + fs.readFileSync(f, 'utf8'));
    expect((await wfs(root, ['session', 'pause', 'WFS-steady'])).stdout).toContain(
      'STATUS: paused (unchanged)',
    );
    expect(files.map((f) => fs.statSync(f).mtimeMs + fs.readFileSync(f, 'utf8'))).toEqual(paused);
  });
});
