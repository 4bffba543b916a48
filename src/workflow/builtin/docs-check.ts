import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../../core/errors.js';
import { scanRepository } from '../../project/scan.js';
import { BaseWorkflow, type WorkflowContext } from '../base.js';
import { treeKey } from '../tree.js';
import { reuseOrCompute, writeSummary } from './shared.js';

export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

export interface DocsCheckOutput {
  tree: string;
  files_checked: number;
  links_checked: number;
  broken: BrokenLink[];
  /** Set when another session's result for this tree was reused. */
  reused_from?: { session: string | null; put_at: string };
}

const MARKDOWN = /\.(md|markdown|mdx)$/i;
// Anything with a scheme (https:, mailto:) or protocol-relative: not a file of this repository.
const EXTERNAL = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/** Checks every relative link of the Markdown files: the file must exist, and a heading anchor in a Markdown target too. */
export async function checkLinks(
  root: string,
  files: readonly string[],
): Promise<{ links: number; broken: BrokenLink[] }> {
  // The Markdown parser (micromark, ~450 KB bundled) is loaded only by the workflow that needs it.
  const { anchorsOf, linksOf } = await import('./markdown.js');
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (file: string) => {
    let found = anchors.get(file);
    if (found === undefined) {
      found = anchorsOf(fs.readFileSync(path.join(root, file), 'utf8'));
      anchors.set(file, found);
    }
    return found;
  };
  const broken: BrokenLink[] = [];
  let count = 0;
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(root, file), 'utf8');
    } catch {
      continue;
    }
    for (const link of linksOf(text)) {
      if (EXTERNAL.test(link.url)) continue;
      count++;
      const [rawPath = '', fragment] = link.url.split('#', 2) as [string, string | undefined];
      let decoded: string;
      try {
        decoded = decodeURIComponent(rawPath.split('?')[0]!);
      } catch {
        broken.push({ file, line: link.line, target: link.url, problem: 'not a valid path' });
        continue;
      }
      // `/x` is the repository's root, as on GitHub; `` (only a fragment) is this file.
      const target =
        decoded === ''
          ? file
          : path.posix.normalize(
              decoded.startsWith('/') ? decoded.slice(1) : path.posix.join(path.posix.dirname(file), decoded),
            );
      if (target.startsWith('..')) {
        broken.push({ file, line: link.line, target: link.url, problem: 'outside the repository' });
        continue;
      }
      const absolute = path.join(root, target);
      if (!fs.existsSync(absolute)) {
        broken.push({ file, line: link.line, target: link.url, problem: `no such file: ${target}` });
        continue;
      }
      if (fragment && MARKDOWN.test(target) && fs.statSync(absolute).isFile()) {
        const anchor = decodeURIComponent(fragment).toLowerCase();
        if (!anchorsIn(target).has(anchor))
          broken.push({
            file,
            line: link.line,
            target: link.url,
            problem: `no heading #${anchor} in ${target}`,
          });
      }
    }
  }
  return { links: count, broken };
}

function summary(output: DocsCheckOutput): string {
  const lines = [
    '# docs-check',
    '',
    `Tree ${output.tree}: ${output.files_checked} Markdown files, ${output.links_checked} relative links, ${output.broken.length} broken.`,
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
 * `docs-check` (built in, cross-session): broken relative links and references to files that do
 * not exist in the repository's Markdown, with file and line. Fails when it finds any; its result
 * is shared by git tree, so another session on the same tree reuses it.
 */
export class DocsCheck extends BaseWorkflow<void, DocsCheckOutput> {
  readonly name = 'docs-check';
  override readonly description =
    'broken relative links and missing files in the Markdown, with file and line';

  protected async run(ctx: WorkflowContext): Promise<DocsCheckOutput> {
    const root = ctx.project.layout.root;
    const output = await reuseOrCompute<DocsCheckOutput>(ctx, `docs-check:${treeKey(root)}`, async (tree) => {
      const files = await ctx.step('find markdown', () =>
        scanRepository(root).files.filter((f) => MARKDOWN.test(f)),
      );
      const checked = await ctx.step('check links', () => checkLinks(root, files));
      return { tree, files_checked: files.length, links_checked: checked.links, broken: checked.broken };
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
