import ignore, { type Ignore } from 'ignore';
import { compareText } from '../../core/ids.js';
import type { LanguageScope, LanguageStat } from '../schema.js';
import type { Finding } from './finding.js';
import { baseName, dirName, type Repo } from './repo.js';

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
const PROGRAMMING_NAMES = new Set(Object.values(PROGRAMMING));

export function isProgrammingLanguage(name: string): boolean {
  return PROGRAMMING_NAMES.has(name);
}

/**
 * Folders whose code is not the project's own: fixtures, examples and playgrounds are written to be
 * fed to the project (vite's playground holds more JavaScript than vite has TypeScript), vendored
 * code is someone else's, and build output is generated. They are left out of the language count.
 */
const LEFT_OUT_FOLDERS: Record<string, string> = {
  fixtures: 'fixtures',
  fixture: 'fixtures',
  __fixtures__: 'fixtures',
  'test-fixtures': 'fixtures',
  __snapshots__: 'fixtures',
  testdata: 'test data',
  'test-data': 'test data',
  test_data: 'test data',
  examples: 'examples',
  example: 'examples',
  samples: 'examples',
  sample: 'examples',
  demo: 'examples',
  demos: 'examples',
  templates: 'templates',
  playground: 'playground',
  playgrounds: 'playground',
  vendor: 'vendored',
  vendored: 'vendored',
  third_party: 'vendored',
  'third-party': 'vendored',
  thirdparty: 'vendored',
  dist: 'generated',
  out: 'generated',
  coverage: 'generated',
  '.next': 'generated',
  '.nuxt': 'generated',
  '.svelte-kit': 'generated',
  '.output': 'generated',
  '.yarn': 'vendored',
};

/** The reason a folder name is left out of the language count, if it is. */
export function leftOutFolder(name: string): string | undefined {
  return Object.hasOwn(LEFT_OUT_FOLDERS, name) ? LEFT_OUT_FOLDERS[name] : undefined;
}

/** Generated files known by their names (minified bundles, protobuf and code-generator output). */
const GENERATED_FILES: readonly [RegExp, string][] = [
  [/[.-]min\.(js|mjs|cjs|css)$/, '*.min.js'],
  [/\.bundle\.js$/, '*.bundle.js'],
  [/\.generated\.[^.]+$|_generated\.go$/, '*.generated.*'],
  [/\.pb\.go$|_pb2(_grpc)?\.py$|\.pb\.(cc|h)$/, 'protobuf output'],
  [/\.(g|freezed)\.dart$/, '*.g.dart'],
  [/\.designer\.cs$/, '*.Designer.cs'],
];

// One test that most files fail, before the patterns above are tried one by one.
const MAYBE_GENERATED = /min\.|\.bundle\.|generated|\.pb\.|_pb2|\.g\.dart$|\.freezed\.|\.designer\./;

function extensionOf(file: string): string | undefined {
  const base = baseName(file);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return base.slice(dot + 1).toLowerCase();
}

function languageOf(file: string): { name: string; ext: string } | undefined {
  const ext = extensionOf(file);
  if (ext === undefined) return undefined;
  const name = PROGRAMMING[ext] ?? OTHER[ext];
  return name === undefined ? undefined : { name, ext };
}

interface Attributes {
  marked: Ignore;
  unmarked: Ignore;
  reasonOf: (file: string) => string | undefined;
}

/**
 * `.gitattributes` at the root: `linguist-generated` / `linguist-vendored` mark files as not the
 * project's (as GitHub counts languages), and `-linguist-...` or `=false` marks them as its own even
 * where a folder name says otherwise. Its patterns are gitignore patterns, matched with `ignore`.
 */
function attributes(repo: Repo): Attributes | undefined {
  const text = repo.read('.gitattributes');
  if (text === undefined) return undefined;
  const marked = ignore();
  const unmarked = ignore();
  const reasons: [Ignore, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    const [pattern, ...attrs] = line.trim().split(/\s+/);
    if (pattern === undefined || pattern === '' || pattern.startsWith('#')) continue;
    for (const attr of attrs) {
      const match = /^(-|!)?linguist-(generated|vendored)(?:=(true|false))?$/.exec(attr);
      if (!match) continue;
      const own = match[1] !== undefined || match[3] === 'false';
      if (own) unmarked.add(pattern);
      else {
        marked.add(pattern);
        reasons.push([ignore().add(pattern), `${match[2]} (.gitattributes ${pattern})`]);
      }
    }
  }
  return {
    marked,
    unmarked,
    reasonOf: (file) => reasons.find(([rules]) => rules.ignores(file))?.[1],
  };
}

