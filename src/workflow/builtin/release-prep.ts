import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { readConfig } from '../../coord/open.js';
import { WfsError } from '../../core/errors.js';
import { readTextIfExists, writeFileAtomic } from '../../store/atomic.js';
import { BaseWorkflow, type WorkflowContext } from '../base.js';
import { describeOutcome, succeeded } from '../command.js';
import { git } from '../git.js';
import {
  type ChangelogChoice,
  type ChangelogStyle,
  changelogStyle,
  findChangelog,
  placeSection,
  renderSection,
  unreleasedHeading,
} from './changelog.js';
import { type Bump, bumpFor, bumpManifest, nextVersion, parseCommits } from './release-plan.js';
import { reuseOrCompute } from './shared.js';

export interface ReleasePlan {
  tree: string;
  last_tag: string | null;
  current: string;
  next: string | null;
  bump: Bump | null;
  commits: number;
  /** The section for the changelog, in its style (null: nothing to release). */
  section: string | null;
  /** The changelog written (or that --apply writes), and how its releases are written. */
  changelog: ChangelogChoice & {
    style: ChangelogStyle;
    /** A heading collecting unreleased changes above the newest release, which stays where it is. */
    unreleased?: string;
  };
  checks: string[];
  reused_from?: { session: string | null; put_at: string };
}

/** Bumped when the same tree and settings would give another plan: older ones are not reused. */
const PLAN_FORMAT = 2;

export interface ReleasePrepOutput extends ReleasePlan {
  applied: boolean;
  written: string[];
}

/**
 * `release-prep` (built in, cross-session): a clean tree, passing `test` and `build` scripts, the
 * next semantic version from the Conventional Commits since the last tag, the section of the
 * project's changelog (CHANGELOG.md, History.md, CHANGES, NEWS, ... in its own style; see
 * changelog.ts) and the version in package.json. A dry run unless `--apply`. The plan (checks included) is
 * shared by git tree, so another session on the same tree does not run the tests again.
 */
export class ReleasePrep extends BaseWorkflow<void, ReleasePrepOutput> {
  readonly name = 'release-prep';
  override readonly description =
    "clean tree, tests and build, next version from Conventional Commits, the changelog's section and version (dry run unless --apply)";
  override readonly offersDryRun = true;

  protected async run(ctx: WorkflowContext): Promise<ReleasePrepOutput> {
    const root = ctx.project.layout.root;
    const manifestFile = path.join(root, 'package.json');
    const configured = readConfig(ctx.project).workflows?.['release-prep']?.changelog;
    const basis = { format: PLAN_FORMAT, changelog: configured ?? null };
    const plan = await reuseOrCompute<ReleasePlan>(ctx, 'release-prep', basis, async (tree) => {
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
        const rootFiles = fs
          .readdirSync(root, { withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => e.name);
        const choice = findChangelog(rootFiles, configured, (f) => fs.existsSync(path.join(root, f)));
        const text = choice.exists ? readTextIfExists(path.join(root, choice.file)) : undefined;
        const style = changelogStyle(text, /\.(md|markdown)$/i.test(choice.file));
        const unreleased = unreleasedHeading(text);
        return {
          tree,
          last_tag: lastTag,
          current,
          next,
          bump,
          commits: commits.length,
          section: next ? renderSection(style, next, new Date().toISOString().slice(0, 10), commits) : null,
          changelog: { ...choice, style, ...(unreleased ? { unreleased } : {}) },
          checks,
        };
      });
    });
    const changelog = plan.changelog;
    const figures = () => ({
      current: plan.current,
      next: plan.next,
      bump: plan.bump,
      commits: plan.commits,
      since: plan.last_tag,
      changelog: changelog.file,
    });
    if (plan.next === null) {
      ctx.reportFigures({ ...figures(), applied: false });
      ctx.note(
        `Nothing to release: no feat, fix, perf or breaking commit since ${plan.last_tag ?? 'the first commit'}`,
      );
      return { ...plan, applied: false, written: [] };
    }
    ctx.note(
      `Next version: ${plan.current} -> ${plan.next} (${plan.bump}, ${plan.commits} commits since ${plan.last_tag ?? 'the first commit'})`,
    );
    const chosen =
      changelog.chosen_by === 'config.json'
        ? 'named in .workflow/config.json'
        : changelog.chosen_by === 'new'
          ? 'none found: a new file'
          : 'found';
    const others =
      changelog.others.length > 0 ? `; also found, left alone: ${changelog.others.join(', ')}` : '';
    ctx.note(`Changelog: ${changelog.file} (${chosen}), ${changelog.style.description}${others}`);
    if (changelog.unreleased)
      ctx.note(
        `${changelog.file}'s "${changelog.unreleased}" section stays above the new ${plan.next} section: move what it says into it by hand`,
      );
    const refusal = changelog.style.problem ? `${changelog.file} ${changelog.style.problem}` : undefined;
    if (ctx.options.apply !== true) {
      ctx.reportFigures({ ...figures(), applied: false });
      if (refusal) ctx.warn(`--apply will refuse: ${refusal}`);
      ctx.note(
        `Dry run: nothing written (wfs run release-prep --apply writes the ${plan.next} section into ${changelog.file} and the version into package.json)`,
      );
      return { ...plan, applied: false, written: [] };
    }
    ctx.reportFigures({ ...figures(), applied: false });
    // Refused before anything is written: a release half-applied is worse than none.
    if (refusal) throw new WfsError('E_STEP_FAILED', refusal);
    const written = await ctx.step('write changelog and version', () => {
      const files: string[] = [];
      const file = path.join(root, changelog.file);
      writeFileAtomic(file, placeSection(readTextIfExists(file), plan.section!, changelog.style));
      files.push(changelog.file);
      const manifest = readTextIfExists(manifestFile);
      if (manifest !== undefined) {
        writeFileAtomic(manifestFile, bumpManifest(manifest, plan.next!));
        files.push('package.json');
      }
      return files;
    });
    ctx.reportFigures({ applied: true });
    return { ...plan, applied: true, written };
  }
}
