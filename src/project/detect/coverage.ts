import { compareText } from '../../core/ids.js';
import type { Finding } from './finding.js';
import { makeTargets } from './make.js';
import { nodeDependencies } from './node.js';
import { type NodeProject, nodeProject, runScript } from './npm.js';
import { isPythonProject, pythonDependencies } from './python.js';
import { declares, pick, type Repo, tomlSections } from './repo.js';

/** Script names projects give their coverage run, the most specific first. */
const COVERAGE_SCRIPTS = [
  'coverage',
  'test:coverage',
  'test:cov',
  'test-cov',
  'test-coverage',
  'test_coverage',
  'cov',
  'cover',
  'test:ci',
  'test-ci',
  'ci:test',
];

/**
 * A coverage tool running tests in a script. `nyc report` / `c8 report` only print what an earlier
 * run measured (got's old `coveralls` script), so they do not make a coverage command.
 */
const TOOL_IN_SCRIPT: readonly [RegExp, string][] = [
  [/\bnyc\b(?!\s+(report|check-coverage|merge|instrument)\b)/, 'nyc'],
  [/\bc8\b(?!\s+(report|check-coverage)\b)/, 'c8'],
  [/\bistanbul\s+cover\b/, 'istanbul'],
  [/\bvitest\b[^&|;]*\s--coverage\b/, 'vitest --coverage'],
  [/\bjest\b[^&|;]*\s--coverage\b/, 'jest --coverage'],
  [/--experimental-test-coverage\b/, 'node --experimental-test-coverage'],
  [/\s--coverage\b/, '--coverage'],
];
const NODE_COVERAGE_PACKAGES: Record<string, string> = {
  nyc: 'nyc',
  c8: 'c8',
  istanbul: 'istanbul',
  '@vitest/coverage-v8': 'Vitest coverage (v8)',
  '@vitest/coverage-istanbul': 'Vitest coverage (istanbul)',
};

function toolIn(command: string): string | undefined {
  return TOOL_IN_SCRIPT.find(([re]) => re.test(command))?.[1];
}

/** The script that measures coverage: a usual name first, then any script whose command does. */
function nodeCoverage(project: NodeProject): { command: string | null; tools: string[] } {
  const scripts = Object.entries(project.scripts)
    .map(([name, command]) => ({ name, tool: toolIn(command) }))
    .filter((s): s is { name: string; tool: string } => s.tool !== undefined);
  const rank = (name: string) => {
    const known = COVERAGE_SCRIPTS.indexOf(name);
    if (known !== -1) return known;
    if (/cov/i.test(name)) return COVERAGE_SCRIPTS.length;
    return name === 'test' ? COVERAGE_SCRIPTS.length + 1 : COVERAGE_SCRIPTS.length + 2;
  };
  scripts.sort((a, b) => rank(a.name) - rank(b.name) || compareText(a.name, b.name));
  const best = scripts[0];
  return {
    command: best === undefined ? null : runScript(project, best.name),
    tools: [...new Set(scripts.map((s) => s.tool))].filter((t) => t !== '--coverage'),
  };
}

function pythonCoverage(repo: Repo): { command: string | null; tools: string[] } {
  const deps = pythonDependencies(repo);
  const all = `${deps.runtime}\n${deps.dev}`;
  const sections = tomlSections(repo.read('pyproject.toml'));
  const coveragePy =
    declares(all, 'coverage') ||
    [...sections.keys()].some((h) => h.startsWith('tool.coverage')) ||
    repo.has('.coveragerc');
  const pytestCov = declares(all, 'pytest-cov');
  const tools = [...(pytestCov ? ['pytest-cov'] : []), ...(coveragePy ? ['coverage.py'] : [])];
  const pytest = declares(all, 'pytest') || sections.has('tool.pytest.ini_options');
  const command = pytestCov
    ? 'pytest --cov'
    : coveragePy
      ? `coverage run -m ${pytest ? 'pytest' : 'unittest'}`
      : null;
  return { command, tools };
}

/**
 * The project's coverage command and the coverage tools it uses: a package.json script (nyc, c8,
 * istanbul, vitest/jest `--coverage`), pytest-cov or coverage.py, `go test -cover`, JaCoCo, or a
 * Makefile target, in that order.
 */
export function detectCoverage(repo: Repo): Finding {
  const tools: string[] = [];
  let command: string | null = null;
  const take = (found: { command: string | null; tools: string[] }) => {
    command ??= found.command;
    tools.push(...found.tools);
  };
  const node = nodeProject(repo);
  if (node !== undefined) {
    take(nodeCoverage(node));
    tools.push(...pick(NODE_COVERAGE_PACKAGES, (d) => nodeDependencies(repo).has(d)));
  }
  if (isPythonProject(repo)) take(pythonCoverage(repo));
  if (repo.has('go.mod')) take({ command: 'go test -cover ./...', tools: ['go test -cover'] });
  const jvm = `${repo.read('pom.xml') ?? ''}\n${repo.read('build.gradle.kts') ?? ''}\n${repo.read('build.gradle') ?? ''}`;
  if (/jacoco/i.test(jvm)) {
    const gradlew = repo.has('gradlew') ? './gradlew' : 'gradle';
    take({
      command: repo.has('pom.xml') ? 'mvn -B verify' : `${gradlew} test jacocoTestReport`,
      tools: ['JaCoCo'],
    });
  }
  const targets = makeTargets(repo);
  const target = ['coverage', 'cov', 'test-cov', 'cover'].find((t) => targets.has(t));
  if (target !== undefined) take({ command: `make ${target}`, tools: [] });
  return { coverage_tools: tools, commands: { coverage: command } };
}
