import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo } from '../helpers.js';

type RunJson = {
  status: string;
  run_id: string | null;
  steps: { name: string; status: string }[];
  reason?: string;
};

function commit(root: string, message: string): void {
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: root, encoding: 'utf8' });
  git('add', '-A');
  git('commit', '-qm', message);
}

function summaryOf(root: string, name: string): string {
  const active = path.join(root, '.workflow', 'active');
  const session = fs
    .readdirSync(active)
    .find((d) => fs.existsSync(path.join(active, d, '.summaries', `${name}.md`)));
  return fs.readFileSync(path.join(active, session!, '.summaries', `${name}.md`), 'utf8');
}

describe('built-in docs-check', () => {
  it('finds broken relative links and anchors with file and line, ignores code and the web; reused on the same tree, not after a commit', async () => {
    const root = makeRepo({
      'README.md': [
        '# Shop',
        '',
        'Read the [guide](docs/guide.md#setup), the [API](docs/api.md) and [the site](https://example.com).',
        '',
        '```md',
        '[in a code block](nowhere.md)',
        '```',
        '',
        'An image: ![logo](img/logo.png) and `[code span](nowhere.md)`.',
        '',
        '[ref]: docs/guide.md#no-such-heading',
        '',
      ].join('\n'),
      'docs/guide.md':
        '# Guide\n\n## Setup\n\nBack to the [top](../README.md#shop) or [outside](../../x.md).\n',
      'img/logo.png': 'png',
    });
    commit(root, 'docs');
    await wfs(root, ['session', 'start', '--new', 'writing docs']);
    const first = await wfs(root, ['run', 'docs-check', '--json']);
    expect(first.code).toBe(1);
    const result = json<RunJson>(first);
    expect(result.status).toBe('failed');
    expect(result.reason).toBe(
      "3 broken links: README.md:3 docs/api.md (no such file: docs/api.md); README.md:11 docs/guide.md#no-such-heading (no heading #no-such-heading in docs/guide.md); docs/guide.md:5 ../../x.md (outside the repository) (all in the session's .summaries/docs-check.md)",
    );
    expect(summaryOf(root, 'docs-check')).toContain('- README.md:3: docs/api.md (no such file: docs/api.md)');

    // Another session on the same tree reuses the result: nothing is scanned again.
    await wfs(root, ['session', 'start', '--new', 'reviewing docs']);
    const second = await wfs(root, ['run', 'docs-check', '--json']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/NOTE: Reusing the result WFS-writing-docs shared at .* for this tree/);
    expect(json<RunJson>(second).steps.map((s) => s.name)).toEqual(['write summary']);

    // Fixed and committed: a new tree, checked afresh, and clean.
    fs.writeFileSync(path.join(root, 'docs', 'api.md'), '# API\n');
    fs.writeFileSync(
      path.join(root, 'README.md'),
      '# Shop\n\nRead the [guide](docs/guide.md#setup) and the [API](docs/api.md).\n',
    );
    fs.writeFileSync(
      path.join(root, 'docs', 'guide.md'),
      '# Guide\n\n## Setup\n\nBack to the [top](../README.md#shop).\n',
    );
    commit(root, 'fix docs');
    const third = await wfs(root, ['run', 'docs-check', '--json']);
    expect(third.code).toBe(0);
    expect(json<RunJson>(third).steps.map((s) => s.name)).toEqual([
      'find markdown',
      'check links',
      'write summary',
    ]);
  });
});

