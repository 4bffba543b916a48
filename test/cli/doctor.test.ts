import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson, registryLines, treeOf } from '../helpers.js';

type Report = {
  findings: { check: string; severity: string; message: string; fixed?: string; manual?: string }[];
  problems: number;
  fixed: number;
  remaining: number;
};

async function project() {
  const root = makeRepo();
  await wfs(root, ['session', 'start', '--new', 'one']);
  await wfs(root, ['todo', 'add', 'a']);
  await wfs(root, ['session', 'start', '--new', 'two']);
  await wfs(root, ['todo', 'add', 'b']);
  return { root, active: path.join(root, '.workflow', 'active') };
}

async function doctor(root: string, fix = false) {
  const run = await wfs(root, ['doctor', '--json', ...(fix ? ['--fix'] : [])]);
  return { run, report: json<Report>(run) };
}

const checksOf = (report: Report) =>
  report.findings.filter((f) => f.severity === 'problem').map((f) => f.check);

describe('wfs doctor', () => {
  it('is clean (exit 0) on a healthy project and writes nothing', async () => {
    const { root } = await project();
    const before = treeOf(path.join(root, '.workflow')).filter((f) => !f.startsWith('.locks'));
    const { run, report } = await doctor(root);
    expect(run.code).toBe(0);
    expect(report.problems).toBe(0);
    expect(treeOf(path.join(root, '.workflow')).filter((f) => !f.startsWith('.locks'))).toEqual(before);
  });

  const cases: [
    string,
    string,
    (ctx: { root: string; active: string }) => void,
    (ctx: { root: string; active: string }) => void,
  ][] = [
    [
      'a registry out of step with the folders',
      'registry',
      ({ root }) => {
        const file = path.join(root, '.workflow', 'session_status.jsonl');
        fs.writeFileSync(
          file,
          `${fs.readFileSync(file, 'utf8').split('\n')[0]}\ngarbage\n{"id":"WFS-ghost","status":"paused","directory":".workflow/active/WFS-ghost"}\n`,
        );
      },
      ({ root }) =>
        expect(
          registryLines(root)
            .map((l) => `${l.id}:${l.status}`)
            .sort(),
        ).toEqual(['WFS-one:paused', 'WFS-two:active']),
    ],
    [
      'two active sessions',
      'single-active',
      ({ active }) => {
        const file = path.join(active, 'WFS-one', 'workflow-session.json');
        fs.writeFileSync(file, JSON.stringify({ ...readJson(file), status: 'active' }));
      },
      ({ active }) => {
        const statuses = ['WFS-one', 'WFS-two'].map(
          (id) => readJson(path.join(active, id, 'workflow-session.json')).status,
        );
        expect(statuses.filter((s) => s === 'active')).toHaveLength(1);
      },
    ],
    [
      'a damaged session file (restored from its backup, the damaged file kept aside)',
      'session',
      ({ active }) => fs.writeFileSync(path.join(active, 'WFS-one', 'workflow-session.json'), '{"trunc'),
      ({ active }) => {
        expect(readJson(path.join(active, 'WFS-one', 'workflow-session.json')).session_id).toBe('WFS-one');
        expect(
          fs
            .readdirSync(path.join(active, 'WFS-one'))
            .some((f) => f.startsWith('workflow-session.json.corrupt-')),
        ).toBe(true);
      },
    ],
    [
      'an older schema',
      'session',
      ({ active }) => {
        fs.mkdirSync(path.join(active, 'WFS-old'));
        fs.writeFileSync(
          path.join(active, 'WFS-old', 'workflow-session.json'),
          JSON.stringify({ session_id: 'WFS-old', project: 'old', status: 'planning' }),
        );
      },
      ({ active }) =>
        expect(readJson(path.join(active, 'WFS-old', 'workflow-session.json')).session_version).toBe('2.0'),
    ],
    [
      'an interrupted archiving',
      'archiving',
      ({ root, active }) => {
        const file = path.join(active, 'WFS-one', 'workflow-session.json');
        fs.writeFileSync(file, JSON.stringify({ ...readJson(file), status: 'completed' }));
        fs.writeFileSync(
          path.join(active, 'WFS-one', '.archiving'),
          JSON.stringify({
            session_id: 'WFS-one',
            started_at: 't',
            entry: {
              session_id: 'WFS-one',
              description: 'one',
              archived_at: '2026-01-01T00:00:00.000Z',
              archive_path: '.workflow/archives/WFS-one',
              metrics: {},
              tags: [],
              lessons: [],
            },
          }),
        );
        void root;
      },
      ({ root }) => {
        expect(
          readJson(path.join(root, '.workflow', 'archives', 'WFS-one', 'workflow-session.json')).status,
        ).toBe('archived');
        expect(readJson<unknown[]>(path.join(root, '.workflow', 'archives', 'manifest.json'))).toHaveLength(
          1,
        );
      },
    ],
    [
      'a stale lock (its holder is gone)',
      'locks',
      ({ root }) =>
        fs.writeFileSync(
          path.join(root, '.workflow', '.locks', 'other.lock'),
          JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), nonce: 'x', acquired_at: 't' }),
        ),
      ({ root }) => expect(fs.existsSync(path.join(root, '.workflow', '.locks', 'other.lock'))).toBe(false),
    ],
    [
      'orphaned temp files',
      'temp-files',
      ({ active }) =>
        fs.writeFileSync(path.join(active, 'WFS-two', 'workflow-session.json.1a2b.wfs-tmp'), '{"half'),
      ({ active }) =>
        expect(fs.readdirSync(path.join(active, 'WFS-two')).some((f) => f.endsWith('.wfs-tmp'))).toBe(false),
    ],
    [
      'a damaged workflow run record',
      'workflow-runs',
      ({ active }) => {
        const runs = path.join(active, 'WFS-two', '.process', 'runs', 'slow');
        fs.mkdirSync(runs, { recursive: true });
        fs.writeFileSync(path.join(runs, 'run-20261121T000000Z-abc.json'), '{"run_id": "run-2026');
      },
      ({ root, active }) => {
        expect(fs.readdirSync(path.join(active, 'WFS-two', '.process', 'runs', 'slow'))).toEqual([]);
        // Kept aside, never deleted.
        expect(
          treeOf(path.join(root, '.workflow', '.backups')).some((f) =>
            f.endsWith('run-20261121T000000Z-abc.json'),
          ),
        ).toBe(true);
      },
    ],
    [
      'a damaged manifest',
      'manifest',
      ({ root }) => {
        fs.mkdirSync(path.join(root, '.workflow', 'archives'), { recursive: true });
        fs.writeFileSync(path.join(root, '.workflow', 'archives', 'manifest.json'), '{not an array');
      },
      ({ root }) =>
        expect(readJson<unknown[]>(path.join(root, '.workflow', 'archives', 'manifest.json'))).toEqual([]),
    ],
  ];

  for (const [what, check, spoil, verify] of cases) {
    it(`finds ${what} (exit 1) and --fix repairs it without deleting anything`, async () => {
      const ctx = await project();
      spoil(ctx);
      const found = await doctor(ctx.root);
      expect(found.run.code).toBe(1);
      expect(checksOf(found.report)).toContain(check);
      const fixed = await doctor(ctx.root, true);
      expect(fixed.run.code).toBe(0);
      expect(fixed.report.remaining).toBe(0);
      verify(ctx);
      const again = await doctor(ctx.root);
      expect(again.report.problems).toBe(0);
      expect(again.run.code).toBe(0);
    });
  }

  it('reports what it cannot fix, and keeps failing until a person does', async () => {
    const { root, active } = await project();
    fs.rmSync(path.join(active, 'WFS-one', '.process', 'backups'), { recursive: true });
    fs.writeFileSync(path.join(active, 'WFS-one', 'workflow-session.json'), 'garbage');
    const file = path.join(active, 'WFS-two', 'workflow-session.json');
    fs.writeFileSync(file, JSON.stringify({ ...readJson(file), session_version: '9.0' }));
    const { run, report } = await doctor(root, true);
    expect(run.code).toBe(1);
    expect(report.findings.filter((f) => f.manual).map((f) => f.message)).toEqual([
      expect.stringMatching(/^WFS-one: not valid JSON.*no backup can restore it/),
      'WFS-two: written by a newer wfs (session_version 9.0)',
    ]);
    expect(fs.readFileSync(path.join(active, 'WFS-one', 'workflow-session.json'), 'utf8')).toBe('garbage');
    const human = await wfs(root, ['doctor']);
    expect(human.stdout).toContain('TO DO BY HAND: upgrade wfs');
  });
});