interface Exclusion {
  key: string;
  reason: string;
}

/** The outermost left-out folder a folder is in, if any. */
function leftOutAncestor(dir: string): Exclusion | undefined {
  const parts = dir.split('/');
  for (let i = 0; i < parts.length; i++) {
    const reason = leftOutFolder(parts[i]!);
    if (reason !== undefined) return { key: parts.slice(0, i + 1).join('/'), reason };
  }
  return undefined;
}

function exclusionOf(
  file: string,
  attrs: Attributes | undefined,
  folders: Map<string, Exclusion | undefined>,
): Exclusion | undefined {
  if (attrs?.unmarked.ignores(file)) return undefined;
  if (attrs?.marked.ignores(file)) {
    const reason = attrs.reasonOf(file) ?? 'generated (.gitattributes)';
    return { key: reason, reason };
  }
  // Files of one folder share the answer: it is worked out once per folder, not once per file.
  const dir = dirName(file);
  if (dir !== '') {
    if (!folders.has(dir)) folders.set(dir, leftOutAncestor(dir));
    const folder = folders.get(dir);
    if (folder !== undefined) return folder;
  }
  if (!MAYBE_GENERATED.test(file)) return undefined;
  for (const [pattern, label] of GENERATED_FILES)
    if (pattern.test(file)) return { key: label, reason: 'generated' };
  return undefined;
}

const LEFT_OUT_LISTED = 25;

type Tally = Map<string, { files: number; extensions: Set<string> }>;

function add(tally: Tally, language: { name: string; ext: string }): void {
  const stat = tally.get(language.name) ?? { files: 0, extensions: new Set<string>() };
  stat.files++;
  stat.extensions.add(`.${language.ext}`);
  tally.set(language.name, stat);
}

function sorted(tally: Tally): LanguageStat[] {
  return [...tally.entries()]
    .sort((a, b) => b[1].files - a[1].files || compareText(a[0], b[0]))
    .map(([name, s]) => ({ name, files: s.files, extensions: [...s.extensions].sort() }));
}

/**
 * Languages by file count, over the project's own files; the primary language is the programming
 * language with the most of them. What was left out is said in `language_scope`.
 */
export function detectLanguages(repo: Repo): Finding {
  const attrs = attributes(repo);
  const folders = new Map<string, Exclusion | undefined>();
  const counted: Tally = new Map();
  const everything: Tally = new Map();
  const leftOut = new Map<string, { reason: string; files: number }>();
  let withLanguage = 0;
  let countedFiles = 0;
  for (const file of repo.files) {
    const language = languageOf(file);
    if (language === undefined) continue;
    withLanguage++;
    add(everything, language);
    const exclusion = exclusionOf(file, attrs, folders);
    if (exclusion === undefined) {
      countedFiles++;
      add(counted, language);
      continue;
    }
    const entry = leftOut.get(exclusion.key) ?? { reason: exclusion.reason, files: 0 };
    entry.files++;
    leftOut.set(exclusion.key, entry);
  }
  let languages = sorted(counted);
  let scope: LanguageScope = {
    counted_files: countedFiles,
    left_out_files: withLanguage - countedFiles,
    left_out: [...leftOut.entries()]
      .map(([p, e]) => ({ path: p, reason: e.reason, files: e.files }))
      .sort((a, b) => b.files - a.files || compareText(a.path, b.path))
      .slice(0, LEFT_OUT_LISTED),
  };
  if (!languages.some((l) => isProgrammingLanguage(l.name)) && leftOut.size > 0) {
    // A repository of nothing but examples (or vendored code) is still written in something.
    const all = sorted(everything);
    if (all.some((l) => isProgrammingLanguage(l.name))) {
      languages = all;
      scope = {
        counted_files: withLanguage,
        left_out_files: 0,
        left_out: [],
        note: 'all code is in fixture, example, vendored or generated folders: all of it was counted',
      };
    }
  }
  const primary = languages.find((l) => isProgrammingLanguage(l.name))?.name ?? null;
  return { languages, primary_language: primary, language_scope: scope };
}
