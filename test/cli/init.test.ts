import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, readJson } from '../helpers.js';
import { ccwProjectTech, gotLike, viteLike } from '../project/fixtures.js';

const nodeProject = {
  'package.json': JSON.stringify({
    name: 'shop',
    scripts: { test: 'vitest run', build: 'tsc' },
    devDependencies: { vitest: '4' },
    dependencies: { hono: '4' },
  }),
  'package-lock.json': '{}',
  'src/index.ts': 'export {}',
  'src/server.ts': '',
  'node_modules/hono/index.js': '',
  '.gitignore': 'dist/\n',
  'dist/index.js': '',
};

describe('wfs init', () => {
  it('analyses the repository and scaffolds the guidelines, then reports initialized', async () => {
    const root = makeRepo(nodeProject);
    const first = await wfs(root, ['init']);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe('PROJECT_STATE: created');
    const tech = readJson(path.join(root, '.workflow', 'project-tech.json'));
    expect(tech).toMatchObject({
      project_name: 'shop',
      primary_language: 'TypeScript',
      frameworks: ['Hono'],
      test_frameworks: ['Vitest'],
      commands: { build: 'npm run build', test: 'npm test', lint: null, dev: null, coverage: null },
      package_managers: [{ name: 'npm', manifest: 'package.json', lockfile: 'package-lock.json' }],
      file_count: 5,
      scan: { source: 'git', truncated: false },
    });
    expect(JSON.stringify(tech)).not.toContain('node_modules');
    expect(JSON.stringify(tech)).not.toContain('dist/index.js');
    const guidelines = readJson(path.join(root, '.workflow', 'project-guidelines.json'));
    expect(Object.keys(guidelines)).toEqual(
      expect.arrayContaining(['conventions', 'constraints', 'quality_rules', 'learnings']),
    );

    const second = await wfs(root, ['init']);
    expect(second.stdout.split('\n')[0]).toBe('PROJECT_STATE: initialized');
    expect(readJson(path.join(root, '.workflow', 'project-tech.json'))).toEqual(tech);
  });

  it('--force re-analyses, keeps a backup of the old analysis, and never replaces the guidelines', async () => {
    const root = makeRepo(nodeProject);
    await wfs(root, ['init']);
    const guidelinesFile = path.join(root, '.workflow', 'project-guidelines.json');
    const guidelines = readJson(guidelinesFile);
    (guidelines.learnings as unknown[]).push({ insight: 'mine' });
    fs.writeFileSync(guidelinesFile, JSON.stringify(guidelines));
    const oldTech = fs.readFileSync(path.join(root, '.workflow', 'project-tech.json'), 'utf8');
    fs.writeFileSync(path.join(root, 'src', 'extra.py'), '');

    const run = await wfs(root, ['init', '--force', '--json']);
    const doc = json<{ project_state: string; backups: string[]; tech: { languages: { name: string }[] } }>(
      run,
    );
    expect(doc.project_state).toBe('initialized');
    expect(doc.backups).toHaveLength(1);
    expect(fs.readFileSync(doc.backups[0]!, 'utf8')).toBe(oldTech);
    expect(doc.backups[0]!.startsWith(path.join(root, '.workflow'))).toBe(true);
    expect(doc.tech.languages.map((l) => l.name)).toContain('Python');
    expect(readJson(guidelinesFile).learnings).toEqual([{ insight: 'mine' }]);
  });

  it('replaces a damaged analysis with a warning, keeping the damaged file aside', async () => {
    const root = makeRepo(nodeProject);
    await wfs(root, ['init']);
    fs.writeFileSync(path.join(root, '.workflow', 'project-tech.json'), '{"truncated');
    const run = await wfs(root, ['init']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^WARNING: project-tech.json is damaged/);
    expect(readJson(path.join(root, '.workflow', 'project-tech.json')).project_name).toBe('shop');
    const backups = fs.readdirSync(path.join(root, '.workflow', '.backups'));
    expect(backups).toEqual([expect.stringMatching(/^project-tech\..*\.damaged\.json$/)]);
    expect(fs.readFileSync(path.join(root, '.workflow', '.backups', backups[0]!), 'utf8')).toBe(
      '{"truncated',
    );
  });

  it('works outside git with a bounded walk', async () => {
    const root = makeRepo(
      { 'main.go': 'package main', 'go.mod': 'module example.com/tool\n', 'vendor/.gitignore': '' },
      { git: false },
    );
    const run = await wfs(root, ['init', '--json']);
    expect(json(run)).toMatchObject({
      project_state: 'created',
      tech: { project_name: 'tool', primary_language: 'Go', scan: { source: 'walk' } },
    });
  });

  it('reads a got-like library and a vite-like monorepo end to end', async () => {
    const got = makeRepo(gotLike());
    const gotRun = json<{ tech: Record<string, unknown> }>(await wfs(got, ['init', '--json']));
    expect(gotRun.tech).toMatchObject({
      frameworks: [],
      dev_frameworks: ['Express'],
      entry_points: [
        { kind: 'exports', path: 'dist/source/index.d.ts', source: 'source/index.ts' },
        { kind: 'exports', path: 'dist/source/index.js', source: 'source/index.ts' },
      ],
      overview: { technology_stack: { frameworks: [] }, architecture: { style: 'library' } },
      _metadata: { initialized_by: 'wfs', analysis_mode: 'quick-scan' },
    });

    const vite = makeRepo(viteLike());
    const run = await wfs(vite, ['init']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Project: @vitejs\/vite-monorepo \(TypeScript; /m);
    const tech = readJson(path.join(vite, '.workflow', 'project-tech.json'));
    expect(tech).toMatchObject({
      primary_language: 'TypeScript',
      workspaces: [{ tool: 'pnpm', manifest: 'pnpm-workspace.yaml' }],
      language_scope: { left_out: expect.arrayContaining([expect.objectContaining({ path: 'playground' })]) },
    });
    expect(
      (tech.workspace_packages as { path: string; role: string }[]).filter((p) => p.role === 'package'),
    ).toEqual([
      expect.objectContaining({ path: 'packages/create-vite' }),
      expect.objectContaining({ path: 'packages/vite' }),
    ]);
  });

  it('prints the coverage command an express-like project has', async () => {
    const root = makeRepo({
      'package.json': JSON.stringify({
        name: 'web',
        scripts: { test: 'mocha', 'test-cov': 'nyc --reporter=html npm test' },
        devDependencies: { mocha: '10', nyc: '17' },
      }),
      'index.js': '',
    });
    const run = await wfs(root, ['init']);
    expect(run.stdout).toMatch(/^Commands: .*coverage: npm run test-cov/m);
  });

  describe("a CCW project's project-tech.json", () => {
    const ccwProject = () => {
      const root = makeRepo(nodeProject);
      fs.mkdirSync(path.join(root, '.workflow'));
      const original = `${JSON.stringify(ccwProjectTech(), null, 2)}\n`;
      fs.writeFileSync(path.join(root, '.workflow', 'project-tech.json'), original);
      return { root, original };
    };
    const techOf = (root: string) => readJson(path.join(root, '.workflow', 'project-tech.json'));

    it('keeps its keys through init and init --force, and gets the overview CCW reads', async () => {
      const { root, original } = ccwProject();
      const first = await wfs(root, ['init']);
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(
        /^WARNING: project-tech.json was written by another tool \(cli-explore-agent\): re-analysed .*keeping its features, development_index, statistics, team_notes; the original is kept in \.workflow\/\.backups\/project-tech\..*\.foreign\.json$/m,
      );
      const ccw = ccwProjectTech();
      const check = (tech: Record<string, unknown>) => {
        for (const key of ['development_index', 'features', 'statistics', 'team_notes', 'initialized_at'])
          expect(tech[key]).toEqual(ccw[key]);
        expect(tech).toMatchObject({
          project_name: 'shop',
          frameworks: ['Hono'],
          overview: {
            glossary: { sku: 'stock keeping unit' },
            technology_stack: {
              languages: [{ name: 'TypeScript', file_count: 2, primary: true }],
              frameworks: ['Hono'],
              build_tools: ['npm'],
              test_frameworks: ['Vitest'],
            },
          },
          _metadata: { initialized_by: 'wfs', last_updated: '2025-02-01T00:00:00Z' },
        });
      };
      check(techOf(root));
      const backups = fs.readdirSync(path.join(root, '.workflow', '.backups'));
      expect(backups).toEqual([expect.stringMatching(/^project-tech\..*\.foreign\.json$/)]);
      expect(fs.readFileSync(path.join(root, '.workflow', '.backups', backups[0]!), 'utf8')).toBe(original);

      // CCW appends to its index in place, as its session tools do; a re-analysis keeps that too.
      const tech = techOf(root);
      (tech.development_index as { bugfix: unknown[] }).bugfix.push({ title: 'Fix cart' });
      fs.writeFileSync(path.join(root, '.workflow', 'project-tech.json'), JSON.stringify(tech));
      const forced = await wfs(root, ['init', '--force']);
      expect(forced.code).toBe(0);
      expect(forced.stderr).toBe('');
      const after = techOf(root);
      expect((after.development_index as { bugfix: unknown[] }).bugfix).toEqual([{ title: 'Fix cart' }]);
      expect(after.team_notes).toEqual(ccw.team_notes);
    });

    it('keeps its keys when the first wfs session start initialises the project', async () => {
      const { root } = ccwProject();
      const run = await wfs(root, ['session', 'start', '--new', 'add checkout']);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^WARNING: project-tech.json was written by another tool/m);
      const tech = techOf(root);
      expect(tech.development_index).toEqual(ccwProjectTech().development_index);
      expect(tech.overview).toMatchObject({ technology_stack: { frameworks: ['Hono'] } });
    });
  });

  it('init --force keeps the newest 5 copies of the analysis, and every damaged one', async () => {
    const root = makeRepo(nodeProject);
    await wfs(root, ['init']);
    const backupsDir = path.join(root, '.workflow', '.backups');
    fs.writeFileSync(path.join(root, '.workflow', 'project-tech.json'), 'damaged');
    await wfs(root, ['init']);
    const copies: string[] = [];
    for (let run = 0; run < 7; run++) {
      const result = json<{ backups: string[] }>(await wfs(root, ['init', '--force', '--json']));
      copies.push(path.basename(result.backups[0]!));
    }
    const names = fs.readdirSync(backupsDir).sort();
    expect(names.filter((n) => n.endsWith('.damaged.json'))).toHaveLength(1);
    expect(names.filter((n) => !n.endsWith('.damaged.json')).sort()).toEqual(copies.slice(-5).sort());
  });

  it('re-analyses a file of an older wfs without calling it damaged, and refuses one of a newer wfs', async () => {
    const root = makeRepo(nodeProject);
    await wfs(root, ['init']);
    const file = path.join(root, '.workflow', 'project-tech.json');
    const tech = readJson(file);
    // What 1.0 looked like: no overview, workspaces as globs.
    const older: Record<string, unknown> = { ...tech, schema_version: '1.0', workspaces: ['packages/*'] };
    delete older.overview;
    fs.writeFileSync(file, JSON.stringify(older));
    const upgrade = await wfs(root, ['init']);
    expect(upgrade.stderr).toMatch(
      /^WARNING: project-tech.json was written by an older wfs \(schema 1\.0\): re-analysed as 1\.1$/m,
    );
    expect(readJson(file)).toMatchObject({ schema_version: '1.1', workspaces: [] });

    // A newer wfs's valid file is used as it is, and --force will not turn it into an older schema.
    const valid = JSON.stringify({ ...readJson(file), schema_version: '1.9' });
    fs.writeFileSync(file, valid);
    expect((await wfs(root, ['init'])).code).toBe(0);
    expect((await wfs(root, ['init', '--force'])).stderr).toMatch(
      /^ERROR: project-tech.json was written by a newer wfs \(schema 1\.9;/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(valid);
    const newer = JSON.stringify({ ...readJson(file), schema_version: '2.0', languages: 'changed' });
    fs.writeFileSync(file, newer);
    const refused = await wfs(root, ['init', '--json']);
    expect(refused.code).toBe(1);
    expect(json<{ error: { code: string } }>(refused).error.code).toBe('E_FUTURE_VERSION');
    expect(fs.readFileSync(file, 'utf8')).toBe(newer);
  });
});
