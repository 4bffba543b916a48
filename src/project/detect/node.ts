import type { Finding } from './finding.js';
import { dependenciesOf, firstScript, nodeProject } from './npm.js';
import { type Json, pick, type Repo } from './repo.js';
import { memberPackages } from './workspaces.js';

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
  uvu: 'uvu',
  '@playwright/test': 'Playwright',
  cypress: 'Cypress',
  '@testing-library/react': 'Testing Library',
  supertest: 'SuperTest',
};
const JS_BUILD: Record<string, string> = {
  typescript: 'tsc',
  esbuild: 'esbuild',
  rollup: 'Rollup',
  rolldown: 'Rolldown',
  webpack: 'webpack',
  vite: 'Vite',
  tsup: 'tsup',
  tsdown: 'tsdown',
  parcel: 'Parcel',
  '@babel/core': 'Babel',
  '@swc/core': 'SWC',
  turbo: 'Turborepo',
  nx: 'Nx',
  lerna: 'Lerna',
};

/**
 * Node.js: the root package.json and the member packages of its workspaces (never fixtures). A
 * framework counts where the code runs with it (dependencies, peer, optional); one that only a
 * devDependency names (got tests against an Express server) is listed apart, as dev-only.
 */
export function detectNode(repo: Repo): Finding {
  const project = nodeProject(repo);
  if (project === undefined) return {};
  const manifests: Json[] = [project.pkg];
  for (const member of memberPackages(repo)) {
    const pkg = repo.json(`${member.path}/package.json`);
    if (pkg !== undefined) manifests.push(pkg);
  }
  const runtime = new Set<string>();
  const devOnly = new Set<string>();
  for (const pkg of manifests) {
    const deps = dependenciesOf(pkg);
    for (const d of deps.runtime) runtime.add(d);
    for (const d of deps.devOnly) devOnly.add(d);
  }
  const any = (d: string) => runtime.has(d) || devOnly.has(d);
  const frameworks = pick(JS_FRAMEWORKS, (d) => runtime.has(d));
  const testFrameworks = pick(JS_TEST, any);
  if (/\bnode\s+(--[a-z-]+\s+)*--test\b/.test(project.scripts.test ?? '')) testFrameworks.push('node:test');
  const { pkg } = project;
  return {
    project_name: typeof pkg.name === 'string' ? pkg.name : undefined,
    description: typeof pkg.description === 'string' && pkg.description !== '' ? pkg.description : undefined,
    package_managers: [{ name: project.manager, manifest: 'package.json', lockfile: project.lockfile }],
    frameworks,
    dev_frameworks: pick(JS_FRAMEWORKS, (d) => devOnly.has(d) && !runtime.has(d)),
    test_frameworks: testFrameworks,
    build_tools: [project.manager, ...pick(JS_BUILD, any)],
    commands: {
      build: firstScript(project, ['build', 'compile']),
      test: firstScript(project, ['test']),
      lint: firstScript(project, ['lint', 'check']),
      dev: firstScript(project, ['dev', 'start', 'serve']),
    },
  };
}

/** Dependency names of the root and member packages, runtime and dev together. */
export function nodeDependencies(repo: Repo): Set<string> {
  const names = new Set<string>();
  const project = nodeProject(repo);
  if (project === undefined) return names;
  const manifests = [project.pkg, ...memberPackages(repo).map((m) => repo.json(`${m.path}/package.json`))];
  for (const pkg of manifests) {
    if (pkg === undefined) continue;
    const deps = dependenciesOf(pkg);
    for (const d of [...deps.runtime, ...deps.devOnly]) names.add(d);
  }
  return names;
}
