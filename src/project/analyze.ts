import { compareText } from '../core/ids.js';
import { detectCoverage } from './detect/coverage.js';
import { detectEntryPoints } from './detect/entry-points.js';
import type { Detector, Finding } from './detect/finding.js';
import { detectGo } from './detect/go.js';
import { detectJvm } from './detect/jvm.js';
import { detectLanguages, isProgrammingLanguage } from './detect/languages.js';
import { detectKeyDirectories, detectManifests } from './detect/layout.js';
import { detectMake } from './detect/make.js';
import { detectNode } from './detect/node.js';
import { detectPhp } from './detect/php.js';
import { detectPython } from './detect/python.js';
import { type Reader, repoView } from './detect/repo.js';
import { detectRuby } from './detect/ruby.js';
import { detectRust } from './detect/rust.js';
import { detectWorkspaces } from './detect/workspaces.js';
import type {
  EntryPoint,
  KeyDirectory,
  LanguageScope,
  LanguageStat,
  Overview,
  PackageManager,
  ProjectCommands,
  WorkspaceDeclaration,
  WorkspacePackage,
} from './schema.js';

/**
 * Repository analysis for project-tech.json, pure: a table of small detectors, each a function of
 * the file list and the files it reads through the Reader seam, so tests feed it small file trees
 * in memory and the CLI the real disk.
 */

export type { Detector, Finding } from './detect/finding.js';
export type { Reader, Repo } from './detect/repo.js';
export type {
  EntryPoint,
  LanguageStat,
  PackageManager,
  ProjectCommands,
  WorkspacePackage,
} from './schema.js';

export interface Analysis {
  project_name: string;
  description: string | null;
  languages: LanguageStat[];
  primary_language: string | null;
  language_scope: LanguageScope;
  package_managers: PackageManager[];
  manifests: string[];
  frameworks: string[];
  dev_frameworks: string[];
  test_frameworks: string[];
  build_tools: string[];
  coverage_tools: string[];
  commands: ProjectCommands;
  key_directories: KeyDirectory[];
  entry_points: EntryPoint[];
  workspaces: WorkspaceDeclaration[];
  workspace_packages: WorkspacePackage[];
  file_count: number;
  /** The same facts under CCW's names, which its dashboard and agents read. */
  overview: Overview;
}

/**
 * The detectors, in precedence order: for a single value (the project's name, a command) the first
 * that gives one wins, so a language's own manifest comes before a Makefile that wraps it.
 */
export const DETECTORS: readonly Detector[] = [
  detectLanguages,
  detectManifests,
  detectKeyDirectories,
  detectWorkspaces,
  detectNode,
  detectPython,
  detectGo,
  detectRust,
  detectRuby,
  detectPhp,
  detectJvm,
  detectMake,
  detectEntryPoints,
  detectCoverage,
];

const NO_SCOPE: LanguageScope = { counted_files: 0, left_out_files: 0, left_out: [] };

/** The keys of a Finding that hold lists. */
type ListKey = {
  [K in keyof Finding]-?: NonNullable<Finding[K]> extends unknown[] ? K : never;
}[keyof Finding];

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Joins what the detectors found: lists concatenated, single values from the first that has one. */
export function compose(findings: readonly Finding[], fallbackName: string, fileCount: number): Analysis {
  const all = <K extends ListKey>(key: K) =>
    findings.flatMap((f) => (f[key] ?? []) as unknown[]) as NonNullable<Finding[K]>;
  const first = <K extends keyof Finding>(key: K): Finding[K] =>
    findings.find((f) => f[key] !== undefined)?.[key];
  const commands: ProjectCommands = { build: null, test: null, lint: null, dev: null, coverage: null };
  for (const finding of findings)
    for (const name of Object.keys(commands) as (keyof ProjectCommands)[])
      commands[name] ??= finding.commands?.[name] ?? null;
  const frameworks = unique(all('frameworks')).sort();
  const analysis: Omit<Analysis, 'overview'> = {
    project_name: first('project_name') ?? fallbackName,
    description: first('description') ?? null,
    languages: first('languages') ?? [],
    primary_language: first('primary_language') ?? null,
    language_scope: first('language_scope') ?? NO_SCOPE,
    package_managers: all('package_managers'),
    manifests: all('manifests'),
    frameworks,
    dev_frameworks: unique(all('dev_frameworks'))
      .filter((f) => !frameworks.includes(f))
      .sort(),
    test_frameworks: unique(all('test_frameworks')).sort(),
    build_tools: unique(all('build_tools')),
    coverage_tools: unique(all('coverage_tools')).sort(),
    commands,
    key_directories: all('key_directories'),
    entry_points: all('entry_points'),
    workspaces: all('workspaces'),
    workspace_packages: all('workspace_packages'),
    file_count: fileCount,
  };
  return { ...analysis, overview: overviewOf(analysis) };
}

