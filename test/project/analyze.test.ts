import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRepository, compose, DETECTORS } from '../../src/project/analyze.js';
import { detectCoverage } from '../../src/project/detect/coverage.js';
import { detectEntryPoints } from '../../src/project/detect/entry-points.js';
import { detectLanguages } from '../../src/project/detect/languages.js';
import { detectNode } from '../../src/project/detect/node.js';
import { detectPython } from '../../src/project/detect/python.js';
import { repoView } from '../../src/project/detect/repo.js';
import { detectRuby } from '../../src/project/detect/ruby.js';
import { detectRust } from '../../src/project/detect/rust.js';
import { detectWorkspaces } from '../../src/project/detect/workspaces.js';
import { scanRepository } from '../../src/project/scan.js';
import { makeRepo } from '../helpers.js';
import { expressLike, gotLike, type Tree, viteLike } from './fixtures.js';

function analyze(files: Tree) {
  return analyzeRepository({
    files: Object.keys(files),
    read: (f) => files[f],
    fallbackName: 'fallback',
  });
}

/** A Repo over an in-memory tree, for one detector at a time. */
function repo(files: Tree) {
  return repoView(Object.keys(files), (f) => files[f]);
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
        devDependencies: { vitest: '4', '@playwright/test': '1', typescript: '5' },
      }),
      'pnpm-lock.yaml': '',
      'src/index.ts': '',
      'src/cli.ts': '',
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
    expect(a.dev_frameworks).toEqual([]);
    expect(a.test_frameworks).toEqual(['Playwright', 'Vitest']);
    expect(a.build_tools).toEqual(['pnpm', 'tsc']);
    expect(a.commands).toEqual({
      build: 'pnpm build',
      test: 'pnpm test',
      lint: 'pnpm lint',
      dev: 'pnpm dev',
      coverage: null,
    });
    // Declared entry points are kept even when not built yet, with the source they come from.
    expect(a.entry_points).toEqual([
      { kind: 'main', path: 'dist/index.js', source: 'src/index.ts' },
      { kind: 'bin', name: 'shop', path: 'dist/cli.js', source: 'src/cli.ts' },
    ]);
    expect(a.key_directories.map((d) => `${d.path}:${d.role}:${d.files}`)).toEqual([
      'docs:documentation:1',
      'src:source:4',
      'test:tests:1',
    ]);
  });

  it('reads Python, Go and Rust manifests', () => {
    const py = analyze({
      'pyproject.toml': [
        '[project]',
        'name = "svc"',
        'description = "A Flask-free service"',
        'dependencies = ["fastapi>=0.1", "pytest"]',
        '[project.optional-dependencies]',
        'dev = ["flask>=3", "pytest-cov"]',
        'server = ["tornado"]',
        '[project.scripts]',
        'svc = "svc.cli:main"',
        '[build-system]',
        'requires = ["hatchling"]',
      ].join('\n'),
      'svc/__init__.py': '',
      'svc/cli.py': '',
    });
    expect(py).toMatchObject({
      project_name: 'svc',
      description: 'A Flask-free service',
      primary_language: 'Python',
      frameworks: ['FastAPI', 'Tornado'],
      dev_frameworks: ['Flask'],
      test_frameworks: ['pytest'],
      build_tools: ['pip', 'hatchling'],
      coverage_tools: ['pytest-cov'],
      entry_points: [{ kind: 'script', name: 'svc', path: 'svc.cli:main', source: 'svc/cli.py' }],
    });
    expect(py.commands).toMatchObject({ test: 'pytest', coverage: 'pytest --cov' });

    const go = analyze({
      'go.mod': 'module github.com/acme/tool\n\nrequire github.com/spf13/cobra v1.8.0\n',
      'cmd/tool/main.go': '',
      'go.sum': '',
    });
    expect(go).toMatchObject({
      project_name: 'tool',
      primary_language: 'Go',
      frameworks: ['Cobra'],
      entry_points: [{ kind: 'conventional', path: 'cmd/tool/main.go', source: 'cmd/tool/main.go' }],
    });
    expect(go.commands).toEqual({
      build: 'go build ./...',
      test: 'go test ./...',
      lint: 'go vet ./...',
      dev: null,
      coverage: 'go test -cover ./...',
    });

    const rust = analyze({
      'Cargo.toml':
        '[package]\nname = "engine"\n\n[dependencies]\nserde = "1"\n\n[dev-dependencies]\ntokio = "1"\n\n[dependencies.clap]\nversion = "4"\n',
      'src/main.rs': '',
    });
    expect(rust).toMatchObject({
      project_name: 'engine',
      primary_language: 'Rust',
      frameworks: ['Serde', 'clap'],
      dev_frameworks: ['Tokio'],
    });
  });

  it('takes Makefile targets when no manifest gives a command, after the manifests when one does', () => {
    const a = analyze({
      Makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\ncoverage:\n\tgcov\nVAR := 1\n',
      'x.c': '',
    });
    expect(a.commands).toMatchObject({
      build: 'make build',
      test: 'make test',
      lint: null,
      coverage: 'make coverage',
    });
    expect(a.project_name).toBe('fallback');
    const both = analyze({
      Makefile: 'test:\n\tnpm test\n',
      'package.json': JSON.stringify({ scripts: { test: 'vitest' } }),
    });
    expect(both.commands.test).toBe('npm test');
  });

  it('is a table of detectors composed in order: the first single value wins, lists are joined', () => {
    const composed = compose(
      [
        { project_name: 'first', frameworks: ['B'], commands: { test: 'a' } },
        {
          project_name: 'second',
          frameworks: ['A', 'B'],
          dev_frameworks: ['A', 'C'],
          commands: { test: 'b', lint: 'l' },
        },
      ],
      'fallback',
      0,
    );
    expect(composed).toMatchObject({
      project_name: 'first',
      frameworks: ['A', 'B'],
      // A framework that runs somewhere is not dev-only anywhere.
      dev_frameworks: ['C'],
      commands: { test: 'a', lint: 'l', build: null },
    });
    expect(DETECTORS.length).toBeGreaterThan(10);
  });

  it('detectors read only listed files, and only through the Reader', () => {
    const tree = { ...gotLike(), ...expressLike(), 'pyproject.toml': '[project]\nname = "x"\n' };
    const reads: string[] = [];
    const listed = Object.keys(tree).filter((f) => f !== 'tsconfig.json');
    const view = repoView(listed, (f) => {
      reads.push(f);
      return tree[f as keyof typeof tree];
    });
    for (const detect of DETECTORS) detect(view);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((f) => listed.includes(f))).toBe(true);
    // Read once each, however many detectors look at the file.
    expect(new Set(reads).size).toBe(reads.length);
  });
});

