// `npm run lint` (with biome): the layers of docs/architecture.md, checked. Every import in src/
// (static, dynamic, type-only, re-exports) must go to its own layer or one below it, and no files
// may import one another in a cycle. Exits 1 with every violation.
//
// Why not dependency-cruiser: it reads TypeScript through the TypeScript compiler API, which
// TypeScript 7 (our type checker, see DEPENDENCIES.md) no longer ships; run on the emitted
// JavaScript it would miss type-only imports. Our imports are plain ES module syntax, so the
// specifiers are found with a few patterns over the source, and the rules fit in a table.
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve('src');

/** Each layer and the layers it may import from (itself always). Order: bottom to top. */
const LAYERS = {
  core: [],
  store: ['core'],
  coord: ['core', 'store'],
  project: ['core', 'store'],
  session: ['core', 'store', 'coord', 'project'],
  workflow: ['core', 'store', 'coord', 'project', 'session'],
  views: ['core', 'store', 'coord', 'project', 'session', 'workflow'],
  // The agents' front doors (hooks, install) and the MCP server: beside the CLI, over every layer.
  agents: ['core', 'store', 'coord', 'project', 'session', 'workflow', 'views'],
  mcp: ['core', 'store', 'coord', 'project', 'session', 'workflow', 'views'],
  // The dashboard reads and acts through the library's one API (src/index.ts) only: what a front
  // door may do is what the library offers, so it cannot copy a rule.
  dashboard: ['index.ts'],
  cli: ['core', 'store', 'coord', 'project', 'session', 'workflow', 'views', 'agents', 'mcp', 'dashboard'],
  // The entry points over everything.
  'index.ts': ['core', 'store', 'coord', 'project', 'session', 'workflow', 'views'],
  // What the tests and benchmarks run in processes of their own (dist/internals.js, not published).
  'internals.ts': ['core', 'store', 'coord', 'project', 'session', 'workflow', 'views'],
  'main.ts': ['cli'],
  // The bin (dist/wfs.cjs): loads the bundle of main.ts with the code cache, Node's modules only.
  'launcher.ts': [],
};
/** Node built-ins the pure core may not touch (it is free of I/O). */
const IO_MODULES =
  /^node:(fs|path|os|child_process|net|tls|http|https|process|worker_threads|dgram|readline|tty)(\/|$)/;

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(file);
  }
  return out;
}

// `import x from '...'`, `import type {x} from '...'`, `export * from '...'`, `import('...')`, `import '...'`.
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
];

function importsOf(file) {
  // Comments could hold import-like text: drop them first (strings with // in them stay whole).
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = new Set();
  for (const pattern of SPECIFIERS) for (const match of text.matchAll(pattern)) found.add(match[1]);
  return [...found];
}

function layerOf(file) {
  const relative = path.relative(SRC, file).split(path.sep);
  return relative.length === 1 ? relative[0] : relative[0];
}

const files = sourceFiles(SRC);
const graph = new Map();
const problems = [];
for (const file of files) {
  const from = layerOf(file);
  const allowed = LAYERS[from];
  const rel = path.relative(process.cwd(), file);
  if (allowed === undefined) {
    problems.push(`${rel}: in no layer of docs/architecture.md (add it to scripts/check-layers.mjs)`);
    continue;
  }
  const edges = [];
  for (const specifier of importsOf(file)) {
    if (!specifier.startsWith('.')) {
      if (from === 'core' && IO_MODULES.test(specifier))
        problems.push(`${rel}: imports ${specifier}, but core/ is free of I/O`);
      continue;
    }
    const target = path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts'));
    if (!target.startsWith(SRC)) continue;
    edges.push(target);
    const to = layerOf(target);
    if (to !== from && !allowed.includes(to))
      problems.push(`${rel}: imports ${path.relative(process.cwd(), target)} (${from} may not import ${to})`);
  }
  graph.set(file, edges);
}

// Cycles: strongly connected components of more than one file (Tarjan), or a file importing itself.
let index = 0;
const stack = [];
const meta = new Map();
function connect(file) {
  const m = { index, low: index, onStack: true };
  index++;
  meta.set(file, m);
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    const seen = meta.get(next);
    if (seen === undefined) {
      connect(next);
      m.low = Math.min(m.low, meta.get(next).low);
    } else if (seen.onStack) m.low = Math.min(m.low, seen.index);
  }
  if (m.low === m.index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      meta.get(member).onStack = false;
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file))
      problems.push(`import cycle: ${component.map((f) => path.relative(process.cwd(), f)).join(' <-> ')}`);
  }
}
for (const file of graph.keys()) if (!meta.has(file)) connect(file);

if (problems.length > 0) {
  console.error(`Layering (docs/architecture.md): ${problems.length} problem(s)`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`Layering: ${files.length} files, no upward import, no cycle.`);
