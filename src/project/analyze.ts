import { compareText } from '../core/ids.js';
/**
 * Repository analysis for project-tech.json, pure: it sees a list of files and reads the few
 * manifests it needs through `read`, so tests feed it small file trees and the CLI the real disk.
 */

export interface LanguageStat {
  name: string;
  files: number;
  extensions: string[];
}

export interface PackageManager {
  name: string;
  manifest: string;
  lockfile: string | null;
}

export type ProjectCommands = {
  build: string | null;
  test: string | null;
  lint: string | null;
  dev: string | null;
};

export interface KeyDirectory {
  path: string;
  role: string;
  files: number;
}

export interface Analysis {
  project_name: string;
  languages: LanguageStat[];
  primary_language: string | null;
  package_managers: PackageManager[];
  manifests: string[];
  frameworks: string[];
  test_frameworks: string[];
  commands: ProjectCommands;
  key_directories: KeyDirectory[];
  entry_points: string[];
  workspaces: string[];
  file_count: number;
}

type Reader = (relativePath: string) => string | undefined;

// Extensions of programming languages; markup and data formats are counted apart so that a
// repository with many JSON fixtures is still recognised as the TypeScript project it is.
const PROGRAMMING: Record<string, string> = {
  ts: 'TypeScript',
  tsx: 'TypeScript',
  mts: 'TypeScript',
  cts: 'TypeScript',
  js: 'JavaScript',
  jsx: 'JavaScript',
  mjs: 'JavaScript',
  cjs: 'JavaScript',
  py: 'Python',
  pyi: 'Python',
  go: 'Go',
  rs: 'Rust',
  java: 'Java',
  kt: 'Kotlin',
  kts: 'Kotlin',
  scala: 'Scala',
  rb: 'Ruby',
  php: 'PHP',
  cs: 'C#',
  fs: 'F#',
  c: 'C',
  h: 'C',
  cc: 'C++',
  cpp: 'C++',
  cxx: 'C++',
  hpp: 'C++',
  hh: 'C++',
  swift: 'Swift',
  m: 'Objective-C',
  dart: 'Dart',
  lua: 'Lua',
  ex: 'Elixir',
  exs: 'Elixir',
  erl: 'Erlang',
  hs: 'Haskell',
  ml: 'OCaml',
  clj: 'Clojure',
  zig: 'Zig',
  nim: 'Nim',
  r: 'R',
  jl: 'Julia',
  pl: 'Perl',
  sh: 'Shell',
  bash: 'Shell',
  zsh: 'Shell',
  ps1: 'PowerShell',
  vue: 'Vue',
  svelte: 'Svelte',
  sql: 'SQL',
  sol: 'Solidity',
};
const OTHER: Record<string, string> = {
  md: 'Markdown',
  mdx: 'Markdown',
  json: 'JSON',
  yaml: 'YAML',
  yml: 'YAML',
  toml: 'TOML',
  xml: 'XML',
  html: 'HTML',
  htm: 'HTML',
  css: 'CSS',
  scss: 'CSS',
  sass: 'CSS',
  less: 'CSS',
};

function extensionOf(file: string): string | undefined {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return base.slice(dot + 1).toLowerCase();
}

function countLanguages(files: readonly string[]): { languages: LanguageStat[]; primary: string | null } {
  const byName = new Map<string, { files: number; extensions: Set<string>; programming: boolean }>();
  for (const file of files) {
    const ext = extensionOf(file);
    if (ext === undefined) continue;
    const programming = PROGRAMMING[ext];
    const name = programming ?? OTHER[ext];
    if (name === undefined) continue;
    const stat = byName.get(name) ?? {
      files: 0,
      extensions: new Set<string>(),
      programming: programming !== undefined,
    };
    stat.files++;
    stat.extensions.add(`.${ext}`);
    byName.set(name, stat);
  }
  const sorted = [...byName.entries()].sort((a, b) => b[1].files - a[1].files || compareText(a[0], b[0]));
  const languages = sorted.map(([name, s]) => ({
    name,
    files: s.files,
    extensions: [...s.extensions].sort(),
  }));
  const primary = sorted.find(([, s]) => s.programming)?.[0] ?? null;
  return { languages, primary };
}