describe('a pnpm monorepo shaped like vite', () => {
  const a = analyze(viteLike());

  it('reads the pnpm workspaces and lists the packages with their names, paths and roles', () => {
    expect(a.workspaces).toEqual([
      {
        tool: 'pnpm',
        manifest: 'pnpm-workspace.yaml',
        patterns: ['packages/*', 'playground/**', 'packages/**/__tests__/**', 'docs'],
      },
    ]);
    const packages = a.workspace_packages.map((p) => `${p.path} ${p.name} ${p.role}`);
    expect(packages).toEqual([
      'docs docs docs',
      'packages/create-vite create-vite package',
      'packages/vite vite package',
      'packages/vite/src/node/__tests__/packages/name @vitejs/test-name fixture',
      'playground @vitejs/playground fixture',
      'playground/alias @vitejs/test-alias fixture',
      'playground/css @vitejs/test-css fixture',
      'playground/hmr @vitejs/test-hmr fixture',
      'playground/ssr-vue @vitejs/test-ssr-vue fixture',
      'playground/ssr-vue/nested/deep @vitejs/test-deep fixture',
      'playground/worker @vitejs/test-worker fixture',
    ]);
  });

  it('chooses TypeScript, leaving the playground and fixtures out, and says so', () => {
    expect(a.primary_language).toBe('TypeScript');
    // 30 .js files and 7 package.json.
    expect(a.language_scope.left_out).toContainEqual({ path: 'playground', reason: 'playground', files: 37 });
    expect(a.language_scope.left_out).toContainEqual({
      path: 'packages/vite/src/node/__tests__/fixtures',
      reason: 'fixtures',
      files: 2,
    });
    expect(a.languages.find((l) => l.name === 'JavaScript')?.files).toBe(2);
    // Without leaving them out, JavaScript would win.
    const everything = Object.keys(viteLike()).filter((f) => f.endsWith('.js')).length;
    expect(everything).toBeGreaterThan(a.languages.find((l) => l.name === 'TypeScript')!.files);
  });

  it('takes frameworks from member packages, not from fixtures or the docs site', () => {
    expect(a.frameworks).toEqual([]);
    expect(a.dev_frameworks).toEqual(['Vue']);
    expect(a.build_tools).toEqual(['pnpm', 'tsc', 'esbuild', 'Rolldown']);
  });

  it('lists the entry points of the member packages with their sources', () => {
    const vite = a.entry_points.filter((e) => e.package === 'packages/vite');
    expect(vite).toContainEqual({
      kind: 'exports',
      subpath: '.',
      conditions: ['default'],
      path: 'packages/vite/dist/node/index.js',
      source: 'packages/vite/src/node/index.ts',
      package: 'packages/vite',
    });
    expect(vite).toContainEqual(
      expect.objectContaining({
        subpath: './client',
        conditions: ['types'],
        source: 'packages/vite/client.d.ts',
      }),
    );
    expect(vite).toContainEqual(
      expect.objectContaining({ subpath: './types/*', path: 'packages/vite/types/*', source: null }),
    );
    expect(vite).toContainEqual(
      expect.objectContaining({ kind: 'bin', name: 'vite', source: 'packages/vite/bin/vite.js' }),
    );
    expect(vite.map((e) => e.subpath)).not.toContain('./types/internal/*');
    expect(vite.map((e) => e.subpath)).not.toContain('./package.json');
    expect(a.entry_points.filter((e) => e.package === 'packages/create-vite')).toEqual([
      {
        kind: 'main',
        path: 'packages/create-vite/index.js',
        source: 'packages/create-vite/index.js',
        package: 'packages/create-vite',
      },
      {
        kind: 'bin',
        name: 'create-vite',
        path: 'packages/create-vite/index.js',
        source: 'packages/create-vite/index.js',
        package: 'packages/create-vite',
      },
      {
        kind: 'bin',
        name: 'cva',
        path: 'packages/create-vite/index.js',
        source: 'packages/create-vite/index.js',
        package: 'packages/create-vite',
      },
    ]);
    expect(a.entry_points.some((e) => e.path.startsWith('playground/'))).toBe(false);
  });

  it("describes it for CCW's dashboard", () => {
    expect(a.overview.architecture.style).toBe('monorepo (pnpm workspaces, 2 packages)');
    expect(a.overview.technology_stack.languages[0]).toEqual({
      name: 'TypeScript',
      file_count: 10,
      primary: true,
    });
    expect(a.overview.key_components.slice(0, 2)).toEqual([
      {
        name: 'create-vite',
        path: 'packages/create-vite',
        description: 'workspace package',
        importance: 'high',
      },
      {
        name: 'vite',
        path: 'packages/vite',
        description: 'Native-ESM powered web dev build tool',
        importance: 'high',
      },
    ]);
    expect(a.overview.key_components.map((c) => c.path)).not.toContain('playground/css');
  });
});

