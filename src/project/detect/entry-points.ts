import type { EntryPoint } from '../schema.js';
import type { Finding } from './finding.js';
import {
  cleanPath,
  dirName,
  isRecord,
  type Json,
  joinPath,
  parseJsonc,
  type Repo,
  record,
  stringList,
  tomlSections,
} from './repo.js';
import { memberPackages } from './workspaces.js';

/** Where a TypeScript build puts its output and reads its input, relative to the repository. */
interface TsLayout {
  outDir: string;
  /** `rootDir`, else the common folder of `include` (what tsc takes as the root of the sources). */
  rootDir: string;
}

interface TsConfig {
  outDir?: string;
  rootDir?: string;
  includeRoots?: string[];
}

const MAX_EXTENDS = 5;

/** The folder part of a glob before its first wildcard (`src/**\/*.ts` -> `src`). */
function staticPrefix(glob: string): string {
  const parts = cleanPath(glob).split('/');
  const stop = parts.findIndex((p) => /[*?{[]/.test(p) || /\.[a-z]+$/i.test(p));
  return parts.slice(0, stop === -1 ? parts.length : stop).join('/');
}

function commonFolder(folders: readonly string[]): string {
  if (folders.length === 0) return '';
  let common = folders[0]!.split('/');
  for (const folder of folders.slice(1)) {
    const parts = folder.split('/');
    let i = 0;
    while (i < common.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/');
}

/** A tsconfig with the relative `extends` it builds on (a package's config, in node_modules, is not read). */
function readTsconfig(repo: Repo, file: string, depth = 0): TsConfig | undefined {
  const json = parseJsonc(repo.read(file));
  if (json === undefined) return undefined;
  const dir = dirName(file);
  let config: TsConfig = {};
  if (depth < MAX_EXTENDS) {
    const bases = typeof json.extends === 'string' ? [json.extends] : stringList(json.extends);
    for (const base of bases) {
      if (!base.startsWith('.')) continue;
      const target = joinPath(dir, base.endsWith('.json') ? base : `${base}.json`);
      const inherited = readTsconfig(repo, target, depth + 1);
      if (inherited) config = { ...config, ...inherited };
    }
  }
  const options = record(json.compilerOptions);
  if (typeof options.outDir === 'string') config.outDir = joinPath(dir, options.outDir);
  if (typeof options.rootDir === 'string') config.rootDir = joinPath(dir, options.rootDir);
  const include = stringList(json.include);
  if (include.length > 0) config.includeRoots = include.map((glob) => joinPath(dir, staticPrefix(glob)));
  else if (config.includeRoots === undefined && depth === 0) config.includeRoots = [dir];
  return config;
}

function tsLayouts(repo: Repo, pkgDir: string): TsLayout[] {
  const layouts: TsLayout[] = [];
  for (const name of ['tsconfig.build.json', 'tsconfig.json']) {
    const config = readTsconfig(repo, joinPath(pkgDir, name));
    if (config?.outDir === undefined) continue;
    layouts.push({
      outDir: config.outDir,
      rootDir: config.rootDir ?? commonFolder(config.includeRoots ?? [pkgDir]),
    });
  }
  return layouts;
}

/** Built file extensions and the source extensions they are compiled from, most likely first. */
const SOURCE_EXTENSIONS: readonly [RegExp, readonly string[]][] = [
  [/\.d\.ts$/, ['.ts', '.tsx']],
  [/\.d\.mts$/, ['.mts', '.ts']],
  [/\.d\.cts$/, ['.cts', '.ts']],
  [/\.js$/, ['.ts', '.tsx', '.js', '.jsx']],
  [/\.mjs$/, ['.mts', '.ts', '.mjs', '.js']],
  [/\.cjs$/, ['.cts', '.ts', '.cjs', '.js']],
  [/\.jsx$/, ['.tsx', '.jsx']],
];

function sourceNames(file: string): string[] {
  for (const [built, sources] of SOURCE_EXTENSIONS)
    if (built.test(file)) return sources.map((ext) => file.replace(built, ext));
  return [file];
}

/** Folders build output goes to by convention; `lib` too, but there it is as often the source. */
const BUILD_FOLDERS = new Set(['dist', 'build', 'out', 'esm', 'cjs', 'es']);
const FORMAT_FOLDERS = new Set(['esm', 'cjs', 'es', 'mjs', 'umd', 'types', 'node', 'browser']);
const SOURCE_FOLDERS = ['src', 'source', 'lib', ''];

function isUnder(file: string, dir: string): boolean {
  return dir === '' || file.startsWith(`${dir}/`);
}

/** The files a built path may have been compiled from, most likely first. */
function candidates(file: string, pkgDir: string, layouts: readonly TsLayout[]): string[] {
  const out: string[] = [];
  for (const layout of layouts) {
    if (layout.outDir === pkgDir || !isUnder(file, layout.outDir)) continue;
    const rest = layout.outDir === '' ? file : file.slice(layout.outDir.length + 1);
    out.push(...sourceNames(joinPath(layout.rootDir, rest)));
  }
  const relative = pkgDir === '' ? file : file.slice(pkgDir.length + 1);
  const parts = relative.split('/');
  if (parts.length > 1 && (BUILD_FOLDERS.has(parts[0]!) || parts[0] === 'lib')) {
    const rests = [parts.slice(1).join('/')];
    if (parts.length > 2 && FORMAT_FOLDERS.has(parts[1]!)) rests.push(parts.slice(2).join('/'));
    for (const rest of rests)
      for (const root of SOURCE_FOLDERS) out.push(...sourceNames(joinPath(pkgDir, root, rest)));
  }
  out.push(...sourceNames(file));
  return out;
}

/**
 * The file of the repository an entry point comes from: itself where it is a source file, else
 * the source the tsconfig (`outDir` -> `rootDir`) or the layout (`dist/x.js` -> `src/x.ts`) maps it
 * back to; null where neither finds one (a build output of a tool whose layout we do not know).
 */
function sourceOf(repo: Repo, declared: string, pkgDir: string, layouts: readonly TsLayout[]): string | null {
  const file = joinPath(pkgDir, cleanPath(declared));
  if (file.includes('*') || file.startsWith('..')) return null;
  const relative = pkgDir === '' ? file : file.slice(pkgDir.length + 1);
  const built =
    layouts.some((l) => l.outDir !== pkgDir && isUnder(file, l.outDir)) ||
    BUILD_FOLDERS.has(relative.split('/')[0]!);
  if (!built && repo.has(file)) return file;
  for (const candidate of candidates(file, pkgDir, layouts)) if (repo.has(candidate)) return candidate;
  return null;
}

interface ExportTarget {
  subpath: string;
  target: string;
  conditions: string[];
}

/** Every target of `exports`, with its subpath and the chain of conditions that leads to it. */
function exportTargets(exports: unknown): ExportTarget[] {
  const out: ExportTarget[] = [];
  const walk = (value: unknown, subpath: string, chain: string[]) => {
    if (typeof value === 'string')
      out.push({ subpath, target: value, conditions: [chain.join('/') || 'default'] });
    else if (Array.isArray(value)) for (const fallback of value) walk(fallback, subpath, chain);
    else if (isRecord(value))
      for (const [condition, v] of Object.entries(value)) walk(v, subpath, [...chain, condition]);
    // null excludes a subpath: nothing to list.
  };
  if (isRecord(exports) && Object.keys(exports).some((key) => key.startsWith('.'))) {
    for (const [subpath, value] of Object.entries(exports)) walk(value, subpath, []);
  } else walk(exports, '.', []);
  // One entry per subpath and file, with every condition that reaches it.
  const merged = new Map<string, ExportTarget>();
  for (const t of out) {
    const key = `${t.subpath}\0${t.target}`;
    const seen = merged.get(key);
    if (seen) seen.conditions.push(...t.conditions.filter((c) => !seen.conditions.includes(c)));
    else merged.set(key, t);
  }
  return [...merged.values()];
}

/** `exports`, `main`, `module` and `bin` of one package.json. */
function packageEntryPoints(repo: Repo, pkg: Json, pkgDir: string): EntryPoint[] {
  const layouts = tsLayouts(repo, pkgDir);
  const entry = (
    kind: EntryPoint['kind'],
    declared: string,
    extra: Partial<EntryPoint> = {},
  ): EntryPoint => ({
    kind,
    path: joinPath(pkgDir, cleanPath(declared)),
    source: sourceOf(repo, declared, pkgDir, layouts),
    ...extra,
    ...(pkgDir === '' ? {} : { package: pkgDir }),
  });
  const entries: EntryPoint[] = [];
  if (pkg.exports !== undefined)
    for (const t of exportTargets(pkg.exports)) {
      // The manifest itself (`"./package.json": "./package.json"`) is not code.
      if (t.target.endsWith('.json')) continue;
      entries.push(entry('exports', t.target, { subpath: t.subpath, conditions: t.conditions }));
    }
  for (const field of ['main', 'module'] as const) {
    const value = pkg[field];
    if (typeof value === 'string' && value !== '') entries.push(entry(field, value));
  }
  const bin = pkg.bin;
  const binName = typeof pkg.name === 'string' ? pkg.name.replace(/^@[^/]+\//, '') : undefined;
  if (typeof bin === 'string') entries.push(entry('bin', bin, binName ? { name: binName } : {}));
  for (const [name, target] of Object.entries(record(bin)))
    if (typeof target === 'string') entries.push(entry('bin', target, { name }));
  return entries;
}

/** `[project.scripts]` / `[tool.poetry.scripts]`: `name = "package.module:function"`. */
function pythonScripts(repo: Repo): EntryPoint[] {
  const sections = tomlSections(repo.read('pyproject.toml'));
  const entries: EntryPoint[] = [];
  for (const header of ['project.scripts', 'tool.poetry.scripts']) {
    const body = sections.get(header);
    if (body === undefined) continue;
    for (const match of body.matchAll(/^\s*["']?([A-Za-z0-9_.-]+)["']?\s*=\s*["']([^"']+)["']/gm)) {
      const target = match[2]!.trim();
      const modulePath = target.split(':')[0]!.trim().replace(/\./g, '/');
      const source =
        ['', 'src/']
          .flatMap((root) => [`${root}${modulePath}.py`, `${root}${modulePath}/__init__.py`])
          .find((file) => repo.has(file)) ?? null;
      entries.push({ kind: 'script', name: match[1]!, path: target, source });
    }
  }
  return entries;
}

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

/**
 * Entry points: what the root package and the member packages of its workspaces declare
 * (`exports` with its conditions and subpaths, `main`, `module`, `bin`), each with the source file
 * it is built from; Python scripts; and the conventional files (`src/main.rs`, `cmd/x/main.go`,
 * `index.js`) that exist and were not already named.
 */
export function detectEntryPoints(repo: Repo): Finding {
  const entries: EntryPoint[] = [];
  const root = repo.json('package.json');
  if (root !== undefined) entries.push(...packageEntryPoints(repo, root, ''));
  for (const member of memberPackages(repo)) {
    const pkg = repo.json(`${member.path}/package.json`);
    if (pkg !== undefined) entries.push(...packageEntryPoints(repo, pkg, member.path));
  }
  entries.push(...pythonScripts(repo));
  const named = new Set(entries.flatMap((e) => [e.path, e.source ?? '']));
  const conventional = [
    ...CONVENTIONAL_ENTRY_POINTS.filter((file) => repo.has(file)),
    ...repo.files.filter(
      (file) =>
        (file.startsWith('cmd/') && /^cmd\/[^/]+\/main\.go$/.test(file)) ||
        (file.startsWith('src/bin/') && /^src\/bin\/[^/]+\.rs$/.test(file)),
    ),
  ];
  for (const file of conventional)
    if (!named.has(file)) entries.push({ kind: 'conventional', path: file, source: file });
  return { entry_points: entries };
}
