import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../store/atomic.js';
import type { WorkflowContext } from '../base.js';
import { treeKey } from '../tree.js';

/**
 * The built-ins' reuse of shared results: when another session already computed this result for
 * this exact tree and on the same basis, it is taken and said so; otherwise `compute` runs and its
 * result is shared for the next session. The key is `<workflow>:<tree>@<basis>`: the tree changes
 * with any commit or edit, and the basis (a digest of the settings the result depends on, which
 * live in `.workflow/config.json` and so outside the tree, and of the result's format) with a
 * setting or a wfs whose result means something else. A result computed under another setting,
 * or by a wfs with other rules, is never passed off as this one.
 */
export async function reuseOrCompute<T extends { reused_from?: { session: string | null; put_at: string } }>(
  ctx: WorkflowContext,
  workflow: string,
  basis: unknown,
  compute: (tree: string) => Promise<T>,
): Promise<T> {
  const tree = treeKey(ctx.project.layout.root);
  const digest = createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 12);
  const key = `${workflow}:${tree}@${digest}`;
  const shared = await ctx.getSharedResult(key);
  if (shared !== undefined) {
    const reused = readJson<T>(shared.text);
    if (reused !== undefined) {
      ctx.note(
        `Reusing the result ${shared.session ?? 'another session'} shared at ${shared.put_at} for this tree`,
      );
      return { ...reused, reused_from: { session: shared.session, put_at: shared.put_at } };
    }
    ctx.warn(`The shared result ${key} is not readable: computing it again`);
  }
  const computed = await compute(tree);
  await ctx.shareResult(key, JSON.stringify(computed));
  return computed;
}

/** A shared result's JSON; undefined when it is not text (bytes put by another tool) or not JSON. */
function readJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** The step every built-in ends with: its summary, in Markdown, in the session's `.summaries/`. */
export function writeSummary(ctx: WorkflowContext, name: string, text: string): Promise<string> {
  return ctx.step('write summary', () => {
    const dir = path.join(ctx.session.dir, '.summaries');
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, `${name}.md`), text);
    return `.summaries/${name}.md`;
  });
}