describe('built-in docs-check on documentation sites', () => {
  /** A VitePress site as vitejs/vite has it: docs/.vitepress/config.ts, /guide/ links, pages without .md, public/. */
  function vitepressRepo(): string {
    const root = makeRepo({
      'README.md': '# Tool\n\nRead [the docs](docs/index.md).\n',
      'docs/.vitepress/config.ts':
        "import { defineConfig } from 'vitepress'\nexport default defineConfig({ cleanUrls: true })\n",
      'docs/index.md':
        '---\nlayout: home\n---\n\n# Tool\n\n[Get started](/guide/) · [Features](/guide/features#server-ws) · ![logo](/logo.svg)\n',
      'docs/guide/index.md':
        '# Getting started\n\nSee [features](./features), [the old page](/guide/features.html#hot-module-replacement) and [options](../config/#server-options).\n',
      'docs/guide/features.md':
        '# Features\n\n## Hot Module Replacement\n\n## server.ws <Badge type="info" />\n',
      'docs/config/index.md':
        '# Config\n\n## Server Options {#server-options}\n\nBack to the [guide](/guide/#getting-started).\n',
      'docs/public/logo.svg': '<svg/>',
    });
    commit(root, 'docs');
    return root;
  }

  it("reads a VitePress site by VitePress's rules, says which, and prints its figures; --json carries them", async () => {
    const root = vitepressRepo();
    await wfs(root, ['session', 'start', '--new', 'site docs']);
    const run = await wfs(root, ['run', 'docs-check']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^RULES: VitePress \(docs root docs\/\), GitHub elsewhere\nFILES: 5\nLINKS: 8\nBROKEN: 0\nRUN_ID: run-\S+\nRESULT: completed\n$/,
    );
    expect(summaryOf(root, 'docs-check')).toContain('Rules: VitePress (docs root docs/), GitHub elsewhere.');

    fs.appendFileSync(
      path.join(root, 'docs', 'guide', 'index.md'),
      '\n[gone](/guide/gone) and [a typo](./features#server-wss).\n',
    );
    const broken = await wfs(root, ['run', 'docs-check', '--json']);
    expect(broken.code).toBe(1);
    const result = json<RunJson & { figures: Record<string, unknown> }>(broken);
    expect(result.figures).toEqual({
      rules: 'VitePress (docs root docs/), GitHub elsewhere',
      files: 5,
      links: 10,
      broken: 2,
    });
    expect(result.reason).toBe(
      "2 broken links: docs/guide/index.md:5 /guide/gone (no such page: /guide/gone (looked for docs/guide/gone, docs/guide/gone.md)); docs/guide/index.md:5 ./features#server-wss (no heading #server-wss in docs/guide/features.md) (all in the session's .summaries/docs-check.md)",
    );
  });

  it('takes the docs root, the extensions and ignore globs from .workflow/config.json, checked like the rest of it', async () => {
    const root = makeRepo({
      'manual/index.md': '# Manual\n\n[Install](/install) [API](/api/) [generated](/reference/x)\n',
      'manual/install.markdown': '# Install\n',
      'manual/api/index.md': '# API\n',
    });
    commit(root, 'manual');
    fs.mkdirSync(path.join(root, '.workflow'), { recursive: true });
    const config = (settings: unknown) =>
      fs.writeFileSync(
        path.join(root, '.workflow', 'config.json'),
        JSON.stringify({ workflows: { 'docs-check': settings } }),
      );
    await wfs(root, ['session', 'start', '--new', 'manual']);
    // GitHub's rules: every site-absolute link is broken.
    const github = await wfs(root, ['run', 'docs-check']);
    expect(github.code).toBe(1);
    expect(github.stdout).toContain('RULES: GitHub\nFILES: 3\nLINKS: 3\nBROKEN: 3\n');
    config({ docs_root: 'manual', extensions: ['.md', '.markdown'], ignore: ['manual/reference/**'] });
    const configured = await wfs(root, ['run', 'docs-check']);
    expect(configured.code).toBe(0);
    // Not the result computed under the other settings: config.json is not in the tree, its settings are in the key.
    expect(configured.stderr).not.toContain('Reusing');
    expect(configured.stdout).toContain(
      'RULES: Site (docs root manual/, from .workflow/config.json)\nFILES: 3\nLINKS: 3\nBROKEN: 0\n',
    );
    config({ docs_root: '../elsewhere', extensions: ['md'] });
    const bad = await wfs(root, ['run', 'docs-check']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'ERROR: .workflow/config.json is invalid: workflows.docs-check.docs_root: a relative path inside the project (no leading / and no ..); workflows.docs-check.extensions.0: an extension such as ".md"\n',
    );
    config({ generator: 'hugo' });
    expect((await wfs(root, ['run', 'docs-check'])).stderr).toBe(
      'ERROR: .workflow/config.json is invalid: workflows.docs-check.generator: expected one of vitepress|docusaurus|mkdocs|github\n',
    );
  });
});

