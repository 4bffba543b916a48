import fs from 'node:fs';
import path from 'node:path';
import { readConfig } from '../../coord/open.js';
import { WfsError } from '../../core/errors.js';
import type { ProjectContext } from '../../store/project.js';
import { BaseWorkflow, type WorkflowContext } from '../base.js';
import { describeOutcome, succeeded } from '../command.js';
import {
  type CoverageReport,
  type FileCoverage,
  leastCovered,
  parseIstanbulSummary,
  parseLcov,
} from './coverage-report.js';
import { reuseOrCompute, writeSummary } from './shared.js';

export interface TestCoverageOutput {
  tree: string;
  command: string;
  report: string;
  source: CoverageReport['source'];
  totals: CoverageReport['totals'];
  files: number;
  least_covered: FileCoverage[];
  reused_from?: { session: string | null; put_at: string };
}

/** Reports looked for after the command, in this order (both are what the common tools write). */
const REPORTS = ['coverage/coverage-summary.json', 'coverage/lcov.info'];

/**
 * The command that runs the tests with coverage: `workflows.test-coverage.command` in
 * .workflow/config.json; else a `coverage`, `test:coverage` or `test:cov` script of package.json;
 * else vitest or jest with their coverage flags when the project depends on them.
 */
export function coverageCommand(ctx: ProjectContext): string {
  const configured = readConfig(ctx).workflows?.['test-coverage']?.command;
  if (configured !== undefined && configured.trim() !== '') return configured;
  let pkg: { scripts?: Record<string, string>; dependencies?: object; devDependencies?: object } = {};
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(ctx.layout.root, 'package.json'), 'utf8'));
  } catch {
    // not a Node project, or no package.json: only the configured command can say
  }
  for (const script of ['coverage', 'test:coverage', 'test:cov'])
    if (pkg.scripts?.[script]) return `npm run ${script}`;
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  if ('vitest' in deps)
    return 'npx vitest run --coverage --coverage.reporter=json-summary --coverage.reporter=text';
  if ('jest' in deps) return 'npx jest --coverage --coverageReporters=json-summary --coverageReporters=text';
  throw new WfsError(
    'E_INVALID_STATE',
    'No coverage command: add a "coverage" script to package.json, or set workflows.test-coverage.command in .workflow/config.json (it must write coverage/coverage-summary.json or coverage/lcov.info)',
  );
}

function summary(output: TestCoverageOutput): string {
  const t = output.totals;
  const row = (name: string, c: { covered: number; total: number; pct: number } | undefined) =>
    c ? `| ${name} | ${c.covered}/${c.total} | ${c.pct}% |` : '';
  const lines = [
    '# test-coverage',
    '',
    `Tree ${output.tree}; \`${output.command}\`; ${output.report} (${output.files} files).`,
    ...(output.reused_from
      ? [
          '',
          `Reused the result ${output.reused_from.session ?? 'another session'} shared at ${output.reused_from.put_at}.`,
        ]
      : []),
    '',
    '| | covered | % |',
    '|---|---:|---:|',
    row('lines', t.lines),
    ...(t.statements ? [row('statements', t.statements)] : []),
    row('functions', t.functions),
    row('branches', t.branches),
    '',
    'Least covered (lines):',
    '',
    ...output.least_covered.map((f) => `- ${f.file}: ${f.lines.pct}% (${f.lines.covered}/${f.lines.total})`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `test-coverage` (built in, cross-session): runs the project's tests with coverage, reads the
 * report, writes a summary into the session's `.summaries/` and shares it by git tree, so another
 * session on the same tree reuses it instead of running the tests again.
 */
export class TestCoverage extends BaseWorkflow<void, TestCoverageOutput> {
  readonly name = 'test-coverage';
  override readonly description = "the project's tests with coverage: totals and the least-covered files";

  protected async run(ctx: WorkflowContext): Promise<TestCoverageOutput> {
    const root = ctx.project.layout.root;
    // The command is the basis: config.json is outside the tree, and another command is another result.
    const command = coverageCommand(ctx.project);
    const output = await reuseOrCompute<TestCoverageOutput>(
      ctx,
      'test-coverage',
      { format: 1, command },
      async (tree) => {
        const ran = await ctx.step('run tests with coverage', async (_signal, step) => {
          const started = Date.now();
          const outcome = await step.runCommand({ run: command, cwd: root });
          if (!succeeded(outcome))
            throw new WfsError('E_STEP_FAILED', `The tests failed: ${command} ${describeOutcome(outcome)}`);
          return { started };
        });
        const report = await ctx.step('read report', () => {
          for (const candidate of REPORTS) {
            const file = path.join(root, candidate);
            // A report older than this run is someone else's: never passed off as this one.
            if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < ran.started - 1_000) continue;
            const text = fs.readFileSync(file, 'utf8');
            try {
              const parsed = candidate.endsWith('.json')
                ? parseIstanbulSummary(text, root)
                : parseLcov(text, root);
              return { report: candidate, ...parsed };
            } catch (error) {
              throw new WfsError('E_STEP_FAILED', `${candidate} cannot be read: ${(error as Error).message}`);
            }
          }
          throw new WfsError(
            'E_STEP_FAILED',
            `${command} wrote no coverage report (looked for ${REPORTS.join(' and ')}, written by this run)`,
          );
        });
        return {
          tree,
          command,
          report: report.report,
          source: report.source,
          totals: report.totals,
          files: report.files.length,
          least_covered: leastCovered(report),
        };
      },
    );
    const t = output.totals;
    ctx.reportFigures({
      lines_pct: t.lines.pct,
      ...(t.statements ? { statements_pct: t.statements.pct } : {}),
      functions_pct: t.functions.pct,
      branches_pct: t.branches.pct,
      files: output.files,
      report: output.report,
    });
    await writeSummary(ctx, 'test-coverage', summary(output));
    ctx.note(
      `Coverage: lines ${output.totals.lines.pct}%, functions ${output.totals.functions.pct}%, branches ${output.totals.branches.pct}%`,
    );
    return output;
  }
}
