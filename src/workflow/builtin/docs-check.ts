import { readConfig } from '../../coord/open.js';
import { WfsError } from '../../core/errors.js';
import { globToRegExp } from '../../project/detect/repo.js';
import { scanRepository } from '../../project/scan.js';
import { BaseWorkflow, type WorkflowContext } from '../base.js';
import type { BrokenLink } from './docs-links.js';
import { reuseOrCompute, writeSummary } from './shared.js';

export type { BrokenLink } from './docs-links.js';

export interface DocsCheckOutput {
  tree: string;
  /** The link rules applied, for people (`VitePress (docs root docs/), GitHub elsewhere`). */
  rules: string;
  /** The documentation sites found or configured, whose pages follow their generator's rules. */
  sites: { generator: string; root: string; source: string }[];
  files_checked: number;
  /** Markdown files left out by `workflows.docs-check.ignore`. */
  files_ignored: number;
  links_checked: number;
  broken: BrokenLink[];
  /** Set when another session's result for this tree was reused. */
  reused_from?: { session: string | null; put_at: string };
}

/** Bumped when the same tree and settings would give another result (new rules): old ones are not reused. */
const RESULT_FORMAT = 2;

function summary(output: DocsCheckOutput): string {
  const lines = [
    '# docs-check',
    '',
    `Tree ${output.tree}: ${output.files_checked} Markdown files, ${output.links_checked} links to files and pages, ${output.broken.length} broken.`,
    '',
    `Rules: ${output.rules}.${output.files_ignored > 0 ? ` ${output.files_ignored} files ignored (workflows.docs-check.ignore).` : ''}`,
    '',
  ];
  if (output.reused_from)
    lines.push(
      `Reused the result ${output.reused_from.session ?? 'another session'} shared at ${output.reused_from.put_at}.`,
      '',
    );
  for (const b of output.broken) lines.push(`- ${b.file}:${b.line}: ${b.target} (${b.problem})`);
  return `${lines.join('\n')}\n`;
}

/**
 * `docs-check` (built in, cross-session): links of the repository's Markdown to files, pages and
 * anchors that do not exist, with file and line; a documentation site's pages by its generator's
 * rules (docs-sites.ts), the rest by GitHub's. Reports the rules applied and its figures, and
 * fails when it finds any broken link; its result is shared by git tree and settings, so another
 * session on the same tree reuses it.
 */
export class DocsCheck extends BaseWorkflow<void, DocsCheckOutput> {
  readonly name = 'docs-check';
  override readonly description =
    'broken links and anchors in the Markdown, by the rules of its docs site (VitePress, Docusaurus, MkDocs) or GitHub, with file and line';

  protected async run(ctx: WorkflowContext): Promise<DocsCheckOutput> {
    const root = ctx.project.layout.root;
    // Read (and validated) before anything runs: a bad setting is an error, not another result.
    const settings = readConfig(ctx.project).workflows?.['docs-check'] ?? {};
    const basis = { format: RESULT_FORMAT, settings };
    const output = await reuseOrCompute<DocsCheckOutput>(ctx, 'docs-check', basis, async (tree) => {
      const found = await ctx.step('find markdown', async () => {
        // Loaded by this workflow only (with the Markdown parser, ~450 KB bundled).
        const { docsRules } = await import('./docs-sites.js');
        const { MARKDOWN } = await import('./docs-links.js');
        const all = scanRepository(root).files;
        const ignore = (settings.ignore ?? []).map((glob) => globToRegExp(glob.replace(/\/$/, '/**')));
        const markdown = all.filter((f) => MARKDOWN.test(f));
        const files = markdown.filter((f) => !ignore.some((re) => re.test(f)));
        return {
          files,
          ignored: markdown.length - files.length,
          rules: docsRules(root, all, files, settings),
        };
      });
      const checked = await ctx.step('check links', async () =>
        (await import('./docs-links.js')).checkLinks(root, found.files, found.rules),
      );
      return {
        tree,
        rules: found.rules.label,
        sites: found.rules.sites.map((s) => ({ generator: s.generator, root: s.root, source: s.source })),
        files_checked: found.files.length,
        files_ignored: found.ignored,
        links_checked: checked.links,
        broken: checked.broken,
      };
    });
    ctx.reportFigures({
      rules: output.rules,
      files: output.files_checked,
      links: output.links_checked,
      broken: output.broken.length,
    });
    await writeSummary(ctx, 'docs-check', summary(output));
    if (output.broken.length > 0) {
      const shown = output.broken.slice(0, 5).map((b) => `${b.file}:${b.line} ${b.target} (${b.problem})`);
      const more = output.broken.length > 5 ? `; and ${output.broken.length - 5} more` : '';
      throw new WfsError(
        'E_STEP_FAILED',
        `${output.broken.length} broken link${output.broken.length === 1 ? '' : 's'}: ${shown.join('; ')}${more} (all in the session's .summaries/docs-check.md)`,
      );
    }
    return output;
  }
}
