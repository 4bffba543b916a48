import { type Json, type Repo, record } from './repo.js';

/** The root package.json, as the JavaScript detectors share it. */
export interface NodeProject {
  pkg: Json;
  manager: string;
  lockfile: string | null;
  /** How a script is run: `npm run`, `pnpm`, `yarn`, `bun run`. */
  runPrefix: string;
  scripts: Record<string, string>;
}

const LOCKFILES: readonly [string, string][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

function manager(repo: Repo, pkg: Json): string {
  // `packageManager: "pnpm@9.1.0"` is what corepack enforces: it wins over a stray lockfile.
  if (typeof pkg.packageManager === 'string') {
    const name = pkg.packageManager.split('@')[0];
    if (name) return name;
  }
  if (repo.has('pnpm-workspace.yaml')) return 'pnpm';
  return LOCKFILES.find(([file]) => repo.has(file))?.[1] ?? 'npm';
}

export function nodeProject(repo: Repo): NodeProject | undefined {
  const pkg = repo.json('package.json');
  if (pkg === undefined) return undefined;
  const name = manager(repo, pkg);
  const scripts: Record<string, string> = {};
  for (const [script, command] of Object.entries(record(pkg.scripts)))
    if (typeof command === 'string') scripts[script] = command;
  return {
    pkg,
    manager: name,
    lockfile: LOCKFILES.find(([file]) => repo.has(file))?.[0] ?? null,
    runPrefix: name === 'npm' ? 'npm run' : name === 'bun' ? 'bun run' : name,
    scripts,
  };
}

/** The command that runs a script: `npm test` for npm's own test script, else `<prefix> <name>`. */
export function runScript(project: NodeProject, name: string): string {
  if (name === 'test' && project.manager === 'npm') return 'npm test';
  return `${project.runPrefix} ${name}`;
}

/** The first of these scripts the project has, as a command. */
export function firstScript(project: NodeProject, names: readonly string[]): string | null {
  const name = names.find((n) => project.scripts[n] !== undefined);
  return name === undefined ? null : runScript(project, name);
}

export interface Dependencies {
  /** dependencies, peerDependencies and optionalDependencies: what the package runs with. */
  runtime: Set<string>;
  devOnly: Set<string>;
}

export function dependenciesOf(pkg: Json): Dependencies {
  const runtime = new Set([
    ...Object.keys(record(pkg.dependencies)),
    ...Object.keys(record(pkg.peerDependencies)),
    ...Object.keys(record(pkg.optionalDependencies)),
  ]);
  const devOnly = new Set(Object.keys(record(pkg.devDependencies)).filter((d) => !runtime.has(d)));
  return { runtime, devOnly };
}