const MANIFEST_NAMES = new Set([
  'package.json',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'requirements.txt',
  'Pipfile',
  'go.mod',
  'Cargo.toml',
  'Gemfile',
  'composer.json',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'Makefile',
  'CMakeLists.txt',
  'deno.json',
  'mix.exs',
  'pubspec.yaml',
  'Package.swift',
]);

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

const JS_FRAMEWORKS: Record<string, string> = {
  react: 'React',
  next: 'Next.js',
  vue: 'Vue',
  nuxt: 'Nuxt',
  svelte: 'Svelte',
  '@sveltejs/kit': 'SvelteKit',
  '@angular/core': 'Angular',
  'solid-js': 'Solid',
  astro: 'Astro',
  '@remix-run/react': 'Remix',
  express: 'Express',
  fastify: 'Fastify',
  koa: 'Koa',
  hono: 'Hono',
  '@nestjs/core': 'NestJS',
  electron: 'Electron',
  vite: 'Vite',
  'react-native': 'React Native',
  '@modelcontextprotocol/sdk': 'MCP SDK',
  commander: 'Commander',
};
const JS_TEST: Record<string, string> = {
  vitest: 'Vitest',
  jest: 'Jest',
  mocha: 'Mocha',
  ava: 'AVA',
  jasmine: 'Jasmine',
  tap: 'tap',
  '@playwright/test': 'Playwright',
  cypress: 'Cypress',
  '@testing-library/react': 'Testing Library',
};
const PY_FRAMEWORKS: Record<string, string> = {
  django: 'Django',
  flask: 'Flask',
  fastapi: 'FastAPI',
  starlette: 'Starlette',
  tornado: 'Tornado',
  aiohttp: 'aiohttp',
  pydantic: 'Pydantic',
  sqlalchemy: 'SQLAlchemy',
  celery: 'Celery',
};
const PY_TEST: Record<string, string> = {
  pytest: 'pytest',
  nose2: 'nose2',
  hypothesis: 'Hypothesis',
  tox: 'tox',
};
const GO_FRAMEWORKS: Record<string, string> = {
  'github.com/gin-gonic/gin': 'Gin',
  'github.com/labstack/echo': 'Echo',
  'github.com/gofiber/fiber': 'Fiber',
  'github.com/go-chi/chi': 'chi',
  'github.com/spf13/cobra': 'Cobra',
  'google.golang.org/grpc': 'gRPC',
};
const RUST_FRAMEWORKS: Record<string, string> = {
  'actix-web': 'Actix Web',
  axum: 'Axum',
  rocket: 'Rocket',
  tokio: 'Tokio',
  warp: 'warp',
  clap: 'clap',
  serde: 'Serde',
};
const RUBY_FRAMEWORKS: Record<string, string> = { rails: 'Rails', sinatra: 'Sinatra' };
const RUBY_TEST: Record<string, string> = { rspec: 'RSpec', minitest: 'Minitest' };
const PHP_FRAMEWORKS: Record<string, string> = {
  'laravel/framework': 'Laravel',
  'symfony/framework-bundle': 'Symfony',
};
const PHP_TEST: Record<string, string> = { 'phpunit/phpunit': 'PHPUnit', 'pestphp/pest': 'Pest' };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Declared dependency names in text manifests (requirements, pyproject, Gemfile, Cargo.toml, go.mod). */
function declares(text: string, name: string): boolean {
  return new RegExp(`(^|[\\s"'\\[(,])${escapeRegExp(name)}($|[\\s"'<>=~!;,\\[\\]()@/:.]|\\.v)`, 'im').test(
    text,
  );
}

function pick(map: Record<string, string>, has: (dependency: string) => boolean, into: Set<string>): void {
  for (const [dependency, label] of Object.entries(map)) if (has(dependency)) into.add(label);
}

interface NodeProject {
  manager: string;
  runPrefix: string;
  scripts: Record<string, unknown>;
  pkg: Record<string, unknown>;
}

