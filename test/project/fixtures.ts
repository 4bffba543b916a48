/**
 * File trees shaped like the repositories `wfs init` was tried on (vite, got, express), small
 * enough to read: each keeps only what made the analysis go wrong there.
 */

export type Tree = Record<string, string>;

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** vite: a pnpm monorepo; its playground holds more JavaScript than its packages hold TypeScript. */
export function viteLike(): Tree {
  const tree: Tree = {
    'package.json': json({
      name: '@vitejs/vite-monorepo',
      private: true,
      packageManager: 'pnpm@10.0.0',
      scripts: { build: 'pnpm -r --filter "./packages/*" run build', test: 'vitest run', lint: 'eslint .' },
      devDependencies: { vitest: '^4.0.0', typescript: '^5.9.0', eslint: '^9.0.0', vue: '^3.5.0' },
    }),
    'pnpm-lock.yaml': '',
    'pnpm-workspace.yaml': [
      'packages:',
      "  - 'packages/*'",
      "  - 'playground/**'",
      "  - 'packages/**/__tests__/**'",
      '  - docs',
      '',
      'overrides:',
      "  vite: 'workspace:*'",
      '',
    ].join('\n'),
    'packages/vite/package.json': json({
      name: 'vite',
      description: 'Native-ESM powered web dev build tool',
      type: 'module',
      bin: { vite: 'bin/vite.js' },
      exports: {
        '.': './dist/node/index.js',
        './client': { types: './client.d.ts' },
        './module-runner': './dist/node/module-runner.js',
        './dist/client/*': './dist/client/*',
        './types/*': { types: './types/*' },
        './types/internal/*': null,
        './package.json': './package.json',
      },
      dependencies: { rolldown: '1.0.0', postcss: '^8.5.0' },
      devDependencies: { esbuild: '^0.25.0', connect: '^3.7.0' },
    }),
    'packages/vite/bin/vite.js': '',
    'packages/vite/client.d.ts': '',
    'packages/vite/types/hot.d.ts': '',
    'packages/vite/src/node/index.ts': '',
    'packages/vite/src/node/module-runner.ts': '',
    'packages/vite/src/node/server/index.ts': '',
    'packages/vite/src/node/build.ts': '',
    'packages/vite/src/client/client.ts': '',
    'packages/vite/src/node/__tests__/build.spec.ts': '',
    'packages/vite/src/node/__tests__/fixtures/app/main.js': '',
    'packages/vite/src/node/__tests__/fixtures/app/util.js': '',
    'packages/vite/src/node/__tests__/packages/name/package.json': json({ name: '@vitejs/test-name' }),
    'packages/create-vite/package.json': json({
      name: 'create-vite',
      bin: { 'create-vite': 'index.js', cva: 'index.js' },
      main: 'index.js',
    }),
    'packages/create-vite/index.js': '',
    'packages/create-vite/src/index.ts': '',
    'docs/package.json': json({
      name: 'docs',
      private: true,
      dependencies: { vitepress: '^1.0.0', vue: '^3.5.0' },
    }),
    'docs/guide/index.md': '',
    'docs/.vitepress/config.ts': '',
    'playground/package.json': json({ name: '@vitejs/playground', private: true }),
  };
  for (const app of ['alias', 'css', 'hmr', 'ssr-vue', 'worker']) {
    tree[`playground/${app}/package.json`] = json({
      name: `@vitejs/test-${app}`,
      private: true,
      dependencies: { vue: '^3.5.0', react: '^19.0.0', express: '^5.0.0' },
    });
    for (let i = 0; i < 6; i++) tree[`playground/${app}/src/file${i}.js`] = '';
  }
  tree['playground/ssr-vue/nested/deep/package.json'] = json({ name: '@vitejs/test-deep' });
  return tree;
}

