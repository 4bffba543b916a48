import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { json, makeRepo, readJson } from '../helpers.js';

/** Output and exit-code contracts of SPEC 3, through the CLI's main(argv, io) in-process. */

async function withSession(description = 'contract'): Promise<{ root: string; id: string }> {
  const root = makeRepo();
  const run = await cli(root, ['session', 'start', '--new', description, '--json']);
  expect(run.code).toBe(0);
  return { root, id: json<{ session_id: string }>(run).session_id };
}

describe('--json is one document for every command', () => {
  it('help and version too, and `wfs --json` alone is the help', async () => {
    const root = makeRepo();
    expect(json(await cli(root, ['--version', '--json']))).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(json<{ help: string }>(await cli(root, ['--help', '--json'])).help).toMatch(
      /^Usage: wfs <command>/,
    );
    const alone = await cli(root, ['--json']);
    expect(alone.code).toBe(0);
    expect(json<{ help: string }>(alone).help).toContain('session start');
    expect(json<{ help: string }>(await cli(root, ['todo', 'add', '--help', '--json'])).help).toMatch(
      /^Usage: wfs todo add/,
    );
  });
});

describe('help', () => {
  it('lists the commands in the order of a session life, with --version and the exit codes', async () => {
    const text = (await cli(makeRepo(), ['--help'])).stdout;
    const order = [
      'session start',
      'phase',
      'todo list',
      'context',
      'exec',
      'init',
      'doctor',
      'lock acquire',
      'run',
    ];
    const at = order.map((c) => text.indexOf(`\n  ${c} `));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain('wfs --version prints the version');
    expect(text).toContain('3 a person must decide');
  });

  it('each command page has examples; resume explains its plan and exit 3', async () => {
    const root = makeRepo();
    const resume = (await cli(root, ['session', 'resume', '--help'])).stdout;
    expect(resume).toContain('RESUME_STRATEGY');
    expect(resume).toContain('exit 3');
    expect(resume).toMatch(/Examples:\n {2}wfs session resume/);
    expect((await cli(root, ['lock', 'acquire', '--help'])).stdout).toContain(
      'wfs lock acquire deploy --ttl 5m',
    );
  });
});