function nodeProject(files: ReadonlySet<string>, read: Reader): NodeProject | undefined {
  const pkg = parseJson(read('package.json'));
  if (pkg === undefined) return undefined;
  const declared = typeof pkg.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
  const manager =
    declared ??
    (files.has('pnpm-lock.yaml')
      ? 'pnpm'
      : files.has('yarn.lock')
        ? 'yarn'
        : files.has('bun.lockb') || files.has('bun.lock')
          ? 'bun'
          : 'npm');
  const runPrefix = manager === 'npm' ? 'npm run' : manager === 'bun' ? 'bun run' : manager;
  return { manager, runPrefix, scripts: record(pkg.scripts), pkg };
}

function nodeScript(project: NodeProject, names: readonly string[]): string | null {
  for (const name of names) {
    if (typeof project.scripts[name] !== 'string') continue;
    if (name === 'test' && project.manager === 'npm') return 'npm test';
    return `${project.runPrefix} ${name}`;
  }
  return null;
}

function makeTargets(text: string | undefined): Set<string> {
  const targets = new Set<string>();
  if (text === undefined) return targets;
  for (const match of text.matchAll(/^([A-Za-z0-9_.-]+)\s*:(?!=)/gm)) targets.add(match[1]!);
  return targets;
}

const DIRECTORY_ROLES: Record<string, string> = {
  src: 'source',
  lib: 'source',
  app: 'source',
  source: 'source',
  internal: 'source',
  pkg: 'source',
  cmd: 'entry points',
  bin: 'executables',
  packages: 'workspace packages',
  apps: 'workspace apps',
  test: 'tests',
  tests: 'tests',
  __tests__: 'tests',
  spec: 'tests',
  e2e: 'tests',
  docs: 'documentation',
  doc: 'documentation',
  scripts: 'scripts',
  tools: 'tooling',
  examples: 'examples',
  benchmarks: 'benchmarks',
  bench: 'benchmarks',
  '.github': 'CI',
  '.ci': 'CI',
  config: 'configuration',
  public: 'static assets',
  static: 'static assets',
  assets: 'static assets',
  migrations: 'database migrations',
};

const CONVENTIONAL_ENTRY_POINTS = [
  'src/main.ts',
  'src/index.ts',
  'src/cli.ts',
  'src/main.js',
  'src/index.js',
  'index.ts',
  'index.js',
  'main.js',
  'main.py',
  '__main__.py',
  'app.py',
  'manage.py',
  'main.go',
  'src/main.rs',
  'src/lib.rs',
  'Program.cs',
];

function firstLineValue(text: string | undefined, pattern: RegExp): string | undefined {
  if (text === undefined) return undefined;
  return pattern.exec(text)?.[1];
}