describe('a library shaped like got', () => {
  const a = analyze(gotLike());

  it('lists express, only a devDependency of its tests, as dev-only, not as its framework', () => {
    expect(a.frameworks).toEqual([]);
    expect(a.dev_frameworks).toEqual(['Express']);
    expect(a.test_frameworks).toEqual(['AVA']);
    expect(a.overview.technology_stack.frameworks).toEqual([]);
    expect(a.overview.architecture.style).toBe('library');
    expect(a.description).toBe('Human-friendly and powerful HTTP request library for Node.js');
  });

  it('maps exports into dist/ back to source/ through the tsconfig (outDir, include)', () => {
    expect(a.entry_points).toEqual([
      {
        kind: 'exports',
        subpath: '.',
        conditions: ['types'],
        path: 'dist/source/index.d.ts',
        source: 'source/index.ts',
      },
      {
        kind: 'exports',
        subpath: '.',
        conditions: ['default'],
        path: 'dist/source/index.js',
        source: 'source/index.ts',
      },
    ]);
  });

  it('finds c8 as a coverage tool even without a coverage script', () => {
    expect(a.coverage_tools).toEqual(['c8']);
    expect(a.commands.coverage).toBeNull();
  });
});

describe('entry points', () => {
  it('reads exports with conditions and subpaths, main, module and bin, mapped by rootDir/outDir', () => {
    const tree: Tree = {
      'package.json': JSON.stringify({
        name: '@acme/kit',
        main: './dist/index.cjs',
        module: './dist/index.js',
        bin: './dist/cli.js',
        exports: {
          '.': {
            import: { types: './dist/index.d.ts', default: './dist/index.js' },
            require: './dist/index.cjs',
          },
          './utils': { node: ['./dist/utils.node.js', './dist/utils.js'], default: './dist/utils.js' },
          './feature/*': './dist/feature/*.js',
          './internal/*': null,
          './package.json': './package.json',
        },
      }),
      'tsconfig.json': JSON.stringify({ extends: './tsconfig.base.json', include: ['lib'] }),
      'tsconfig.base.json': JSON.stringify({ compilerOptions: { rootDir: 'lib', outDir: 'dist' } }),
      'lib/index.ts': '',
      'lib/index.cts': '',
      'lib/utils.ts': '',
      'lib/cli.ts': '',
    };
    const { entry_points: entries = [] } = detectEntryPoints(repo(tree));
    expect(entries).toEqual([
      {
        kind: 'exports',
        subpath: '.',
        conditions: ['import/types'],
        path: 'dist/index.d.ts',
        source: 'lib/index.ts',
      },
      {
        kind: 'exports',
        subpath: '.',
        conditions: ['import/default'],
        path: 'dist/index.js',
        source: 'lib/index.ts',
      },
      {
        kind: 'exports',
        subpath: '.',
        conditions: ['require'],
        path: 'dist/index.cjs',
        source: 'lib/index.cts',
      },
      { kind: 'exports', subpath: './utils', conditions: ['node'], path: 'dist/utils.node.js', source: null },
      {
        kind: 'exports',
        subpath: './utils',
        conditions: ['node', 'default'],
        path: 'dist/utils.js',
        source: 'lib/utils.ts',
      },
      {
        kind: 'exports',
        subpath: './feature/*',
        conditions: ['default'],
        path: 'dist/feature/*.js',
        source: null,
      },
      { kind: 'main', path: 'dist/index.cjs', source: 'lib/index.cts' },
      { kind: 'module', path: 'dist/index.js', source: 'lib/index.ts' },
      { kind: 'bin', name: 'kit', path: 'dist/cli.js', source: 'lib/cli.ts' },
    ]);
  });

  it('maps by layout where no tsconfig says (dist/esm/x.js -> src/x.ts), and keeps a source path as it is', () => {
    const { entry_points: entries = [] } = detectEntryPoints(
      repo({
        'package.json': JSON.stringify({
          exports: { import: './dist/esm/index.mjs', require: './dist/cjs/index.js' },
          main: 'main.js',
        }),
        'src/index.ts': '',
        'main.js': '',
      }),
    );
    expect(entries.map((e) => `${e.path} <- ${e.source}`)).toEqual([
      'dist/esm/index.mjs <- src/index.ts',
      'dist/cjs/index.js <- src/index.ts',
      'main.js <- main.js',
    ]);
  });

  it('takes a string `exports`, and names what it cannot map', () => {
    const { entry_points: entries = [] } = detectEntryPoints(
      repo({ 'package.json': JSON.stringify({ exports: './build/out.js' }) }),
    );
    expect(entries).toEqual([
      { kind: 'exports', subpath: '.', conditions: ['default'], path: 'build/out.js', source: null },
    ]);
  });
});

