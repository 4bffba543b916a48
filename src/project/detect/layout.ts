import { compareText } from '../../core/ids.js';
import type { Finding } from './finding.js';
import { leftOutFolder } from './languages.js';
import { baseName, type Repo } from './repo.js';

const MANIFEST_NAMES = new Set([
  'package.json',
  'pnpm-workspace.yaml',
  'lerna.json',
  'nx.json',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'requirements.txt',
  'Pipfile',
  'go.mod',
  'go.work',
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
  crates: 'workspace packages',
  test: 'tests',
  tests: 'tests',
  __tests__: 'tests',
  spec: 'tests',
  e2e: 'tests',
  docs: 'documentation',
  doc: 'documentation',
  documentation: 'documentation',
  scripts: 'scripts',
  tools: 'tooling',
  examples: 'examples',
  playground: 'playground (fixtures)',
  fixtures: 'test fixtures',
  vendor: 'vendored code',
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

/** Manifests anywhere but in fixtures, examples, playgrounds and vendored code. */
export function detectManifests(repo: Repo): Finding {
  return {
    manifests: repo.files.filter(
      (file) =>
        MANIFEST_NAMES.has(baseName(file)) &&
        !file
          .split('/')
          .slice(0, -1)
          .some((part) => leftOutFolder(part) !== undefined),
    ),
  };
}

/** Top-level folders with a known role, and how many files each holds. */
export function detectKeyDirectories(repo: Repo): Finding {
  const counts = new Map<string, number>();
  for (const file of repo.files) {
    const slash = file.indexOf('/');
    if (slash > 0) counts.set(file.slice(0, slash), (counts.get(file.slice(0, slash)) ?? 0) + 1);
  }
  return {
    key_directories: [...counts.entries()]
      .filter(([dir]) => Object.hasOwn(DIRECTORY_ROLES, dir))
      .map(([dir, files]) => ({ path: dir, role: DIRECTORY_ROLES[dir]!, files }))
      .sort((a, b) => compareText(a.path, b.path)),
  };
}