const NODE_COVERAGE =
  'node --test --experimental-test-coverage --test-reporter=lcov --test-reporter-destination=coverage/lcov.info';

/** A small Node project whose tests run with Node's own coverage (a real lcov.info); each test run is counted. */
function nodeProject(): string {
  const root = makeRepo({
    // Node's reporter does not make the report's folder.
    'package.json': JSON.stringify({
      name: 'fixture',
      version: '1.0.0',
      scripts: { coverage: `mkdir -p coverage && ${NODE_COVERAGE} test/math.test.js` },
    }),
    '.gitignore': 'coverage/\nruns.txt\n',
    'src/math.js':
      'exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\nexports.unused = () => {\n  return 0;\n};\n',
    'src/strings.js': 'exports.upper = (s) => s.toUpperCase();\n',
    'test/math.test.js': [
      "const test = require('node:test');",
      "const assert = require('node:assert');",
      "require('node:fs').appendFileSync('runs.txt', 'ran\\n');",
      "const math = require('../src/math.js');",
      "const strings = require('../src/strings.js');",
      "test('add', () => assert.equal(math.add(1, 2), 3));",
      "test('upper', () => assert.equal(strings.upper('a'), 'A'));",
      '',
    ].join('\n'),
  });
  commit(root, 'project');
  return root;
}

/** How many times the fixture's tests ran: each run appends a line to `file`. */
function testRuns(root: string, file = 'runs.txt'): number {
  try {
    return fs.readFileSync(path.join(root, file), 'utf8').trim().split('\n').length;
  } catch {
    return 0;
  }
}