describe('coverage', () => {
  it("finds express's nyc scripts: test-cov before test-ci", () => {
    const a = analyze(expressLike());
    expect(a.commands.coverage).toBe('npm run test-cov');
    expect(a.commands.test).toBe('npm test');
    expect(a.coverage_tools).toEqual(['nyc']);
    expect(a.test_frameworks).toEqual(['Mocha', 'SuperTest']);
  });

  it('recognises c8, vitest and jest --coverage, istanbul, and coverage in the test script itself', () => {
    const coverage = (scripts: Record<string, string>, extra: Record<string, unknown> = {}) =>
      detectCoverage(repo({ 'package.json': JSON.stringify({ scripts, ...extra }), 'pnpm-lock.yaml': '' }));
    expect(coverage({ 'test:coverage': 'vitest run --coverage', test: 'vitest' })).toEqual({
      coverage_tools: ['vitest --coverage'],
      commands: { coverage: 'pnpm test:coverage' },
    });
    expect(coverage({ coverage: 'c8 node --test' }).commands?.coverage).toBe('pnpm coverage');
    expect(coverage({ unit: 'jest --coverage --ci' }).commands?.coverage).toBe('pnpm unit');
    expect(coverage({ cover: 'istanbul cover _mocha' }).coverage_tools).toEqual(['istanbul']);
    expect(coverage({ test: 'xo && nyc ava' }).commands?.coverage).toBe('pnpm test');
    // Only reporting what an earlier run measured is no coverage command.
    expect(
      coverage({ coveralls: 'nyc report --reporter=text-lcov | coveralls' }).commands?.coverage,
    ).toBeNull();
    expect(
      coverage({ test: 'vitest' }, { devDependencies: { '@vitest/coverage-v8': '4' } }).coverage_tools,
    ).toEqual(['Vitest coverage (v8)']);
  });
});

