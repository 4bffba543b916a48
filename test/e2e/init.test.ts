import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, makeRepo, readJson, wfs } from '../helpers.js';
import { gotLike, viteLike } from '../project/fixtures.js';

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
    expect(backups).toHaveLength(1);
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
});