describe('built-in test-coverage', () => {
  it("runs the project's tests with coverage, reports totals and the least-covered files, and another session on the same tree reuses it", async () => {
    const root = nodeProject();
    await wfs(root, ['session', 'start', '--new', 'coverage one']);
    const first = await wfs(root, ['run', 'test-coverage', '--json']);
    expect(first.code).toBe(0);
    expect(testRuns(root)).toBe(1);
    const figures = json<{ figures: Record<string, unknown> }>(first).figures;
    expect(Object.keys(figures)).toEqual(['lines_pct', 'functions_pct', 'branches_pct', 'files', 'report']);
    expect(figures).toMatchObject({ files: 3, report: 'coverage/lcov.info' });
    expect(figures.lines_pct).toBeGreaterThan(80);
    expect(first.stderr).toContain(`NOTE: Coverage: lines ${figures.lines_pct}%`);
    expect(first.stderr).toMatch(/NOTE: Coverage: lines [\d.]+%, functions [\d.]+%, branches [\d.]+%/);
    const summary = summaryOf(root, 'test-coverage');
    expect(summary).toContain('`npm run coverage`; coverage/lcov.info');
    expect(summary).toMatch(/- src\/math\.js: 8\d(\.\d+)?% \(\d+\/\d+\)/);
    expect(summary.indexOf('src/math.js')).toBeLessThan(summary.indexOf('src/strings.js'));

    await wfs(root, ['session', 'start', '--new', 'coverage two']);
    const second = await wfs(root, ['run', 'test-coverage']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/NOTE: Reusing the result WFS-coverage-one shared at/);
    // The figures of a reused result too, one line each before the result.
    expect(second.stdout).toMatch(
      /^LINES_PCT: [\d.]+\nFUNCTIONS_PCT: [\d.]+\nBRANCHES_PCT: [\d.]+\nFILES: 3\nREPORT: coverage\/lcov\.info\nRUN_ID: \S+\nRESULT: completed\n$/,
    );
    expect(testRuns(root)).toBe(1);

    // A new commit: a new tree, the tests run again.
    fs.writeFileSync(
      path.join(root, 'src', 'strings.js'),
      'exports.upper = (s) => s.toUpperCase();\nexports.lower = (s) => s.toLowerCase();\n',
    );
    commit(root, 'lower');
    expect((await wfs(root, ['run', 'test-coverage'])).code).toBe(0);
    expect(testRuns(root)).toBe(2);
    // An uncommitted edit is a new tree too.
    fs.appendFileSync(path.join(root, 'src', 'math.js'), '// edited\n');
    expect((await wfs(root, ['run', 'test-coverage'])).code).toBe(0);
    expect(testRuns(root)).toBe(3);
  });

  it('reads an istanbul coverage-summary.json from the configured command; failing tests fail the run; no command is a clear error', async () => {
    const root = makeRepo({
      'write-summary.js': [
        "const fs = require('fs');",
        "fs.mkdirSync('coverage', { recursive: true });",
        'const c = (covered, total) => ({ total, covered, skipped: 0, pct: (100 * covered) / total });',
        'fs.writeFileSync("coverage/coverage-summary.json", JSON.stringify({',
        '  total: { lines: c(90, 100), statements: c(91, 100), functions: c(8, 10), branches: c(3, 4) },',
        '  [process.cwd() + "/src/a.js"]: { lines: c(10, 40), statements: c(10, 40), functions: c(1, 2), branches: c(0, 0) },',
        '  [process.cwd() + "/src/b.js"]: { lines: c(80, 60 + 20), statements: c(1, 1), functions: c(1, 1), branches: c(0, 0) },',
        '}));',
        'process.exit(Number(process.env.FAIL ?? 0));',
        '',
      ].join('\n'),
      '.gitignore': 'coverage/\n',
    });
    fs.mkdirSync(path.join(root, '.workflow'), { recursive: true });
    fs.writeFileSync(
      path.join(root, '.workflow', 'config.json'),
      JSON.stringify({ workflows: { 'test-coverage': { command: 'node write-summary.js' } } }),
    );
    commit(root, 'project');
    await wfs(root, ['session', 'start', '--new', 'istanbul']);
    const run = await wfs(root, ['run', 'test-coverage', '--json']);
    expect(run.code).toBe(0);
    expect(json<{ status: string }>(run).status).toBe('completed');
    expect(json<{ figures: unknown }>(run).figures).toEqual({
      lines_pct: 90,
      statements_pct: 91,
      functions_pct: 80,
      branches_pct: 75,
      files: 2,
      report: 'coverage/coverage-summary.json',
    });
    const summary = summaryOf(root, 'test-coverage');
    expect(summary).toContain('| lines | 90/100 | 90% |');
    expect(summary).toContain('| statements | 91/100 | 91% |');
    expect(summary).toContain('- src/a.js: 25% (10/40)');

    fs.appendFileSync(path.join(root, 'write-summary.js'), '// changed\n');
    commit(root, 'change');
    const failing = await wfs(root, ['run', 'test-coverage', '--json'], { env: { FAIL: '3' } });
    expect(failing.code).toBe(1);
    expect(json<{ reason: string }>(failing).reason).toBe(
      'The tests failed: node write-summary.js exited with 3',
    );

    const bare = makeRepo({ 'a.txt': 'a\n' });
    commit(bare, 'bare');
    await wfs(bare, ['session', 'start', '--new', 'no tests']);
    const none = await wfs(bare, ['run', 'test-coverage']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/ERROR: No coverage command: add a "coverage" script to package\.json/);
  });
});