describe('languages', () => {
  it('leaves out vendored, generated and example code, and .gitattributes can say otherwise', () => {
    const found = detectLanguages(
      repo({
        '.gitattributes': 'assets/*.js linguist-generated\nexamples/core/** -linguist-vendored\n',
        'main.go': '',
        'util.go': '',
        'vendor/a.js': '',
        'vendor/b.js': '',
        'web/app.min.js': '',
        'assets/bundle.js': '',
        'assets/more.js': '',
        'examples/core/x.js': '',
      }),
    );
    expect(found.primary_language).toBe('Go');
    expect(found.languages).toEqual([
      { name: 'Go', files: 2, extensions: ['.go'] },
      { name: 'JavaScript', files: 1, extensions: ['.js'] },
    ]);
    expect(found.language_scope).toEqual({
      counted_files: 3,
      left_out_files: 5,
      left_out: [
        {
          path: 'generated (.gitattributes assets/*.js)',
          reason: 'generated (.gitattributes assets/*.js)',
          files: 2,
        },
        { path: 'vendor', reason: 'vendored', files: 2 },
        { path: '*.min.js', reason: 'generated', files: 1 },
      ],
    });
  });

  it('counts everything when nothing but examples is there', () => {
    const found = detectLanguages(repo({ 'examples/a.py': '', 'examples/b.py': '' }));
    expect(found.primary_language).toBe('Python');
    expect(found.language_scope?.note).toMatch(/all of it was counted/);
  });
});

