// Builds the CLI into one CommonJS file (dist/cli.cjs) and its launcher, the bin (dist/wfs.cjs, which
// loads it with V8's code cache: src/launcher.ts), the library into ES module chunks with its
// type declarations (dist/lib), and the internals the tests and benchmarks load in processes of their
// own (dist/internals.js, not published). Node 20 has no compile cache, so every CLI start pays for
// all JS it loads: one bundle halves that (see ../shared/DEPENDENCIES.md). CommonJS rather than ESM
// chunks for the CLI: measured here, it saves 5-7 ms per command (no ESM loader, no chunk
// resolution). Modules imported lazily (the prompt library, the repository analyser) are in the
// file, but their top-level code runs only when used.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Modules that only some commands use are built as files of their own beside the bundle and
 * required when first imported, so the commands agents call all the time do not compile them: the
 * prompt library for the interactive `session start`, the repository analyser and its .gitignore
 * parser, the Redis backend with ioredis, the Markdown and YAML parsers of the workflows, and the
 * commands run now and then that bring code of their own (doctor, migrate, run/workflow, install,
 * the MCP server with its SDK, the dashboard with Hono). Each maps one dynamic import() in the
 * source to its file. The coordination commands (events, lock, results, exec, claim) are in the
 * bundle: a file of their own repeated 130-190 KB of it for 2-8 KB of their own (measured), and
 * loading one cost 5.5-6 ms, so folded in they add ~25 KB to the bundle and save that per call.
 */
const LAZY = [
  {
    filter: /^@clack\/prompts$/,
    entry: 'node_modules/@clack/prompts/dist/index.mjs',
    out: 'lazy/prompts.cjs',
  },
  {
    filter: /^\.\/init\.js$/,
    importer: /src\/project\/ensure\.ts$/,
    entry: 'src/project/init.ts',
    out: 'lazy/project-init.cjs',
  },
  // The dashboard brings Hono and its server: only `wfs dashboard` loads them.
  ...['doctor', 'migrate', 'workflow', 'mcp', 'install', 'dashboard'].map((command) => ({
    filter: new RegExp(`^\\./commands/${command}\\.js$`),
    importer: /src\/cli\/commands\.ts$/,
    entry: `src/cli/commands/${command}.ts`,
    out: `lazy/${command}-command.cjs`,
  })),
  {
    filter: /^yaml$/,
    importer: /src\/workflow\/declared\.ts$/,
    entry: 'node_modules/yaml/dist/index.js',
    out: 'lazy/yaml.cjs',
  },
  {
    filter: /^\.\/markdown\.js$/,
    importer: /src\/workflow\/builtin\/docs-check\.ts$/,
    entry: 'src/workflow/builtin/markdown.ts',
    out: 'lazy/markdown.cjs',
  },
  {
    filter: /^\.\/redis\/coordinator\.js$/,
    importer: /src\/coord\/open\.ts$/,
    entry: 'src/coord/redis/coordinator.ts',
    out: 'lazy/redis.cjs',
  },
  {
    filter: /^\.\/commands\/init\.js$/,
    importer: /src\/cli\/commands\.ts$/,
    entry: 'src/cli/commands/init.ts',
    out: 'lazy/init-command.cjs',
  },
];

/**
 * Maps the lazy imports of a bundle written to `outDir` to the lazy files, relative to it, through a
 * shim that loads them with require(). Left as import(), Node would load each through its ESM
 * loader, which scans a CommonJS file's source for its exports (cjs-module-lexer): measured here,
 * that scan was optimised by TurboFan on every load and cost `wfs context` ~25 ms.
 */
