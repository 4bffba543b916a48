import { parse as parseYaml } from 'yaml';
import { compareText } from '../../core/ids.js';
import type { WorkspaceDeclaration, WorkspacePackage } from '../schema.js';
import type { Finding } from './finding.js';
import { leftOutFolder } from './languages.js';
import { nodeProject } from './npm.js';
import {
  cleanPath,
  dirName,
  globToRegExp,
  quotedStrings,
  type Repo,
  record,
  stringList,
  tomlArray,
  tomlSections,
  tomlString,
} from './repo.js';

export interface Workspaces {
  declarations: WorkspaceDeclaration[];
  /** Sorted by path. */
  packages: WorkspacePackage[];
}

const TEST_FOLDERS = new Set(['test', 'tests', '__tests__', 'spec', 'e2e']);
const DOCS_FOLDERS = new Set(['docs', 'doc', 'documentation', 'website', 'site']);

/**
 * A package in a playground, fixtures, examples or test folder is something the project is tried
 * on, not a part of it: it says nothing about the project's frameworks or entry points.
 */
function roleOf(dir: string): WorkspacePackage['role'] {
  const parts = dir.split('/');
  if (parts.some((part) => leftOutFolder(part) !== undefined || TEST_FOLDERS.has(part))) return 'fixture';
  if (DOCS_FOLDERS.has(parts[0]!)) return 'docs';
  return 'package';
}

/** Folders (not the root) that hold a file of this name. */
function foldersWith(repo: Repo, manifest: string): string[] {
  const suffix = `/${manifest}`;
  return repo.files.filter((f) => f.endsWith(suffix)).map(dirName);
}

/** The folders a list of workspace globs selects (`!` patterns exclude), among those given. */
function select(patterns: readonly string[], folders: readonly string[], manifest: string): string[] {
  const compile = (pattern: string) => {
    const glob = cleanPath(pattern.replace(/^!/, '')).replace(new RegExp(`/?${manifest}$`), '');
    return globToRegExp(glob === '' || glob === '.' ? manifest : `${glob}/${manifest}`);
  };
  const include = patterns.filter((p) => !p.startsWith('!')).map(compile);
  const exclude = patterns.filter((p) => p.startsWith('!')).map(compile);
  return folders.filter((dir) => {
    const file = `${dir}/${manifest}`;
    return include.some((re) => re.test(file)) && !exclude.some((re) => re.test(file));
  });
}

function pnpmPatterns(repo: Repo): string[] | undefined {
  const text = repo.read('pnpm-workspace.yaml');
  if (text === undefined) return undefined;
  try {
    return stringList(record(parseYaml(text)).packages);
  } catch {
    // A pnpm-workspace.yaml that does not parse declares nothing we can read; pnpm refuses it too.
    return [];
  }
}

/** `workspaces: [...]` or yarn's `workspaces: { packages: [...] }`. */
function packageJsonPatterns(pkg: Record<string, unknown> | undefined): string[] | undefined {
  const ws = pkg?.workspaces;
  if (Array.isArray(ws)) return stringList(ws);
  if (Array.isArray(record(ws).packages)) return stringList(record(ws).packages);
  return undefined;
}

/** The workspaces of pnpm, npm/yarn/bun, lerna, nx, cargo and go, with the packages they hold. */
export function workspaces(repo: Repo): Workspaces {
  const declarations: WorkspaceDeclaration[] = [];
  const packages = new Map<string, WorkspacePackage>();
  const add = (dir: string, name: string | undefined, description?: string) => {
    if (packages.has(dir)) return;
    packages.set(dir, {
      name: name ?? null,
      path: dir,
      role: roleOf(dir),
      ...(description ? { description } : {}),
    });
  };

  const node = nodeProject(repo);
  const js: WorkspaceDeclaration[] = [];
  const pnpm = pnpmPatterns(repo);
  if (pnpm !== undefined) js.push({ tool: 'pnpm', manifest: 'pnpm-workspace.yaml', patterns: pnpm });
  const fromPackageJson = packageJsonPatterns(node?.pkg);
  if (fromPackageJson !== undefined)
    js.push({ tool: node?.manager ?? 'npm', manifest: 'package.json', patterns: fromPackageJson });
  const lerna = repo.json('lerna.json');
  if (lerna !== undefined) {
    // Lerna without `packages` uses the package manager's workspaces, or packages/* when there are none.
    const patterns = stringList(lerna.packages);
    if (patterns.length > 0 || js.length === 0)
      js.push({
        tool: 'lerna',
        manifest: 'lerna.json',
        patterns: patterns.length > 0 ? patterns : ['packages/*'],
      });
  }
  if (js.length > 0) {
    const folders = foldersWith(repo, 'package.json');
    for (const declaration of js) {
      declarations.push(declaration);
      for (const dir of select(declaration.patterns, folders, 'package.json')) {
        const pkg = repo.json(`${dir}/package.json`);
        add(
          dir,
          typeof pkg?.name === 'string' ? pkg.name : undefined,
          typeof pkg?.description === 'string' ? pkg.description : undefined,
        );
      }
    }
  }

  // Nx finds its projects by their project.json files, wherever they are.
  if (repo.has('nx.json')) {
    const projects = foldersWith(repo, 'project.json');
    declarations.push({ tool: 'nx', manifest: 'nx.json', patterns: ['**/project.json'] });
    for (const dir of projects) {
      const project = repo.json(`${dir}/project.json`);
      const pkg = repo.json(`${dir}/package.json`);
      const name = typeof project?.name === 'string' ? project.name : pkg?.name;
      add(dir, typeof name === 'string' ? name : undefined);
    }
  }

  const cargo = tomlSections(repo.read('Cargo.toml')).get('workspace');
  if (cargo !== undefined) {
    const members = quotedStrings(tomlArray(cargo, 'members'));
    const exclude = quotedStrings(tomlArray(cargo, 'exclude')).map((p) => `!${p}`);
    declarations.push({ tool: 'cargo', manifest: 'Cargo.toml', patterns: [...members, ...exclude] });
    for (const dir of select([...members, ...exclude], foldersWith(repo, 'Cargo.toml'), 'Cargo.toml'))
      add(dir, tomlString(tomlSections(repo.read(`${dir}/Cargo.toml`)).get('package'), 'name'));
  }

  const goWork = repo.read('go.work');
  if (goWork !== undefined) {
    const uses: string[] = [];
    for (const match of goWork.matchAll(/^\s*use\s+(?:\(([^)]*)\)|(\S+))/gm)) {
      const block = match[1] ?? match[2] ?? '';
      for (const line of block.split('\n')) {
        const dir = line.replace(/\/\/.*$/, '').trim();
        if (dir !== '') uses.push(dir);
      }
    }
    declarations.push({ tool: 'go', manifest: 'go.work', patterns: uses });
    for (const use of uses) {
      const dir = cleanPath(use);
      if (dir === '' || dir === '.' || !repo.has(`${dir}/go.mod`)) continue;
      const module = /^module\s+(\S+)/m.exec(repo.read(`${dir}/go.mod`) ?? '')?.[1];
      add(dir, module);
    }
  }

  return {
    declarations,
    packages: [...packages.values()].sort((a, b) => compareText(a.path, b.path)),
  };
}

export function detectWorkspaces(repo: Repo): Finding {
  const found = repo.once(workspaces);
  return { workspaces: found.declarations, workspace_packages: found.packages };
}

/** The workspace packages that are parts of the project (not fixtures, not a docs site). */
export function memberPackages(repo: Repo): WorkspacePackage[] {
  return repo.once(workspaces).packages.filter((p) => p.role === 'package');
}
