import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalCoordinator } from '../../src/coord/local/leases.js';
import { coordinationDir } from '../../src/coord/location.js';
import { holderName } from '../../src/store/lock.js';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson } from '../helpers.js';

/** The core's promises under kills, hostile files and hostile input (SPEC 1, 3, 4), through the CLI. */

const sessionFile = (root: string, id: string) =>
  path.join(root, '.workflow', 'active', id, 'workflow-session.json');

async function started(root: string, description: string): Promise<string> {
  const run = await wfs(root, ['session', 'start', '--new', description, '--json']);
  expect(run.code).toBe(0);
  return json<{ session_id: string }>(run).session_id;
}

describe('a creation that never finished is no session (SPEC 4)', () => {
  it('the remains a killed start left (a folder without a state, the pointer naming it) wedge nothing', async () => {
    const root = makeRepo();
    fs.mkdirSync(path.join(root, '.workflow', 'active', 'WFS-half', '.process'), { recursive: true });
    fs.writeFileSync(path.join(root, '.workflow', 'active-session.json'), '{"session_id":"WFS-half"}');
    const context = await wfs(root, ['context', '--json']);
    expect(context.code).toBe(0);
    expect(json(context).active_session).toBeNull();
    expect(json<{ sessions: unknown[] }>(await wfs(root, ['session', 'list', '--json'])).sessions).toEqual(
      [],
    );
    const todo = await wfs(root, ['todo', 'add', 'x']);
    expect(todo.code).toBe(1);
    expect(todo.stderr).toMatch(/^ERROR: No active session/);
    const id = await started(root, 'after the crash');
    expect((await wfs(root, ['todo', 'add', 'works'])).code).toBe(0);
    const doctor = await wfs(root, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    expect(json<{ findings: { check: string; message: string }[] }>(doctor).findings).toContainEqual(
      expect.objectContaining({ check: 'creation', message: expect.stringContaining('WFS-half') }),
    );
    expect((await wfs(root, ['doctor', '--fix'])).code).toBe(0);
    expect((await wfs(root, ['doctor'])).code).toBe(0);
    expect(fs.existsSync(path.join(root, '.workflow', 'active', 'WFS-half'))).toBe(false);
    expect(
      json<{ session: { session_id: string } }>(await wfs(root, ['session', 'show', '--json'])).session
        .session_id,
    ).toBe(id);
  });

  it('a staging folder left by a kill is never read as a session and is moved aside by doctor --fix', async () => {
    const root = makeRepo();
    await started(root, 'one');
    const staging = path.join(root, '.workflow', '.creating', 'abc');
    fs.mkdirSync(path.join(staging, '.process'), { recursive: true });
    fs.writeFileSync(path.join(staging, 'planning-notes.md'), '# notes');
    expect(
      json<{ sessions: unknown[] }>(await wfs(root, ['session', 'list', '--json'])).sessions,
    ).toHaveLength(1);
    expect((await wfs(root, ['doctor'])).code).toBe(1);
    const fixed = await wfs(root, ['doctor', '--fix']);
    expect(fixed.stdout).toContain('a session creation that never finished');
    expect(fs.existsSync(staging)).toBe(false);
    expect((await wfs(root, ['doctor'])).code).toBe(0);
  });
});

describe('a damaged session file is restored, never "migrated" (SPEC 4)', () => {
  it.each([
    ['{}'],
    ['[]'],
    ['null'],
    ['{"session_id":"WFS-keep"}'],
    ['{"session_id":"WFS-keep","session_version":"2.0","project":"p"}'],
  ])('%s is restored from the newest good backup with a WARNING', async (damage) => {
    const root = makeRepo();
    const id = await started(root, 'keep');
    for (const text of ['one', 'two', 'three']) expect((await wfs(root, ['todo', 'add', text])).code).toBe(0);
    fs.writeFileSync(sessionFile(root, id), damage);
    const list = await wfs(root, ['todo', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(
      /^WARNING: Session WFS-keep was damaged .*restored revision 3 from its backup/,
    );
    expect(json<{ todos: { content: string }[] }>(list).todos.map((t) => t.content)).toEqual(['one', 'two']);
    const state = readJson<{ created_at: string; migrated_from?: unknown }>(sessionFile(root, id));
    expect(state.migrated_from).toBeUndefined();
    expect(state.created_at).not.toMatch(/^1970/);
  });

  it('without a backup, {} is a corrupt session, listed as such and refused, never an empty one', async () => {
    const root = makeRepo();
    const id = await started(root, 'only');
    fs.rmSync(path.join(root, '.workflow', 'active', id, '.process', 'backups'), {
      recursive: true,
      force: true,
    });
    fs.writeFileSync(sessionFile(root, id), '{}');
    const show = await wfs(root, ['session', 'show', id]);
    expect(show.code).toBe(1);
    expect(show.stderr).toMatch(/^ERROR: Session WFS-only is corrupt/);
    expect(
      json<{ sessions: { corrupt?: boolean }[] }>(await wfs(root, ['session', 'list', '--json'])).sessions[0]!
        .corrupt,
    ).toBe(true);
    expect(fs.readFileSync(sessionFile(root, id), 'utf8')).toBe('{}');
  });
});

describe('symbolic links are never followed for a write (SPEC 1)', () => {
  it('an audit trail that is a link: exec refuses to record through it, and the target is untouched', async () => {
    const root = makeRepo();
    const id = await started(root, 'links');
    const outside = path.join(makeRepo({ 'victim.txt': 'precious\n' }, { git: false }), 'victim.txt');
    fs.symlinkSync(outside, path.join(root, '.workflow', 'active', id, '.process', 'audit.jsonl'));
    const run = await wfs(root, ['exec', '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ERROR: .*audit\.jsonl is a symbolic link/m);
    expect(fs.readFileSync(outside, 'utf8')).toBe('precious\n');
  });

  it('a checkpoints folder that is a link: nothing is written into its target', async () => {
    const root = makeRepo();
    const id = await started(root, 'links');
    const outside = makeRepo({}, { git: false });
    const checkpoints = path.join(root, '.workflow', 'active', id, '.process', 'checkpoints');
    fs.rmSync(checkpoints, { recursive: true, force: true });
    fs.symlinkSync(outside, checkpoints);
    const run = await wfs(root, ['checkpoint', '--json']);
    expect(run.code).toBe(1);
    expect(json(run)).toMatchObject({ error: { code: 'E_SYMLINK' } });
    expect(fs.readdirSync(outside)).toEqual([]);
    // The state was not changed either: the checkpoint is written before the state that names it.
    expect(readJson<{ revision: number }>(sessionFile(root, id)).revision).toBe(1);
  });

  it('a session file that is a link is damage: restored from its backup, the link kept aside, its target untouched', async () => {
    const root = makeRepo();
    const id = await started(root, 'links');
    expect((await wfs(root, ['todo', 'add', 'one'])).code).toBe(0);
    const outside = path.join(makeRepo({ 'state.json': '{"not":"yours"}' }, { git: false }), 'state.json');
    fs.rmSync(sessionFile(root, id));
    fs.symlinkSync(outside, sessionFile(root, id));
    const run = await wfs(root, ['todo', 'add', 'two']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /WARNING: Session WFS-links was damaged \(workflow-session\.json is a symbolic link\)/,
    );
    expect(fs.readFileSync(outside, 'utf8')).toBe('{"not":"yours"}');
    expect(fs.lstatSync(sessionFile(root, id)).isSymbolicLink()).toBe(false);
  });

  it('a session folder that is a link is listed as corrupt and never written through', async () => {
    const root = makeRepo();
    await started(root, 'real');
    const elsewhere = makeRepo();
    const other = await started(elsewhere, 'planted');
    fs.symlinkSync(
      path.join(elsewhere, '.workflow', 'active', other),
      path.join(root, '.workflow', 'active', other),
    );
    const before = fs.readFileSync(sessionFile(elsewhere, other), 'utf8');
    const list = json<{ sessions: { id: string; corrupt?: boolean; reason?: string }[] }>(
      await wfs(root, ['session', 'list', '--json']),
    ).sessions;
    expect(list.find((s) => s.id === other)).toMatchObject({
      corrupt: true,
      reason: 'the session folder is a symbolic link',
    });
    expect((await wfs(root, ['session', 'switch', other])).code).not.toBe(0);
    expect(fs.readFileSync(sessionFile(elsewhere, other), 'utf8')).toBe(before);
  });
});

describe('inputs are bounded before memory grows with them (SPEC 4)', () => {
  it('a todo list over the bound, an oversized stdin and deeply nested JSON are bad input (exit 2)', async () => {
    const root = makeRepo();
    await started(root, 'bounds');
    const many = JSON.stringify(
      Array.from({ length: 1_001 }, (_, i) => ({ content: `t${i}`, status: 'pending' })),
    );
    const tooMany = await wfs(root, ['todo', 'sync'], { input: many });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/^ERROR: Too many todos: 1001/);
    const huge = await wfs(root, ['todo', 'sync'], { input: '['.repeat(5 * 1024 * 1024) });
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/^ERROR: The todo list on stdin is too large/);
    // 40 KB of nesting: under the size bound of --data, so the depth bound is what refuses it.
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    for (const [args, refusal] of [
      [['checkpoint', '--data', deep], /--data is nested too deeply/],
      [['phase', 'IMPLEMENT', '--handoff', deep], /--handoff is too large/],
    ] as const) {
      const run = await wfs(root, args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(refusal);
    }
    const deepList = await wfs(root, ['todo', 'sync'], {
      input: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    });
    expect(deepList.code).toBe(2);
    const bigResult = await wfs(root, ['results', 'put', 'k'], { input: 'x'.repeat(9 * 1024 * 1024) });
    expect(bigResult.code).toBe(2);
    expect(bigResult.stderr).toMatch(/^ERROR: The result on stdin is too large/);
    // Nothing was lost or changed by the refusals.
    expect((await wfs(root, ['todo', 'list', '--json'])).code).toBe(0);
  });
});

describe('faults of the environment are named, never internal errors (SPEC 3)', () => {
  it('.workflow as a file is an E_IO naming it', async () => {
    const root = makeRepo();
    fs.writeFileSync(path.join(root, '.workflow'), 'not a folder');
    const run = await wfs(root, ['session', 'start', '--new', 'x', '--json']);
    expect(run.code).toBe(1);
    expect(json(run)).toMatchObject({
      error: { code: 'E_IO', message: expect.stringContaining(path.join(root, '.workflow')) },
    });
    expect(run.stderr).not.toMatch(/Internal error/);
  });

  it('wfs context still gives the session when the coordination state cannot be used, and says why', async () => {
    const root = makeRepo();
    const id = await started(root, 'x');
    const coord = coordinationDir(root);
    fs.rmSync(coord, { recursive: true, force: true });
    fs.writeFileSync(coord, 'a file where the coordination folder belongs');
    const run = await wfs(root, ['context', '--json']);
    expect(run.code).toBe(0);
    expect(json<{ active_session: { id: string } }>(run).active_session.id).toBe(id);
    expect(json<{ coordination: { reachable: boolean } }>(run).coordination.reachable).toBe(false);
    expect(run.stderr).toMatch(/^WARNING: Coordination backend unusable: .*wfs/m);
  });

  it('doctor finds a registry, pointer or manifest replaced by a folder, and --fix sets it right', async () => {
    const root = makeRepo();
    const id = await started(root, 'x');
    for (const file of ['session_status.jsonl', 'active-session.json']) {
      fs.rmSync(path.join(root, '.workflow', file));
      fs.mkdirSync(path.join(root, '.workflow', file));
    }
    const report = await wfs(root, ['doctor']);
    expect(report.code).toBe(1);
    expect(report.stdout).toContain(
      'PROBLEM [files] .workflow/session_status.jsonl is a folder where a file belongs',
    );
    expect(report.stderr).not.toMatch(/Internal error/);
    expect((await wfs(root, ['doctor', '--fix'])).code).toBe(0);
    expect((await wfs(root, ['doctor'])).code).toBe(0);
    expect(
      json<{ session: { session_id: string } }>(await wfs(root, ['session', 'show', '--json'])).session
        .session_id,
    ).toBe(id);
  });

  it('doctor runs, read-only, while another process holds the project lock, and says who', async () => {
    const root = makeRepo();
    await started(root, 'x');
    // A holder that is alive but stopped (an agent suspended with Ctrl-Z).
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
      child.kill('SIGSTOP');
      const lock = path.join(root, '.workflow', '.locks', 'project.lock');
      fs.mkdirSync(lock, { recursive: true });
      const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const host = (await import('node:os')).hostname();
      fs.writeFileSync(
        path.join(lock, holderName({ nonce: 'x1', pid: child.pid!, start: Number(fields[19]), boot, host })),
        '',
      );
      const report = await wfs(root, ['doctor', '--fix', '--json']);
      expect(report.code).toBe(1);
      const findings = json<{ findings: { check: string; message: string }[] }>(report).findings;
      expect(findings).toContainEqual(
        expect.objectContaining({
          check: 'lock',
          message: expect.stringContaining('that process is stopped'),
        }),
      );
      // The lock of a live (if stopped) holder is never broken.
      expect(fs.readdirSync(lock)).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('smaller promises', () => {
  it('WFS_SESSION_ID is checked like any session ID', async () => {
    const root = makeRepo();
    await started(root, 'x');
    const run = await wfs(root, ['lock', 'acquire', 'n'], { env: { WFS_SESSION_ID: '\u001b[2Jevil' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ERROR: Invalid session ID .* in WFS_SESSION_ID/);
    expect(run.stderr).not.toContain('\u001b');
  });

  it("a lock holder's name cannot drive another user's terminal in the HELD: line", async () => {
    const root = makeRepo();
    await started(root, 'x');
    const c = new LocalCoordinator(coordinationDir(root));
    // A holder's session is checked like any session name; its host is free text from another
    // machine (here given by a library caller), and is what a hostile peer would control.
    await expect(
      c.acquire('x', { ttlMs: 60_000, holder: { session: 'evil\u001b[2J' } }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_INPUT',
    });
    await c.acquire('shared', { ttlMs: 60_000, holder: { host: 'evil\u001b[2J' } });
    await c.close();
    const run = await wfs(root, ['lock', 'acquire', 'shared']);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('on evil\\u001b[2J');
    expect(run.stdout).not.toContain('\u001b');
  });

  it('a garbage last checkpoint is noticed by resume (degraded) and by doctor (moved aside)', async () => {
    const root = makeRepo();
    const id = await started(root, 'cp');
    const saved = json<{ checkpoint: { id: string } }>(await wfs(root, ['checkpoint', '--json']));
    const dir = path.join(root, '.workflow', 'active', id, '.process', 'checkpoints');
    const file = fs.readdirSync(dir).find((n) => n.startsWith(saved.checkpoint.id))!;
    fs.writeFileSync(path.join(dir, file), 'garbage');
    expect((await wfs(root, ['doctor'])).stdout).toContain(
      `its last checkpoint ${saved.checkpoint.id} is damaged`,
    );
    expect((await wfs(root, ['session', 'pause'])).code).toBe(0);
    const resumed = await wfs(root, ['session', 'resume', '--json']);
    expect(json<{ plan: { strategy: string } }>(resumed).plan.strategy).toBe('degraded');
    expect(resumed.stderr).toContain(`The last checkpoint ${saved.checkpoint.id} is damaged`);
    expect((await wfs(root, ['doctor', '--fix'])).code).toBe(0);
    expect(fs.existsSync(path.join(dir, file))).toBe(false);
  });

  it('the audit trail is rotated past its bound, the newest run always in it', async () => {
    const root = makeRepo();
    const id = await started(root, 'audit');
    const audit = path.join(root, '.workflow', 'active', id, '.process', 'audit.jsonl');
    fs.writeFileSync(audit, `${'{"old":true}\n'.repeat(90_000)}`);
    expect((await wfs(root, ['exec', '--', 'true'])).code).toBe(0);
    const lines = fs.readFileSync(audit, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ command: 'true', exit_code: 0 });
    const rotated = fs.readdirSync(path.dirname(audit)).filter((n) => /^audit\..+\.jsonl$/.test(n));
    expect(rotated).toHaveLength(1);
  });

  it('wfs results get names a damaged result file, or a coordination folder that is not one, rather than "never put"', async () => {
    const root = makeRepo();
    await started(root, 'x');
    expect((await wfs(root, ['results', 'put', 'r1'], { input: 'v' })).code).toBe(0);
    const coord = coordinationDir(root);
    const entry = fs.readdirSync(path.join(coord, 'results')).find((n) => n.endsWith('.json'))!;
    fs.writeFileSync(path.join(coord, 'results', entry), '{"key": "r1", "trunc');
    const damaged = await wfs(root, ['results', 'get', 'r1']);
    expect(damaged.code).not.toBe(0);
    expect(damaged.stderr).toMatch(/^ERROR: .*results\/.*r1.*damaged/m);
    expect(damaged.stderr).not.toMatch(/never put|Internal error/);
    fs.rmSync(coord, { recursive: true, force: true });
    fs.writeFileSync(coord, 'a file where the coordination folder belongs');
    const notFolder = await wfs(root, ['results', 'get', 'r1']);
    expect(notFolder.code).not.toBe(0);
    expect(notFolder.stderr).toMatch(/^ERROR: .*wfs is not a folder/m);
  });

  it('a workflow run record of the wrong shape is damage: wfs context goes on, and names no internal error', async () => {
    const root = makeRepo();
    const id = await started(root, 'x');
    const runs = path.join(root, '.workflow', 'active', id, '.process', 'runs', 'w');
    fs.mkdirSync(runs, { recursive: true });
    for (const shape of [
      'null',
      '[]',
      '{"run_id": "run-1"}',
      '{"run_id":"run-1","workflow":"w","status":"running","started_at":"x","updated_at":"x","steps":[null]}',
    ]) {
      fs.writeFileSync(path.join(runs, 'run-1.json'), shape);
      const run = await wfs(root, ['context', '--json']);
      expect(run.stderr).not.toMatch(/Internal error/);
      expect(run.code).toBe(0);
      expect(json<{ active_session: { id: string } }>(run).active_session.id).toBe(id);
    }
  });
});