describe('built-in release-prep', () => {
  function releaseRepo(
    testScript = "node -e \"require('fs').appendFileSync('tests.txt', 'ran\\\\n')\"",
  ): string {
    const root = makeRepo({
      'package.json': `${JSON.stringify({ name: 'rel', version: '1.2.3', scripts: { test: testScript } }, null, 2)}\n`,
      '.gitignore': 'tests.txt\n',
      'CHANGELOG.md':
        '# Changelog\n\nAll notable changes.\n\n## [1.2.3] - 2026-01-01\n\n- the first release\n',
    });
    commit(root, 'chore: init');
    spawnSync('git', ['tag', 'v1.2.3'], { cwd: root });
    fs.writeFileSync(path.join(root, 'search.js'), 'search\n');
    commit(root, 'feat(api): add search');
    fs.writeFileSync(path.join(root, 'fix.js'), 'fix\n');
    commit(root, 'fix: crash on empty input');
    return root;
  }

  it('a dry run by default; --apply writes the CHANGELOG section and the version; the checks are reused on the same tree', async () => {
    const root = releaseRepo();
    const before = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    await wfs(root, ['session', 'start', '--new', 'releasing']);
    const dry = await wfs(root, ['run', 'release-prep']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('NOTE: Next version: 1.2.3 -> 1.3.0 (minor, 2 commits since v1.2.3)');
    expect(dry.stderr).toContain(
      'NOTE: Dry run: nothing written (wfs run release-prep --apply writes the 1.3.0 section into CHANGELOG.md and the version into package.json)',
    );
    // The next version is the run's result: on stdout, and in --json.
    expect(dry.stdout).toMatch(
      /^CURRENT: 1\.2\.3\nNEXT: 1\.3\.0\nBUMP: minor\nCOMMITS: 2\nSINCE: v1\.2\.3\nCHANGELOG: CHANGELOG\.md\nAPPLIED: false\nRUN_ID: \S+\nRESULT: completed\n$/,
    );
    expect(fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8')).toBe(before);
    expect(testRuns(root, 'tests.txt')).toBe(1);

    await wfs(root, ['session', 'start', '--new', 'second releaser']);
    const applied = await wfs(root, ['run', 'release-prep', '--apply', '--json']);
    expect(applied.code).toBe(0);
    expect(json<{ figures: unknown }>(applied).figures).toEqual({
      current: '1.2.3',
      next: '1.3.0',
      bump: 'minor',
      commits: 2,
      since: 'v1.2.3',
      changelog: 'CHANGELOG.md',
      applied: true,
    });
    expect(applied.stderr).toMatch(/NOTE: Reusing the result WFS-releasing shared at/);
    expect(testRuns(root, 'tests.txt')).toBe(1);
    const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    // In the file's style: its releases are one list, so is the new one.
    expect(changelog).toMatch(
      /^# Changelog\n\nAll notable changes\.\n\n## \[1\.3\.0\] - \d{4}-\d\d-\d\d\n\n- \*\*api:\*\* add search \([0-9a-f]{7}\)\n- crash on empty input \([0-9a-f]{7}\)\n\n## \[1\.2\.3\] - 2026-01-01\n/,
    );
    const manifest = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    expect(JSON.parse(manifest).version).toBe('1.3.0');
    expect(manifest).toContain('\n  "version": "1.3.0",\n');
  });

  it('writes into an express-like History.md in its own style, never a new CHANGELOG.md beside it, and says so in the dry run', async () => {
    const root = makeRepo({
      'package.json': `${JSON.stringify({ name: 'web', version: '5.2.1' }, null, 2)}\n`,
      'Readme.md': '# web\n',
      'History.md': [
        '# Unreleased Changes',
        '',
        '## 🚀 Improvements',
        '',
        '* Faster routing - by @someone',
        '',
        '5.2.1 / 2025-12-01',
        '=======================',
        '',
        '* Revert a security fix',
        '',
        '5.2.0 / 2025-12-01',
        '========================',
        '',
        '* deps: `body-parser@^2.2.1`',
        '',
      ].join('\n'),
    });
    commit(root, 'chore: 5.2.1');
    spawnSync('git', ['tag', 'v5.2.1'], { cwd: root });
    fs.writeFileSync(path.join(root, 'query.js'), 'query\n');
    commit(root, 'feat: allow conditional revalidation for QUERY requests (#7366)');
    fs.writeFileSync(path.join(root, 'send.js'), 'send\n');
    commit(root, 'fix(res.send): add Content-Length only without Transfer-Encoding (#4893)');
    const before = fs.readFileSync(path.join(root, 'History.md'), 'utf8');
    await wfs(root, ['session', 'start', '--new', 'express release']);
    const dry = await wfs(root, ['run', 'release-prep']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'NEXT: 5.3.0\nBUMP: minor\nCOMMITS: 2\nSINCE: v5.2.1\nCHANGELOG: History.md\nAPPLIED: false\n',
    );
    expect(dry.stderr).toContain(
      'NOTE: Changelog: History.md (found), in its style: headings like "5.2.1 / 2025-12-01" underlined with =, "*" items; before 5.2.1\n',
    );
    expect(dry.stderr).toContain(
      `NOTE: History.md's "Unreleased Changes" section stays above the new 5.3.0 section: move what it says into it by hand\n`,
    );
    expect(dry.stderr).toContain(
      'writes the 5.3.0 section into History.md and the version into package.json',
    );

    const applied = await wfs(root, ['run', 'release-prep', '--apply']);
    expect(applied.code).toBe(0);
    expect(fs.existsSync(path.join(root, 'CHANGELOG.md'))).toBe(false);
    const history = fs.readFileSync(path.join(root, 'History.md'), 'utf8');
    const section =
      /^5\.3\.0 \/ \d{4}-\d\d-\d\d\n=======================\n\n\* allow conditional revalidation for QUERY requests \(#7366\) \([0-9a-f]{7}\)\n\* \*\*res\.send:\*\* add Content-Length only without Transfer-Encoding \(#4893\) \([0-9a-f]{7}\)\n\n/m;
    expect(history).toMatch(section);
    // Everything else byte for byte: the section went in just before 5.2.1.
    expect(history.replace(section, '')).toBe(before);
    expect(history.indexOf('5.3.0 /')).toBeGreaterThan(history.indexOf('Faster routing'));
    expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version).toBe('5.3.0');
  });

  it('refuses a dirty tree and failing tests; a breaking change is a major; --apply elsewhere is bad usage', async () => {
    const root = releaseRepo();
    await wfs(root, ['session', 'start', '--new', 'checks']);
    fs.writeFileSync(path.join(root, 'search.js'), 'edited\n');
    const dirty = await wfs(root, ['run', 'release-prep', '--json']);
    expect(dirty.code).toBe(1);
    expect(json<{ reason: string }>(dirty).reason).toMatch(/^The working tree is not clean: M search\.js/);
    fs.writeFileSync(path.join(root, 'search.js'), 'search\n');
    fs.writeFileSync(path.join(root, 'api.js'), 'v2\n');
    commit(root, 'feat(api)!: remove the v1 endpoints');
    const major = await wfs(root, ['run', 'release-prep']);
    expect(major.stderr).toContain('NOTE: Next version: 1.2.3 -> 2.0.0 (major, 3 commits since v1.2.3)');
    expect((await wfs(root, ['run', 'docs-check', '--apply'])).code).toBe(2);

    const failing = releaseRepo('node -e "process.exit(2)"');
    await wfs(failing, ['session', 'start', '--new', 'failing']);
    const run = await wfs(failing, ['run', 'release-prep', '--json']);
    expect(run.code).toBe(1);
    expect(json<{ reason: string }>(run).reason).toBe('npm run test failed: it exited with 2');
  });
});