const WEB_SERVICES = new Set([
  'Express',
  'Fastify',
  'Koa',
  'Hono',
  'NestJS',
  'Django',
  'Flask',
  'FastAPI',
  'Starlette',
  'Tornado',
  'aiohttp',
  'Gin',
  'Echo',
  'Fiber',
  'chi',
  'Actix Web',
  'Axum',
  'Rocket',
  'warp',
  'Rails',
  'Sinatra',
  'Laravel',
  'Symfony',
  'Spring Boot',
  'Quarkus',
  'Micronaut',
  'Ktor',
]);
const WEB_APPS = new Set([
  'React',
  'Next.js',
  'Vue',
  'Nuxt',
  'Svelte',
  'SvelteKit',
  'Angular',
  'Solid',
  'Astro',
  'Remix',
]);

/** The kind of project, from facts only: its workspaces, its runtime frameworks, what it exports. */
function architectureStyle(a: Omit<Analysis, 'overview'>): string {
  const members = a.workspace_packages.filter((p) => p.role === 'package');
  if (members.length > 0) {
    const tools = unique(a.workspaces.map((w) => w.tool)).join(', ');
    return `monorepo (${tools} workspaces, ${members.length} package${members.length === 1 ? '' : 's'})`;
  }
  if (a.frameworks.some((f) => WEB_SERVICES.has(f))) return 'web service';
  if (a.frameworks.some((f) => WEB_APPS.has(f))) return 'web application';
  const kinds = new Set(a.entry_points.map((e) => e.kind));
  // Without `main` or `exports`, Node loads a package's index.js: express is such a library.
  const implicitMain =
    a.manifests.includes('package.json') && a.entry_points.some((e) => e.path === 'index.js');
  if (kinds.has('exports') || kinds.has('main') || kinds.has('module') || implicitMain)
    return kinds.has('bin') ? 'library with a command-line interface' : 'library';
  if (
    kinds.has('bin') ||
    kinds.has('script') ||
    a.entry_points.some((e) => /(^|\/)(main\.go|main\.rs)$/.test(e.path))
  )
    return 'command-line tool';
  return 'single package';
}

const IMPORTANCE: Record<string, Overview['key_components'][number]['importance']> = {
  source: 'high',
  'entry points': 'high',
  'workspace packages': 'medium',
  'workspace apps': 'medium',
  executables: 'medium',
  tests: 'medium',
};
const KEY_COMPONENTS = 20;
const NOT_COMPONENTS = new Set(['examples', 'playground (fixtures)', 'test fixtures', 'vendored code']);

function keyComponents(a: Omit<Analysis, 'overview'>): Overview['key_components'] {
  const components: Overview['key_components'] = [];
  const members = a.workspace_packages.filter((p) => p.role !== 'fixture');
  for (const p of members)
    components.push({
      name: p.name ?? p.path,
      path: p.path,
      description: p.description ?? (p.role === 'docs' ? 'documentation site' : 'workspace package'),
      importance: p.role === 'docs' ? 'low' : 'high',
    });
  const inPackages = (dir: string) => members.some((p) => p.path === dir || p.path.startsWith(`${dir}/`));
  for (const d of a.key_directories) {
    // A package, or a folder of workspace packages, is already listed package by package.
    if (members.some((p) => p.path === d.path) || (inPackages(d.path) && d.role.startsWith('workspace')))
      continue;
    // What the project is tried on or carries from elsewhere is no component of it.
    if (NOT_COMPONENTS.has(d.role)) continue;
    components.push({
      name: d.path,
      path: d.path,
      description: `${d.role} (${d.files} file${d.files === 1 ? '' : 's'})`,
      importance: IMPORTANCE[d.role] ?? 'low',
    });
  }
  const order = { high: 0, medium: 1, low: 2 };
  return components
    .sort((x, y) => order[x.importance] - order[y.importance] || compareText(x.path, y.path))
    .slice(0, KEY_COMPONENTS);
}

function describe(a: Omit<Analysis, 'overview'>, style: string): string {
  if (a.description !== null) return a.description;
  const using = a.frameworks.length > 0 ? ` using ${a.frameworks.join(', ')}` : '';
  return `${a.primary_language ?? 'Code'} ${style}${using}`;
}

/**
 * CCW's `overview`: `technology_stack.languages` lists programming languages with CCW's
 * `file_count` and `primary`; `build_tools` are package managers and build tools, as in CCW.
 * `layers` and `patterns` stay empty: they need a reading of the code that a scan cannot give.
 */
function overviewOf(a: Omit<Analysis, 'overview'>): Overview {
  const style = architectureStyle(a);
  return {
    description: describe(a, style),
    technology_stack: {
      languages: a.languages
        .filter((l) => isProgrammingLanguage(l.name))
        .map((l) => ({ name: l.name, file_count: l.files, primary: l.name === a.primary_language })),
      frameworks: a.frameworks,
      build_tools: a.build_tools,
      test_frameworks: a.test_frameworks,
    },
    architecture: { style, layers: [], patterns: [] },
    key_components: keyComponents(a),
  };
}

export function analyzeRepository(input: {
  files: readonly string[];
  read: Reader;
  fallbackName: string;
}): Analysis {
  const repo = repoView(input.files, input.read);
  return compose(
    DETECTORS.map((detect) => detect(repo)),
    input.fallbackName,
    input.files.length,
  );
}