export function analyzeRepository(input: {
  files: readonly string[];
  read: Reader;
  fallbackName: string;
}): Analysis {
  const files = input.files;
  const fileSet = new Set(files);
  const { read } = input;
  const { languages, primary } = countLanguages(files);

  const manifests = files.filter(
    (file) => MANIFEST_NAMES.has(baseName(file)) && !file.includes('/fixtures/'),
  );
  const packageManagers: PackageManager[] = [];
  const frameworks = new Set<string>();
  const testFrameworks = new Set<string>();
  const commands: ProjectCommands = { build: null, test: null, lint: null, dev: null };
  const entryPoints = new Set<string>();
  let workspaces: string[] = [];
  let projectName: string | undefined;

  const node = nodeProject(fileSet, read);
  if (node) {
    const lockfile =
      [
        'package-lock.json',
        'pnpm-lock.yaml',
        'yarn.lock',
        'bun.lockb',
        'bun.lock',
        'npm-shrinkwrap.json',
      ].find((f) => fileSet.has(f)) ?? null;
    packageManagers.push({ name: node.manager, manifest: 'package.json', lockfile });
    const deps = {
      ...record(node.pkg.dependencies),
      ...record(node.pkg.devDependencies),
      ...record(node.pkg.peerDependencies),
    };
    pick(JS_FRAMEWORKS, (d) => d in deps, frameworks);
    pick(JS_TEST, (d) => d in deps, testFrameworks);
    if (typeof node.scripts.test === 'string' && /\bnode\s+(--[a-z-]+\s+)*--test\b/.test(node.scripts.test))
      testFrameworks.add('node:test');
    commands.build = nodeScript(node, ['build', 'compile']);
    commands.test = nodeScript(node, ['test']);
    commands.lint = nodeScript(node, ['lint', 'check']);
    commands.dev = nodeScript(node, ['dev', 'start', 'serve']);
    if (typeof node.pkg.name === 'string') projectName = node.pkg.name;
    for (const field of ['main', 'module']) {
      const value = node.pkg[field];
      if (typeof value === 'string') entryPoints.add(value.replace(/^\.\//, ''));
    }
    const bin = node.pkg.bin;
    if (typeof bin === 'string') entryPoints.add(bin.replace(/^\.\//, ''));
    for (const value of Object.values(record(bin)))
      if (typeof value === 'string') entryPoints.add(value.replace(/^\.\//, ''));
    const ws = node.pkg.workspaces;
    if (Array.isArray(ws)) workspaces = ws.filter((w): w is string => typeof w === 'string');
    else if (Array.isArray(record(ws).packages))
      workspaces = (record(ws).packages as unknown[]).filter((w): w is string => typeof w === 'string');
  }

  const pythonManifests = [
    'pyproject.toml',
    'requirements.txt',
    'requirements-dev.txt',
    'setup.py',
    'setup.cfg',
    'Pipfile',
  ];
  const pythonText = pythonManifests.map((f) => (fileSet.has(f) ? (read(f) ?? '') : '')).join('\n');
  if (pythonText.trim() !== '') {
    const manager = fileSet.has('uv.lock')
      ? 'uv'
      : fileSet.has('poetry.lock') || /\[tool\.poetry\]/.test(pythonText)
        ? 'poetry'
        : fileSet.has('Pipfile')
          ? 'pipenv'
          : 'pip';
    const manifest = pythonManifests.find((f) => fileSet.has(f))!;
    const lockfile = ['uv.lock', 'poetry.lock', 'Pipfile.lock'].find((f) => fileSet.has(f)) ?? null;
    packageManagers.push({ name: manager, manifest, lockfile });
    pick(PY_FRAMEWORKS, (d) => declares(pythonText, d), frameworks);
    pick(PY_TEST, (d) => declares(pythonText, d), testFrameworks);
    if (commands.test === null && (testFrameworks.has('pytest') || /\[tool\.pytest/.test(pythonText)))
      commands.test = 'pytest';
    if (commands.lint === null && declares(pythonText, 'ruff')) commands.lint = 'ruff check .';
    projectName ??= firstLineValue(read('pyproject.toml'), /^\s*name\s*=\s*["']([^"']+)["']/m);
  }

  const goMod = fileSet.has('go.mod') ? read('go.mod') : undefined;
  if (goMod !== undefined) {
    packageManagers.push({
      name: 'go modules',
      manifest: 'go.mod',
      lockfile: fileSet.has('go.sum') ? 'go.sum' : null,
    });
    pick(GO_FRAMEWORKS, (d) => goMod.includes(d), frameworks);
    testFrameworks.add('go test');
    if (goMod.includes('github.com/stretchr/testify')) testFrameworks.add('testify');
    commands.build ??= 'go build ./...';
    commands.test ??= 'go test ./...';
    commands.lint ??= 'go vet ./...';
    const module = firstLineValue(goMod, /^module\s+(\S+)/m);
    projectName ??= module?.slice(module.lastIndexOf('/') + 1);
  }

  const cargo = fileSet.has('Cargo.toml') ? read('Cargo.toml') : undefined;
  if (cargo !== undefined) {
    packageManagers.push({
      name: 'cargo',
      manifest: 'Cargo.toml',
      lockfile: fileSet.has('Cargo.lock') ? 'Cargo.lock' : null,
    });
    pick(RUST_FRAMEWORKS, (d) => declares(cargo, d), frameworks);
    testFrameworks.add('cargo test');
    commands.build ??= 'cargo build';
    commands.test ??= 'cargo test';
    commands.lint ??= 'cargo clippy';
    projectName ??= firstLineValue(cargo, /\[package\][^[]*?^\s*name\s*=\s*"([^"]+)"/ms);
  }

  const gemfile = fileSet.has('Gemfile') ? read('Gemfile') : undefined;
  if (gemfile !== undefined) {
    packageManagers.push({
      name: 'bundler',
      manifest: 'Gemfile',
      lockfile: fileSet.has('Gemfile.lock') ? 'Gemfile.lock' : null,
    });
    pick(RUBY_FRAMEWORKS, (d) => declares(gemfile, d), frameworks);
    pick(RUBY_TEST, (d) => declares(gemfile, d), testFrameworks);
    if (testFrameworks.has('RSpec')) commands.test ??= 'bundle exec rspec';
  }

  const composer = parseJson(fileSet.has('composer.json') ? read('composer.json') : undefined);
  if (composer !== undefined) {
    packageManagers.push({
      name: 'composer',
      manifest: 'composer.json',
      lockfile: fileSet.has('composer.lock') ? 'composer.lock' : null,
    });
    const deps = { ...record(composer.require), ...record(composer['require-dev']) };
    pick(PHP_FRAMEWORKS, (d) => d in deps, frameworks);
    pick(PHP_TEST, (d) => d in deps, testFrameworks);
    if (testFrameworks.has('PHPUnit')) commands.test ??= 'vendor/bin/phpunit';
  }

  if (fileSet.has('pom.xml')) {
    packageManagers.push({ name: 'maven', manifest: 'pom.xml', lockfile: null });
    commands.build ??= 'mvn -B package';
    commands.test ??= 'mvn -B test';
  }
  const gradle = ['build.gradle.kts', 'build.gradle'].find((f) => fileSet.has(f));
  if (gradle !== undefined) {
    packageManagers.push({ name: 'gradle', manifest: gradle, lockfile: null });
    const gradlew = fileSet.has('gradlew') ? './gradlew' : 'gradle';
    commands.build ??= `${gradlew} build`;
    commands.test ??= `${gradlew} test`;
  }

  // A Makefile's own targets come after the language's manifests: `npm test` is what CI runs there.
  const make = makeTargets(fileSet.has('Makefile') ? read('Makefile') : undefined);
  for (const target of ['build', 'test', 'lint'] as const)
    if (make.has(target)) commands[target] ??= `make ${target}`;

  for (const candidate of CONVENTIONAL_ENTRY_POINTS) if (fileSet.has(candidate)) entryPoints.add(candidate);
  for (const file of files)
    if (/^cmd\/[^/]+\/main\.go$/.test(file) || /^src\/bin\/[^/]+\.rs$/.test(file)) entryPoints.add(file);

  const topCounts = new Map<string, number>();
  for (const file of files) {
    const slash = file.indexOf('/');
    if (slash > 0) topCounts.set(file.slice(0, slash), (topCounts.get(file.slice(0, slash)) ?? 0) + 1);
  }
  const keyDirectories = [...topCounts.entries()]
    .filter(([dir]) => DIRECTORY_ROLES[dir] !== undefined)
    .map(([dir, count]) => ({ path: dir, role: DIRECTORY_ROLES[dir]!, files: count }))
    .sort((a, b) => compareText(a.path, b.path));

  return {
    project_name: projectName ?? input.fallbackName,
    languages,
    primary_language: primary,
    package_managers: packageManagers,
    manifests,
    frameworks: [...frameworks].sort(),
    test_frameworks: [...testFrameworks].sort(),
    commands,
    key_directories: keyDirectories,
    // Declared entry points are kept even when not built yet (`main: dist/index.js`); conventional
    // ones were only added when they exist.
    entry_points: [...entryPoints].sort(),
    workspaces,
    file_count: files.length,
  };
}
