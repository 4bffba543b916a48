import path from 'node:path';
import semver from 'semver';
import { WfsError } from '../../core/errors.js';
import { readTextIfExists, writeFileAtomic } from '../../store/atomic.js';
import { BaseWorkflow, type WorkflowContext } from '../base.js';
import { describeOutcome, succeeded } from '../command.js';
import { git } from '../git.js';
import { treeKey } from '../tree.js';
import {
  type Bump,
  bumpFor,
  bumpManifest,
  changelogSection,
  insertSection,
  nextVersion,
  parseCommits,
} from './release-plan.js';
import { reuseOrCompute } from './shared.js';

export interface ReleasePlan {
  tree: string;
  last_tag: string | null;
  current: string;
  next: string | null;
  bump: Bump | null;
  commits: number;
  section: string | null;
  checks: string[];
  reused_from?: { session: string | null; put_at: string };
}

export interface ReleasePrepOutput extends ReleasePlan {
  applied: boolean;
  written: string[];
}

/**
 * `release-prep` (built in, cross-session): a clean tree, passing `test` and `build` scripts, the
 * next semantic version from the Conventional Commits since the last tag, the CHANGELOG.md section
 * and the version in package.json. A dry run unless `--apply`. The plan (checks included) is
 * shared by git tree, so another session on the same tree does not run the tests again.
 */
export class ReleasePrep extends BaseWorkflow<void, ReleasePrepOutput> {
  readonly name = 'release-prep';
  override readonly description =
    'clean tree, tests and build, next version from Conventional Commits, CHANGELOG and version (dry run unless --apply)';
  override readonly offersDryRun = true;

  protected async run(ctx: WorkflowContext): Promise<ReleasePrepOutput> {
    const root = ctx.project.layout.root;
    const manifestFile = path.join(root, 'package.json');
    const plan = await reuseOrCompute<ReleasePlan>(ctx, `release-prep:${treeKey(root)}`, async (tree) => {
      await ctx.step('check clean tree', () => {
        const dirty = git(root, ['status', '--porcelain', '--', '.', ':(exclude).workflow']).trim();
        if (dirty !== '')
          throw new WfsError(
            'E_STEP_FAILED',
            `The working tree is not clean: ${dirty.split('\n').slice(0, 5).join(', ')}`,
          );
        return true;
      });
      const scripts =
        (JSON.parse(readTextIfExists(manifestFile) ?? '{}') as { scripts?: Record<string, string> })
          .scripts ?? {};
      const checks: string[] = [];
      for (const script of ['test', 'build']) {
        if (!scripts[script]) {
          ctx.note(`No "${script}" script in package.json: not checked`);
          continue;
        }
        await ctx.step(`npm run ${script}`, async (_signal, step) => {
          const outcome = await step.runCommand({ run: ['npm', 'run', script], cwd: root });
          if (!succeeded(outcome))
            throw new WfsError('E_STEP_FAILED', `npm run ${script} failed: it ${describeOutcome(outcome)}`);
          return outcome.ms;
        });
        checks.push(`npm run ${script}`);
      }
      return ctx.step('plan version', () => {
        const tags = git(root, ['tag', '--merged', 'HEAD', '--sort=-v:refname'])
          .split('\n')
          .filter((t) => semver.valid(t.replace(/^v/, '')) !== null);
        const lastTag = tags[0] ?? null;
        const manifest = readTextIfExists(manifestFile);
        const current =
          (manifest ? (JSON.parse(manifest) as { version?: string }).version : undefined) ??
          (lastTag ? lastTag.replace(/^v/, '') : '0.0.0');
        if (semver.valid(current) === null)
          throw new WfsError('E_STEP_FAILED', `The current version ${current} is not a semantic version`);
        const log = git(root, [
          'log',
          '--format=%H%x1f%B%x1e',
          ...(lastTag ? [`${lastTag}..HEAD`] : ['HEAD']),
        ]);
        const commits = parseCommits(
          log
            .split('\x1e')
            .map((r) => r.trim())
            .filter(Boolean)
            .map((r) => {
              const [hash, message = ''] = r.split('\x1f');
              return { hash: hash!, message: message.trim() };
            }),
        );
        const bump = bumpFor(commits, current);
        const next = bump ? nextVersion(current, bump) : null;
        return {
          tree,
          last_tag: lastTag,
          current,
          next,
          bump,
          commits: commits.length,
          section: next ? changelogSection(next, new Date().toISOString().slice(0, 10), commits) : null,
          checks,
        };
      });
    });
    if (plan.next === null) {
      ctx.note(
        `Nothing to release: no feat, fix, perf or breaking commit since ${plan.last_tag ?? 'the first commit'}`,
      );
      return { ...plan, applied: false, written: [] };
    }
    ctx.note(
      `Next version: ${plan.current} -> ${plan.next} (${plan.bump}, ${plan.commits} commits since ${plan.last_tag ?? 'the first commit'})`,
    );
    if (ctx.options.apply !== true) {
      ctx.note('Dry run: nothing written (wfs run release-prep --apply writes CHANGELOG.md and the version)');
      return { ...plan, applied: false, written: [] };
    }
    const written = await ctx.step('write changelog and version', () => {
      const files: string[] = [];
      const changelog = path.join(root, 'CHANGELOG.md');
      writeFileAtomic(changelog, insertSection(readTextIfExists(changelog), plan.section!));
      files.push('CHANGELOG.md');
      const manifest = readTextIfExists(manifestFile);
      if (manifest !== undefined) {
        writeFileAtomic(manifestFile, bumpManifest(manifest, plan.next!));
        files.push('package.json');
      }
      return files;
    });
    return { ...plan, applied: true, written };
  }
}
