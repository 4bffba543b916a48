import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_GITIGNORE } from '../../src/store/gitignore.js';
import { cli } from '../cli.js';
import { ISOLATED, makeRepo } from '../helpers.js';

/**
 * `.workflow/` shared through git (SPEC 1): `wfs init` (or a project's first session) writes
 * `.workflow/.gitignore`, the sessions are committed, and a fresh clone resumes them without a
 * warning, a doctor problem or a file of the first checkout's machine showing up in git.
 */

function git(cwd: string, ...args: string[]): string {
  const run = spawnSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

const env = { ...ISOLATED };

/** `git status` lines of what is under `.workflow/`, untracked ones listed file by file. */
function workflowStatus(cwd: string, ...options: string[]): string[] {
  return git(cwd, 'status', '--porcelain', '--untracked-files=all', ...options, '--', '.workflow')
    .split('\n')
    .filter((line) => line !== '');
}

describe('.workflow/ shared through git', () => {
  it('init writes .workflow/.gitignore once and never rewrites it', async () => {
    const root = makeRepo({ 'package.json': '{"name":"shared"}' });
    const first = await cli(root, ['init'], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Wrote .workflow/.gitignore');
    const file = path.join(root, '.workflow', '.gitignore');
    expect(fs.readFileSync(file, 'utf8')).toBe(WORKFLOW_GITIGNORE);

    // A team's own choice stays: wfs never rewrites it, even with --force.
    fs.writeFileSync(file, '# ours\n');
    expect((await cli(root, ['init', '--force'], { env })).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe('# ours\n');
    fs.rmSync(file);
    expect((await cli(root, ['init'], { env })).stdout).toContain('Wrote .workflow/.gitignore');
  });

  it("a project's first session writes it when nobody ran init; later sessions leave a deleted one deleted", async () => {
    const root = makeRepo();
    expect((await cli(root, ['session', 'start', '--new', 'first'], { env })).code).toBe(0);
    const file = path.join(root, '.workflow', '.gitignore');
    expect(fs.readFileSync(file, 'utf8')).toBe(WORKFLOW_GITIGNORE);
    fs.rmSync(file);
    expect((await cli(root, ['session', 'start', '--new', 'second'], { env })).code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a fresh clone of a committed .workflow/ resumes its sessions without a warning', async () => {
    const origin = makeRepo({ 'package.json': '{"name":"shared"}', 'src/a.ts': 'export {};\n' });
    git(origin, 'commit', '-q', '--allow-empty', '-m', 'init');
    expect((await cli(origin, ['init'], { env })).code).toBe(0);
    expect((await cli(origin, ['session', 'start', '--new', 'first feature'], { env })).code).toBe(0);
    expect((await cli(origin, ['todo', 'add', 'write the parser'], { env })).code).toBe(0);
    expect((await cli(origin, ['todo', 'start', '1'], { env })).code).toBe(0);
    expect((await cli(origin, ['checkpoint'], { env })).code).toBe(0);
    expect((await cli(origin, ['exec', '--', process.execPath, '-e', '0'], { env })).code).toBe(0);
    expect((await cli(origin, ['session', 'start', '--new', 'second feature'], { env })).code).toBe(0);

    // What git would commit: the sessions and project files, nothing of this checkout's machine.
    const added = workflowStatus(origin).map((line) => line.slice(3));
    expect(added).toContain('.workflow/.gitignore');
    expect(added).toContain('.workflow/project-tech.json');
    expect(added.some((f) => /^\.workflow\/active\/WFS-[^/]+\/workflow-session\.json$/.test(f))).toBe(true);
    expect(added.some((f) => /\/\.process\/checkpoints\/CP-/.test(f))).toBe(true);
    for (const sub of ['.task', '.summaries', '.process'])
      expect(added.filter((f) => f.endsWith(`/${sub}/.gitkeep`))).toHaveLength(2);
    const machineLocal =
      /workspace\.json|active-session\.json|session_status\.jsonl|\.locks\/|\.backups\/|\/backups\/|outputs\/|audit|\.coord\//;
    expect(added.filter((f) => machineLocal.test(f))).toEqual([]);
    const ignored = workflowStatus(origin, '--ignored=matching')
      .filter((line) => line.startsWith('!! '))
      .map((line) => line.slice(3));
    for (const expected of [
      '.workflow/workspace.json',
      '.workflow/active-session.json',
      '.workflow/session_status.jsonl',
    ])
      expect(ignored).toContain(expected);
    expect(ignored.some((f) => f.includes('/.process/backups/'))).toBe(true);
    expect(ignored.some((f) => f.includes('/.process/audit.jsonl'))).toBe(true);

    git(origin, 'add', '-A');
    git(origin, 'commit', '-q', '-m', 'work in progress');

    const elsewhere = makeRepo({}, { git: false });
    const clone = path.join(elsewhere, 'clone');
    git(elsewhere, 'clone', '-q', origin, clone);
    const sessions = fs.readdirSync(path.join(clone, '.workflow', 'active')).sort();
    expect(sessions).toHaveLength(2);

    const doctor = await cli(clone, ['doctor'], { env });
    expect(doctor.stdout).not.toContain('PROBLEM');
    expect(doctor.code).toBe(0);

    const list = await cli(clone, ['session', 'list', '--json'], { env });
    expect(list.stderr).toBe('');
    const listed = JSON.parse(list.stdout) as { sessions: { id: string; status: string }[] };
    expect(listed.sessions.map((s) => s.id).sort()).toEqual(sessions);

    // The first feature was paused when the second started: resuming it in the clone loses nothing.
    const first = listed.sessions.find((s) => s.status === 'paused')!.id;
    const resumed = await cli(clone, ['session', 'resume', first], { env });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).not.toContain('WARNING');
    expect(resumed.stdout).toContain('RESUME_STRATEGY: complete');
    const todos = await cli(clone, ['todo', 'list', '--json'], { env });
    expect(JSON.parse(todos.stdout).todos).toMatchObject([
      { content: 'write the parser', status: 'in_progress' },
    ]);
    for (const args of [['context'], ['session', 'show'], ['checkpoint']]) {
      const run = await cli(clone, args, { env });
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stderr, args.join(' ')).toBe('');
    }
    expect((await cli(clone, ['doctor'], { env })).stdout).not.toContain('PROBLEM');

    // The clone's own machine-local files stay out of git; only the sessions' shared files change.
    const changed = workflowStatus(clone).map((line) => line.slice(3));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((f) => machineLocal.test(f))).toEqual([]);
    expect(changed.every((f) => f.startsWith('.workflow/active/'))).toBe(true);
  });
});
