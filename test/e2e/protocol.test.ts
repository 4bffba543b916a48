import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, json, makeRepo, wfs } from '../helpers.js';

describe('wfs exec', () => {
  it("runs the command without a shell in the session's context, passes its exit code through, and audits it", async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'exec work', '--type', 'tdd']);
    await wfs(root, ['phase', 'IMPLEMENT']);
    const script =
      'const e=process.env;console.log([e.WFS_ROOT,e.WFS_SESSION_ID,e.WFS_SESSION_DIR,e.WFS_SESSION_TYPE,e.WFS_PHASE,e.WFS_OUTPUT_DIR].join("|"));process.exit(7)';
    const run = await wfs(root, ['exec', '--', process.execPath, '-e', script, '$HOME; not a shell']);
    expect(run.code).toBe(7);
    const dir = path.join(root, '.workflow', 'active', 'WFS-exec-work');
    expect(run.stdout.trim()).toBe(
      [root, 'WFS-exec-work', dir, 'tdd', 'IMPLEMENT', path.join(dir, '.process', 'outputs')].join('|'),
    );
    const audit = fs
      .readFileSync(path.join(dir, '.process', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit).toEqual([
      expect.objectContaining({
        session_id: 'WFS-exec-work',
        command: process.execPath,
        args: ['-e', script, '$HOME; not a shell'],
        exit_code: 7,
        signal: null,
        duration_ms: expect.any(Number),
      }),
    ]);
  });

  it('says when the command does not exist (127) and when nothing is given (2)', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'x']);
    expect(await wfs(root, ['exec', '--', 'no-such-command-wfs'])).toMatchObject({
      code: 127,
      stderr: 'ERROR: Command not found: no-such-command-wfs\n',
    });
    expect((await wfs(root, ['exec'])).code).toBe(2);
  });

  it('without an active session, runs in a temporary workspace named in a WARNING', async () => {
    const root = makeRepo();
    const run = await wfs(root, [
      'exec',
      '--',
      process.execPath,
      '-e',
      'console.log(process.env.WFS_SESSION_DIR)',
    ]);
    expect(run.code).toBe(0);
    const workspace = run.stdout.trim();
    expect(run.stderr).toBe(
      `WARNING: No active session: running in a temporary workspace ${workspace} (start one: wfs session start --auto "TASK")\n`,
    );
    // Temporary: gone once the command has ended, as it left nothing there.
    expect(fs.existsSync(workspace)).toBe(false);
    expect(fs.existsSync(path.join(root, '.workflow'))).toBe(false);
  });

  it('with --json, stdout is one JSON document: the command writes its output to stderr', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'json exec']);
    const run = await wfs(root, ['exec', '--json', '--', 'echo', 'hello']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ exit_code: 0, session_id: 'WFS-json-exec' });
    expect(run.stderr).toBe('hello\n');
  });

  it('keeps a temporary workspace the command left files in, and says so', async () => {
    const root = makeRepo();
    const run = await wfs(root, [
      'exec',
      '--',
      process.execPath,
      '-e',
      "require('fs').writeFileSync(process.env.WFS_OUTPUT_DIR + '/out.txt', 'x'); console.log(process.env.WFS_SESSION_DIR)",
    ]);
    expect(run.code).toBe(0);
    const workspace = run.stdout.trim();
    expect(run.stderr).toContain(
      `WARNING: The temporary workspace ${workspace} is kept: the command left files in it\n`,
    );
    expect(fs.readFileSync(path.join(workspace, 'out.txt'), 'utf8')).toBe('x');
    fs.rmSync(workspace, { recursive: true });
  });

  it('forwards a signal to the command and reports how it ended', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'signals']);
    const script =
      "process.on('SIGTERM',()=>{console.log('got TERM');process.exit(42)});console.log('ready');setInterval(()=>{},1000)";
    const child = spawn(process.execPath, [CLI, 'exec', '--', process.execPath, '-e', script], {
      cwd: root,
      env: { ...process.env, WFS_ROOT: '' },
    });
    let output = '';
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready')) resolve();
      });
    });
    child.kill('SIGTERM');
    expect(await exit).toBe(42);
    expect(output).toContain('got TERM');
    const audit = fs.readFileSync(
      path.join(root, '.workflow', 'active', 'WFS-signals', '.process', 'audit.jsonl'),
      'utf8',
    );
    expect(JSON.parse(audit.trim())).toMatchObject({ exit_code: 42 });
  });
});

describe('wfs context', () => {
  it('tells the active session, phase, todos, last checkpoint and next step, in Markdown and JSON', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'Build the importer']);
    await wfs(root, ['phase', 'IMPLEMENT']);
    await wfs(root, ['todo', 'add', 'parse CSV']);
    await wfs(root, ['todo', 'add', 'write rows']);
    await wfs(root, ['todo', 'done', '1']);
    const md = await wfs(root, ['context']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('- Session: WFS-build-the-importer (active, workflow), phase IMPLEMENT');
    expect(md.stdout).toContain('- Todos: 1/2 done');
    expect(md.stdout).toContain('  - [ ] 2. write rows');
    expect(md.stdout).toMatch(/- Last checkpoint: CP-\S+ \(todo_milestone, IMPLEMENT/);
    expect(md.stdout).toContain('Next step: Start todo 2: write rows (wfs todo start 2)');
    const doc = json<{ active_session: { id: string; todos: { total: number } }; next_step: string }>(
      await wfs(root, ['context', '--format', 'json']),
    );
    expect(doc.active_session).toMatchObject({
      id: 'WFS-build-the-importer',
      todos: { total: 2, completed: 1 },
    });
    expect(json(await wfs(root, ['context', '--json']))).toEqual(doc);
    expect((await wfs(root, ['context', '--format', 'xml'])).code).toBe(2);
  });

  it('stays within about 1,500 tokens for a large session', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', `Big task ${'with a very long description '.repeat(200)}`]);
    const items = Array.from({ length: 200 }, (_, i) => ({
      content: `todo number ${i} ${'x'.repeat(300)}`,
      status: 'pending',
    }));
    await wfs(root, ['todo', 'sync'], { input: JSON.stringify(items) });
    const md = await wfs(root, ['context']);
    // ~4 characters per token: 1,500 tokens is about 6,000 characters.
    expect(md.stdout.length).toBeLessThan(6_000);
    expect(md.stdout).toContain('… 188 more open (wfs todo list)');
    expect(json<unknown>(await wfs(root, ['context', '--json'])) as object).toBeTruthy();
    expect((await wfs(root, ['context', '--json'])).stdout.length).toBeLessThan(6_000);
  });

  it('without an active session says what to do next, and writes nothing', async () => {
    const root = makeRepo();
    const run = await wfs(root, ['context', '--json']);
    expect(json(run)).toMatchObject({
      active_session: null,
      open_sessions: 0,
      next_step: 'Start a session for the task: wfs session start --auto "TASK"',
    });
    expect(fs.existsSync(path.join(root, '.workflow'))).toBe(false);
  });
});