/** got: an HTTP client whose tests run an Express server; `exports` points into dist/, built by tsc. */
export function gotLike(): Tree {
  return {
    'package.json': json({
      name: 'got',
      description: 'Human-friendly and powerful HTTP request library for Node.js',
      type: 'module',
      exports: { types: './dist/source/index.d.ts', default: './dist/source/index.js' },
      scripts: { build: 'del-cli dist && tsc', test: 'xo && tsc --noEmit && ava' },
      dependencies: { 'cacheable-request': '^12.0.1', 'http2-wrapper': '^2.2.1' },
      devDependencies: { express: '^4.21.2', ava: '^5.3.1', typescript: '^5.6.0', c8: '^10.0.0' },
    }),
    'package-lock.json': '{}',
    // A JSONC tsconfig, as tsc reads it: comments and a trailing comma.
    'tsconfig.json': [
      '{',
      '\t"extends": "@sindresorhus/tsconfig",',
      '\t"compilerOptions": {',
      '\t\t"outDir": "dist", // emitted here',
      '\t\t/* "rootDir" left to tsc: the common folder of source/ and test/ */',
      '\t\t"target": "es2022",',
      '\t},',
      '\t"include": ["source", "test"],',
      '}',
    ].join('\n'),
    'source/index.ts': '',
    'source/as-promise/index.ts': '',
    'source/core/index.ts': '',
    'test/helpers/with-server.ts': '',
    'test/http.ts': '',
    'documentation/1-promise.md': '',
  };
}

/** express: JavaScript, coverage through nyc in test-cov / test-ci, many examples. */
export function expressLike(): Tree {
  const tree: Tree = {
    'package.json': json({
      name: 'express',
      description: 'Fast, unopinionated, minimalist web framework',
      scripts: {
        lint: 'eslint .',
        test: 'mocha --require test/support/env --reporter spec --check-leaks test/ test/acceptance/',
        'test-ci': 'nyc --exclude examples --exclude test --reporter=lcovonly --reporter=text npm test',
        'test-cov': 'nyc --exclude examples --exclude test --reporter=html --reporter=text npm test',
        'test-tap': 'mocha --reporter tap --check-leaks test/ test/acceptance/',
      },
      dependencies: { accepts: '^2.0.0', 'body-parser': '^2.0.0', debug: '^4.3.6' },
      devDependencies: { mocha: '^10.7.3', nyc: '^17.1.0', supertest: '^6.3.0', ejs: '^3.1.10' },
    }),
    'index.js': '',
    'lib/express.js': '',
    'lib/application.js': '',
    'lib/request.js': '',
    'test/app.js': '',
    'test/support/env.js': '',
  };
  for (let i = 0; i < 12; i++) tree[`examples/example${i}/index.js`] = '';
  return tree;
}

/** A CCW project-tech.json, as CCW's tools write and update it. */
export function ccwProjectTech(): Record<string, unknown> {
  return {
    project_name: 'shop',
    initialized_at: '2025-01-02T03:04:05.000Z',
    overview: {
      description: 'Shop backend',
      technology_stack: {
        languages: [{ name: 'TypeScript', file_count: 3, primary: true }],
        frameworks: ['Hono'],
        build_tools: ['npm'],
        test_frameworks: ['vitest'],
        notes_by_ccw: 'kept',
      },
      architecture: { style: 'layered', layers: ['api', 'data'], patterns: ['Repository'] },
      key_components: [{ name: 'api', path: 'src/api', description: 'HTTP API', importance: 'high' }],
      glossary: { sku: 'stock keeping unit' },
    },
    features: [
      { session_id: 'WFS-login', title: 'Login', completed_at: '2025-02-01T00:00:00Z', tags: ['auth'] },
    ],
    development_index: {
      feature: [
        {
          title: 'Login',
          sub_feature: 'auth',
          date: '2025-02-01',
          description: 'login',
          status: 'completed',
        },
      ],
      enhancement: [],
      bugfix: [],
      refactor: [],
      docs: [],
    },
    statistics: { total_features: 1, total_sessions: 4, last_updated: '2025-02-01T00:00:00Z' },
    _metadata: {
      initialized_by: 'cli-explore-agent',
      analysis_timestamp: '2025-01-02T03:04:05.000Z',
      analysis_mode: 'deep-scan',
      last_updated: '2025-02-01T00:00:00Z',
    },
    team_notes: ['something only this team keeps here'],
  };
}