describe('one rule for each kind of input', () => {
  it('durations take milliseconds or a unit, and a number out of range says so', async () => {
    const { root } = await withSession();
    const tooLong = await cli(root, ['lock', 'acquire', 'x', '--ttl', '99999999999999999']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toBe('ERROR: --ttl is out of range: from 1 to 86,400,000 ms\n');
    const word = await cli(root, ['results', 'put', 'k', '--ttl', 'soon']);
    expect(word.stderr).toMatch(/^ERROR: --ttl takes a whole number of milliseconds \(or with a unit/);
    const minutes = json<{ expires_at: string }>(
      await cli(root, ['lock', 'acquire', 'x', '--ttl', '5m', '--json']),
    );
    const left = Date.parse(minutes.expires_at) - Date.now();
    expect(left).toBeGreaterThan(4 * 60_000);
    // Expiries are set on the host clock, which moves in 10 ms steps and never comes early.
    expect(left).toBeLessThanOrEqual(5 * 60_000 + 20);
    expect((await cli(root, ['run', 'docs-check', '--lock-ttl', '10'])).stderr).toBe(
      'ERROR: --lock-ttl is out of range: from 1,000 to 86,400,000 ms\n',
    );
    expect((await cli(root, ['events', '--limit', '0'])).stderr).toBe(
      'ERROR: --limit is out of range: from 1 to 100,000\n',
    );
  });

  it('phases, types, statuses and triggers: any case, and the same list for phase and checkpoint triggers', async () => {
    const { root } = await withSession();
    expect((await cli(root, ['session', 'start', '--new', 'typed', '--type', 'REVIEW'])).code).toBe(0);
    expect((await cli(root, ['session', 'list', '--status', 'ACTIVE', '--json'])).code).toBe(0);
    const bogus = await cli(root, ['phase', 'implement', '--trigger', 'bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^ERROR: Invalid trigger. Valid triggers: manual, /);
    expect((await cli(root, ['checkpoint', '--trigger', 'bogus'])).stderr).toBe(bogus.stderr);
    expect((await cli(root, ['phase', 'implement', '--trigger', 'AGENT_COMPLETE'])).code).toBe(0);
  });

  it('`WFS` alone is no session ID', async () => {
    const { root } = await withSession();
    const run = await cli(root, ['session', 'show', 'WFS']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ERROR: Invalid session ID "WFS"/);
  });

  it('a todo is one line; tags and lessons follow the rules of descriptions', async () => {
    const { root } = await withSession();
    const broken = await cli(root, ['todo', 'add', 'a\nb']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^ERROR: A todo is one line of text/);
    // An agent's list may wrap a todo: synced as one line.
    const synced = await cli(root, ['todo', 'sync', '--json'], {
      input: JSON.stringify([{ content: 'wrapped\nover two lines', status: 'pending' }]),
    });
    expect(json<{ todos: { content: string }[] }>(synced).todos[0]!.content).toBe('wrapped over two lines');
    const tag = await cli(root, ['session', 'complete', '--tag', 'x\u001b[2J']);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toMatch(/^ERROR: A tag contains a control character/);
    expect((await cli(root, ['session', 'complete', '--lesson', 'x'.repeat(2_001)])).stderr).toMatch(
      /A lesson is too long/,
    );
    expect((await cli(root, ['session', 'show', '--json'])).code).toBe(0);
  });
});

describe('exec, events and todo sync', () => {
  it('todo sync of an unchanged list writes nothing and says changed: false', async () => {
    const { root, id } = await withSession();
    const list = JSON.stringify({
      todos: [
        { content: 'one', status: 'pending' },
        { content: 'two', status: 'in_progress' },
      ],
    });
    expect(
      json<{ changed: boolean }>(await cli(root, ['todo', 'sync', '--json'], { input: list })).changed,
    ).toBe(true);
    const file = path.join(root, '.workflow', 'active', id, 'workflow-session.json');
    const revision = readJson<{ revision: number }>(file).revision;
    const backups = fs.readdirSync(path.join(path.dirname(file), '.process', 'backups')).length;
    const again = await cli(root, ['todo', 'sync', '--json'], { input: list });
    expect(json<{ changed: boolean }>(again).changed).toBe(false);
    expect(readJson<{ revision: number }>(file).revision).toBe(revision);
    expect(fs.readdirSync(path.join(path.dirname(file), '.process', 'backups'))).toHaveLength(backups);
  });

  it('todo sync and results put say what they read when stdin is a terminal', async () => {
    const { root } = await withSession();
    const run = await cli(root, ['todo', 'sync'], { input: '[]', stdinIsTTY: true });
    expect(run.stderr).toMatch(/^Reading a TodoWrite list .* end it with Ctrl-D/);
    const put = await cli(root, ['results', 'put', 'k'], { input: 'v', stdinIsTTY: true });
    expect(put.stderr).toMatch(/^Reading the value of k from the terminal; end it with Ctrl-D/);
  });
});

describe('wfs context on a damaged project', () => {
  it('a typo in config.json: the session is shown, with a WARNING about the config', async () => {
    const { root, id } = await withSession();
    fs.writeFileSync(path.join(root, '.workflow', 'config.json'), '{"coordination": {"backend": "redsi"}}');
    const run = await cli(root, ['context', '--json']);
    expect(run.code).toBe(0);
    expect(json<{ active_session: { id: string } }>(run).active_session.id).toBe(id);
    expect(run.stderr).toMatch(/^WARNING: Coordination is not shown: .workflow\/config.json is invalid/);
    expect((await cli(root, ['context'])).stdout).toContain('- Not shown: .workflow/config.json is invalid');
  });

  it('a damaged project-tech.json is repaired by the next session start, said once', async () => {
    const { root } = await withSession();
    fs.writeFileSync(path.join(root, '.workflow', 'project-tech.json'), 'garbage');
    const first = await cli(root, ['session', 'start', '--new', 'next']);
    expect(first.stderr).toMatch(/WARNING: project-tech.json is damaged/);
    const second = await cli(root, ['session', 'start', '--new', 'after']);
    expect(second.stderr).toBe('');
  });
});
