import { readTextIfExists } from '../store/atomic.js';
import type { ProjectContext } from '../store/project.js';
import type { InitResult } from './init.js';

/** Whether a project file is there and is JSON (a full schema check is `wfs init`'s and `wfs doctor`'s). */
function usable(file: string): boolean {
  const text = readTextIfExists(file);
  if (text === undefined) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * SPEC step 0 of every `session start`: initialise the project state when it is missing, or repair
 * it when it is damaged (said once, in the WARNING of the start that repairs it; the damaged file
 * is kept aside). The analyser (and its .gitignore parser) loads only when there is something to do.
 */
export async function ensureProjectInitialized(ctx: ProjectContext): Promise<InitResult | undefined> {
  if (usable(ctx.layout.techPath) && usable(ctx.layout.guidelinesPath)) return undefined;
  return initProject(ctx);
}

/**
 * `wfs init` (project/init.ts), as the library offers it: the analyser, its .gitignore and YAML
 * parsers (half the library's code) load on the first call, not when `wfs` is imported.
 */
export async function initProject(
  ctx: ProjectContext,
  options: { force?: boolean } = {},
): Promise<InitResult> {
  const init = await import('./init.js');
  return init.initProject(ctx, options);
}
