import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRepository } from '../../src/project/analyze.js';
import { scanRepository } from '../../src/project/scan.js';
import { makeRepo } from '../helpers.js';

function analyze(files: Record<string, string>) {
  return analyzeRepository({
    files: Object.keys(files).sort(),
    read: (f) => files[f],
    fallbackName: 'fallback',
  });
}

describe('repository analysis', () => {
  it('reads a Node/TypeScript project from its manifest', () => {
    const a = analyze({
      'package.json': JSON.stringify({
        name: 'shop',
        main: 'dist/index.js',
        bin: { shop: './dist/cli.js' },
        scripts: { build: 'tsc', test: 'vitest run', lint: 'biome check .', dev: 'vite' },
        dependencies: { react: '19', express: '5' },
        devDependencies: { vitest: '4', '@playwright/test': '1' },
      }),
      'pnpm-lock.yaml': '',
      'src/index.ts': '',
      'src/app.tsx': '',
      'src/util.js': '',
      'test/app.test.ts': '',
      'docs/guide.md': '',
      'data/a.json': '',
      'data/b.json': '',
      'data/c.json': '',
      'data/d.json': '',
    });
    expect(a.project_name).toBe('shop');
    expect(a.primary_language).toBe('TypeScript');
    expect(a.languages[0]).toEqual({ name: 'JSON', files: 5, extensions: ['.json'] });
    expect(a.package_managers).toEqual([
      { name: 'pnpm', manifest: 'package.json', lockfile: 'pnpm-lock.yaml' },
    ]);
    expect(a.frameworks).toEqual(['Express', 'React']);
    expect(a.test_frameworks).toEqual(['Playwright', 'Vitest']);
    expect(a.commands).toEqual({
      build: 'pnpm build',
      test: 'pnpm test',
      lint: 'pnpm lint',
      dev: 'pnpm dev',
    });
    expect(a.entry_points).toEqual(['dist/cli.js', 'dist/index.js', 'src/index.ts']);
    expect(a.key_directories.map((d) => `${d.path}:${d.role}:${d.files}`)).toEqual([
      'docs:documentation:1',
      'src:source:3',
      'test:tests:1',
    ]);
  });

  it('reads Python, Go and Rust manifests', () => {
    const py = analyze({
      'pyproject.toml': '[project]\nname = "svc"\ndependencies = ["fastapi>=0.1", "pytest"]\n',
      'app/main.py': '',
    });
    expect(py).toMatchObject({
      project_name: 'svc',
      primary_language: 'Python',
      frameworks: ['FastAPI'],
      test_frameworks: ['pytest'],
    });
    expect(py.commands.test).toBe('pytest');
    const go = analyze({
      'go.mod': 'module github.com/acme/tool\n\nrequire github.com/spf13/cobra v1.8.0\n',
      'cmd/tool/main.go': '',
      'go.sum': '',
    });
    expect(go).toMatchObject({
      project_name: 'tool',
      primary_language: 'Go',
      frameworks: ['Cobra'],
      entry_points: ['cmd/tool/main.go'],
    });
    expect(go.commands).toEqual({
      build: 'go build ./...',
      test: 'go test ./...',
      lint: 'go vet ./...',
      dev: null,
    });
    const rust = analyze({
      'Cargo.toml': '[package]\nname = "engine"\n\n[dependencies]\ntokio = "1"\n',
      'src/main.rs': '',
    });
    expect(rust).toMatchObject({ project_name: 'engine', primary_language: 'Rust', frameworks: ['Tokio'] });
  });

  it('takes Makefile targets when no manifest gives a command', () => {
    const a = analyze({ Makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\nVAR := 1\n', 'x.c': '' });
    expect(a.commands).toMatchObject({ build: 'make build', test: 'make test', lint: null });
    expect(a.project_name).toBe('fallback');
  });
});

describe('repository scan', () => {
  const tree = {
    '.gitignore': 'build/\n*.log\n',
    'src/a.ts': '',
    'src/nested/.gitignore': 'secret.ts\n',
    'src/nested/secret.ts': '',
    'src/nested/ok.ts': '',
    'build/out.js': '',
    'debug.log': '',
    'node_modules/dep/index.js': '',
  };

  it('respects every .gitignore and never enters node_modules (git checkout)', () => {
    const repo = makeRepo(tree);
    const scan = scanRepository(repo);
    expect(scan.source).toBe('git');
    expect(scan.files).toEqual(['.gitignore', 'src/a.ts', 'src/nested/.gitignore', 'src/nested/ok.ts']);
  });

  it('does the same by walking outside git', () => {
    const dir = makeRepo(tree, { git: false });
    const scan = scanRepository(dir);
    expect(scan.source).toBe('walk');
    expect(scan.files).toEqual(['.gitignore', 'src/a.ts', 'src/nested/.gitignore', 'src/nested/ok.ts']);
  });

  it('is bounded, and says so', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`f${i}.ts`] = '';
    for (const git of [true, false]) {
      const scan = scanRepository(makeRepo(files, { git }), 10);
      expect(scan.files).toHaveLength(10);
      expect(scan.truncated).toBe(true);
    }
    const dir = makeRepo({ 'x.ts': '' });
    fs.rmSync(path.join(dir, 'x.ts'));
    expect(scanRepository(dir).truncated).toBe(false);
  });
});
