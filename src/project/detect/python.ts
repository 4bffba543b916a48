import type { Finding } from './finding.js';
import { declares, pick, type Repo, tomlArray, tomlSections, tomlString } from './repo.js';

const PY_FRAMEWORKS: Record<string, string> = {
  django: 'Django',
  flask: 'Flask',
  fastapi: 'FastAPI',
  starlette: 'Starlette',
  tornado: 'Tornado',
  aiohttp: 'aiohttp',
  pydantic: 'Pydantic',
  sqlalchemy: 'SQLAlchemy',
  celery: 'Celery',
};
const PY_TEST: Record<string, string> = {
  pytest: 'pytest',
  nose2: 'nose2',
  hypothesis: 'Hypothesis',
  tox: 'tox',
};
const PY_BUILD: Record<string, string> = {
  hatchling: 'hatchling',
  setuptools: 'setuptools',
  'poetry-core': 'poetry-core',
  'flit-core': 'flit',
  maturin: 'maturin',
  'pdm-backend': 'pdm',
};

const RUNTIME_REQUIREMENTS = ['requirements.txt', 'requirements/base.txt', 'requirements/prod.txt'];
const DEV_REQUIREMENTS = [
  'requirements-dev.txt',
  'requirements-test.txt',
  'requirements_dev.txt',
  'dev-requirements.txt',
  'test-requirements.txt',
  'requirements/dev.txt',
  'requirements/test.txt',
];
const MANIFESTS = [
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'Pipfile',
  ...RUNTIME_REQUIREMENTS,
  ...DEV_REQUIREMENTS,
];
/** Names of extras and dependency groups that are for development, not for running. */
const DEV_GROUPS =
  /^(dev|develop|development|test|tests|testing|lint|linting|docs?|typing|types|coverage|ci|check)$/i;

export interface PythonDependencies {
  runtime: string;
  dev: string;
}

/** The text of runtime and of development dependency declarations, apart. */
export function pythonDependencies(repo: Repo): PythonDependencies {
  const runtime: string[] = [];
  const dev: string[] = [];
  for (const file of RUNTIME_REQUIREMENTS) runtime.push(repo.read(file) ?? '');
  for (const file of DEV_REQUIREMENTS) dev.push(repo.read(file) ?? '');
  // setup.py / setup.cfg are code and free-form: read whole as runtime, as before.
  runtime.push(repo.read('setup.py') ?? '', repo.read('setup.cfg') ?? '');
  const pyproject = tomlSections(repo.read('pyproject.toml'));
  runtime.push(tomlArray(pyproject.get('project'), 'dependencies') ?? '');
  for (const [header, body] of pyproject) {
    if (header === 'project.optional-dependencies') {
      for (const match of body.matchAll(/^\s*([A-Za-z0-9_.-]+)\s*=\s*\[([\s\S]*?)\]/gm))
        (DEV_GROUPS.test(match[1]!) ? dev : runtime).push(match[2]!);
    } else if (header === 'dependency-groups' || header === 'tool.poetry.dev-dependencies') dev.push(body);
    else if (header === 'tool.poetry.dependencies') runtime.push(body);
    else if (/^tool\.poetry\.group\.[^.]+\.dependencies$/.test(header)) dev.push(body);
  }
  const pipfile = tomlSections(repo.read('Pipfile'));
  runtime.push(pipfile.get('packages') ?? '');
  dev.push(pipfile.get('dev-packages') ?? '');
  return { runtime: runtime.join('\n'), dev: dev.join('\n') };
}

export function isPythonProject(repo: Repo): boolean {
  return MANIFESTS.some((file) => repo.has(file));
}

export function detectPython(repo: Repo): Finding {
  if (!isPythonProject(repo)) return {};
  const pyprojectText = repo.read('pyproject.toml') ?? '';
  const pyproject = tomlSections(pyprojectText);
  const manager = repo.has('uv.lock')
    ? 'uv'
    : repo.has('poetry.lock') || pyproject.has('tool.poetry')
      ? 'poetry'
      : repo.has('Pipfile')
        ? 'pipenv'
        : 'pip';
  const manifest = MANIFESTS.find((file) => repo.has(file))!;
  const lockfile = ['uv.lock', 'poetry.lock', 'Pipfile.lock'].find((file) => repo.has(file)) ?? null;
  const deps = pythonDependencies(repo);
  const all = `${deps.runtime}\n${deps.dev}`;
  const frameworks = pick(PY_FRAMEWORKS, (d) => declares(deps.runtime, d));
  const testFrameworks = pick(PY_TEST, (d) => declares(all, d));
  const buildSystem = tomlArray(pyproject.get('build-system'), 'requires') ?? '';
  const usesPytest = testFrameworks.includes('pytest') || pyproject.has('tool.pytest.ini_options');
  const project = pyproject.get('project') ?? pyproject.get('tool.poetry');
  return {
    project_name: tomlString(project, 'name'),
    description: tomlString(project, 'description') || undefined,
    package_managers: [{ name: manager, manifest, lockfile }],
    frameworks,
    dev_frameworks: pick(PY_FRAMEWORKS, (d) => declares(deps.dev, d) && !declares(deps.runtime, d)),
    test_frameworks: testFrameworks,
    build_tools: [manager, ...pick(PY_BUILD, (d) => declares(buildSystem, d))],
    commands: {
      test: usesPytest ? 'pytest' : null,
      lint: declares(all, 'ruff') || pyproject.has('tool.ruff') ? 'ruff check .' : null,
    },
  };
}