describe('workspaces', () => {
  const workspacesOf = (tree: Tree) => detectWorkspaces(repo(tree));

  it('reads npm and yarn `workspaces` (array and object forms), with negations', () => {
    const npm = workspacesOf({
      'package.json': JSON.stringify({ workspaces: ['packages/*', '!packages/old'] }),
      'packages/a/package.json': JSON.stringify({ name: 'a' }),
      'packages/old/package.json': JSON.stringify({ name: 'old' }),
      'packages/a/nested/package.json': JSON.stringify({ name: 'not-matched' }),
    });
    expect(npm.workspaces).toEqual([
      { tool: 'npm', manifest: 'package.json', patterns: ['packages/*', '!packages/old'] },
    ]);
    expect(npm.workspace_packages).toEqual([{ name: 'a', path: 'packages/a', role: 'package' }]);
    const yarn = workspacesOf({
      'package.json': JSON.stringify({ workspaces: { packages: ['{apps,libs}/*'], nohoist: ['**/x'] } }),
      'yarn.lock': '',
      'apps/web/package.json': JSON.stringify({ name: 'web', description: 'the site' }),
      'libs/core/package.json': JSON.stringify({}),
    });
    expect(yarn.workspaces?.[0]?.tool).toBe('yarn');
    expect(yarn.workspace_packages).toEqual([
      { name: 'web', path: 'apps/web', role: 'package', description: 'the site' },
      { name: null, path: 'libs/core', role: 'package' },
    ]);
  });

  it('reads lerna (packages/* by default), nx projects, cargo workspaces and go.work', () => {
    const lerna = workspacesOf({
      'package.json': JSON.stringify({}),
      'lerna.json': JSON.stringify({ version: '1.0.0' }),
      'packages/x/package.json': JSON.stringify({ name: 'x' }),
    });
    expect(lerna.workspaces).toEqual([{ tool: 'lerna', manifest: 'lerna.json', patterns: ['packages/*'] }]);
    expect(lerna.workspace_packages?.map((p) => p.name)).toEqual(['x']);
    const nx = workspacesOf({
      'nx.json': '{}',
      'apps/api/project.json': JSON.stringify({ name: 'api' }),
      'libs/ui/project.json': '{}',
      'libs/ui/package.json': JSON.stringify({ name: '@acme/ui' }),
    });
    expect(nx.workspace_packages?.map((p) => `${p.path}=${p.name}`)).toEqual([
      'apps/api=api',
      'libs/ui=@acme/ui',
    ]);
    const cargo = workspacesOf({
      'Cargo.toml': '[workspace]\nmembers = [\n  "crates/*",\n]\nexclude = ["crates/skip"]\n',
      'crates/core/Cargo.toml': '[package]\nname = "core"\n',
      'crates/skip/Cargo.toml': '[package]\nname = "skip"\n',
    });
    expect(cargo.workspace_packages).toEqual([{ name: 'core', path: 'crates/core', role: 'package' }]);
    const go = workspacesOf({
      'go.work': 'go 1.22\n\nuse (\n\t./api // the server\n\t./tools\n)\n',
      'api/go.mod': 'module example.com/api\n',
      'tools/go.mod': 'module example.com/tools\n',
    });
    expect(go.workspace_packages?.map((p) => p.name)).toEqual(['example.com/api', 'example.com/tools']);
  });

  it('a pnpm-workspace.yaml that does not parse declares no packages', () => {
    const found = workspacesOf({ 'pnpm-workspace.yaml': 'packages: [unclosed', 'a/package.json': '{}' });
    expect(found.workspaces).toEqual([{ tool: 'pnpm', manifest: 'pnpm-workspace.yaml', patterns: [] }]);
    expect(found.workspace_packages).toEqual([]);
  });
});

describe('dev-only dependencies in other ecosystems', () => {
  it('Node peer dependencies are runtime; Ruby groups, Cargo dev-dependencies and Python extras are not', () => {
    expect(
      detectNode(
        repo({
          'package.json': JSON.stringify({
            peerDependencies: { react: '19' },
            devDependencies: { react: '19' },
          }),
        }),
      ).frameworks,
    ).toEqual(['React']);
    const ruby = detectRuby(
      repo({ Gemfile: "gem 'rails'\ngroup :development, :test do\n  gem 'sinatra'\n  gem 'rspec'\nend\n" }),
    );
    expect(ruby).toMatchObject({
      frameworks: ['Rails'],
      dev_frameworks: ['Sinatra'],
      test_frameworks: ['RSpec'],
    });
    expect(detectRust(repo({ 'Cargo.toml': '[dev-dependencies]\naxum = "0.7"\n' }))).toMatchObject({
      frameworks: [],
      dev_frameworks: ['Axum'],
    });
    expect(
      detectPython(
        repo({ 'pyproject.toml': '[dependency-groups]\ndev = ["django"]\n', 'requirements.txt': 'flask\n' }),
      ),
    ).toMatchObject({ frameworks: ['Flask'], dev_frameworks: ['Django'] });
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
    const dir = makeRepo(tree);
    const scan = scanRepository(dir);
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