const lazyModules = (outDir) => ({
  name: 'lazy-modules',
  setup(builder) {
    for (const lazy of LAZY) {
      builder.onResolve({ filter: lazy.filter }, (args) => {
        if (args.kind !== 'dynamic-import' || (lazy.importer && !lazy.importer.test(args.importer)))
          return undefined;
        return { path: `./${path.posix.relative(outDir, `dist/${lazy.out}`)}`, namespace: 'lazy-shim' };
      });
    }
    builder.onLoad({ filter: /.*/, namespace: 'lazy-shim' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
    builder.onResolve({ filter: /.*/, namespace: 'lazy-shim' }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
});

/**
 * `import fs from 'node:fs'` in a CommonJS bundle becomes `__toESM(require('node:fs'))` in every
 * module that imports it: a copy of the module's hundred-odd properties each time (~1.8 ms of
 * every CLI start, measured). Our source imports node:fs, node:path and node:os only as defaults,
 * so there each is resolved to one shared module that hands out the real one, never copied.
 */
const DEFAULT_IMPORTED_BUILTINS = /^node:(fs|path|os)$/;
const sharedBuiltins = {
  name: 'shared-builtins',
  setup(builder) {
    builder.onResolve({ filter: DEFAULT_IMPORTED_BUILTINS }, (args) => {
      if (args.namespace === 'builtin-default') return { path: args.path, external: true };
      // Our own source only: dependencies import these by name, which the shared module does not offer.
      if (!/[\\/]src[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'builtin-default' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'builtin-default' }, (args) => ({
      contents: `const builtin = require(${JSON.stringify(args.path)});\nexport default builtin;\n`,
      loader: 'js',
    }));
  },
};

/**
 * The dashboard's script and style sheet are plain files (src/dashboard/assets/), read beside their
 * module where the sources run; in the bundle, the module that reads them is replaced by one that
 * holds them, so the CLI is still files of its own with nothing to find at run time.
 */
const dashboardAssets = {
  name: 'dashboard-assets',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/static-files\.js$/ }, (args) =>
      /src[\\/]dashboard$/.test(args.resolveDir)
        ? { path: 'static-files', namespace: 'dashboard-assets' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'dashboard-assets' }, () => {
      const files = Object.fromEntries(
        readdirSync('src/dashboard/assets').map((name) => [
          name,
          readFileSync(`src/dashboard/assets/${name}`, 'utf8'),
        ]),
      );
      return {
        contents: `const FILES = ${JSON.stringify(files)};\nexport function staticFile(name) { return FILES[name]; }\n`,
        loader: 'js',
      };
    });
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const libOnly = process.argv.includes('--lib-only');
const binOnly = process.argv.includes('--bin-only');

if (!libOnly) {
  rmSync('dist/wfs.cjs', { force: true });
  rmSync('dist/cli.cjs', { force: true });
  rmSync('dist/lazy', { recursive: true, force: true });
  const common = {
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    define: { WFS_VERSION: JSON.stringify(pkg.version) },
    legalComments: 'none',
    logLevel: 'warning',
    // jsonc-parser's `main` is a UMD build that requires its parts by computed names, which a bundle
    // cannot follow: its ES module build bundles whole.
    alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  };
  // The CLI, dist/cli.cjs, and the bin, dist/wfs.cjs, a launcher that loads it with V8's code
  // cache (src/launcher.ts). The launcher is told the bundle's identity (version and content hash),
  // so a cache written for one build is never given to another.
  await build({
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: 'dist/cli.cjs',
    plugins: [lazyModules('dist'), sharedBuiltins],
  });
  const bundleHash = createHash('sha256').update(readFileSync('dist/cli.cjs')).digest('hex').slice(0, 16);
  await build({
    ...common,
    entryPoints: ['src/launcher.ts'],
    outfile: 'dist/wfs.cjs',
    banner: { js: '#!/usr/bin/env node' },
    define: { ...common.define, WFS_BUNDLE_ID: JSON.stringify(`${pkg.version}-${bundleHash}`) },
    plugins: [sharedBuiltins],
  });
  // The lazy files map their own lazy imports (a lazily loaded command that may load Redis).
  for (const lazy of LAZY)
    await build({
      ...common,
      entryPoints: [lazy.entry],
      outfile: `dist/${lazy.out}`,
      plugins: [lazyModules('dist/lazy'), sharedBuiltins, dashboardAssets],
    });
  chmodSync('dist/wfs.cjs', 0o755);
}
/**
 * The library (`import 'wfs'`, and `require('wfs')`, which Node 20.19+ serves from ES modules) and the
 * internals: ES modules, split at every dynamic import() of the source, so what only some calls use
 * (the Redis backend, the repository analyser of initProject, the YAML and Markdown parsers, the
 * built-in workflows) is a chunk of its own, loaded on first use. One chunk graph, no top-level
 * await: require() can load it synchronously.
 *
 * Dependencies are bundled: resolved from node_modules, importing the library took ~65 ms (zod and
 * stemmer on the import path: dozens of files through Node's ES module loader, each resolved, read
 * and compiled), bundled ~24 ms (measured here, Node 20.20, docs/BENCHMARKS.md); it is the same code
 * the CLI bundles. So package.json's `dependencies` are only what the published package needs beside
 * its bundles: ioredis, left external (CommonJS of many parts that only the Redis backend loads:
 * nothing of it is on the import path, and its fixes reach Redis users without a new wfs), and zod,
 * whose types the declarations use (SessionState, the config: z.infer). The front doors'
 * dependencies (Hono, the MCP SDK) are external too, though the library never imports them: were
 * one reached, it would load from node_modules, where test/library.test.ts sees it, rather than
 * grow the library unnoticed.
 */
const LIBRARY = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  legalComments: 'none',
  logLevel: 'warning',
  external: ['ioredis', 'hono', '@hono/*', '@modelcontextprotocol/*'],
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  // The bundled CommonJS dependencies (yaml, semver, ignore) require Node's modules by name; an ES
  // module has no `require` of its own, so each chunk is given one.
  banner: {
    js: "import { createRequire as __wfsCreateRequire } from 'node:module';\nconst require = __wfsCreateRequire(import.meta.url);",
  },
};

if (!binOnly) {
  rmSync('dist/lib', { recursive: true, force: true });
  rmSync('dist/internals.js', { force: true });
  rmSync('dist/internals', { recursive: true, force: true });
  await build({
    ...LIBRARY,
    entryPoints: { index: 'src/index.ts' },
    outdir: 'dist/lib',
    chunkNames: 'chunks/[name]-[hash]',
  });
  // A build of its own, so nothing only the tests use is among the published chunks.
  await build({
    ...LIBRARY,
    entryPoints: { internals: 'src/internals.ts' },
    outdir: 'dist',
    chunkNames: 'internals/[name]-[hash]',
  });
  // The declarations of index.ts and what it reaches (tsconfig.lib.json), beside the chunks.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json'], {
    stdio: 'inherit',
  });
}
