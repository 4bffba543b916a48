import fs from 'node:fs';
import type { ProjectContext } from '../session/context.js';
import type { InitResult } from './init.js';

/**
 * SPEC step 0 of every `session start`: initialise the project state when it is missing. The
 * analyser (and its .gitignore parser) loads only when there is something to analyse.
 */
export async function ensureProjectInitialized(ctx: ProjectContext): Promise<InitResult | undefined> {
  if (fs.existsSync(ctx.layout.techPath) && fs.existsSync(ctx.layout.guidelinesPath)) return undefined;
  const { initProject } = await import('./init.js');
  return initProject(ctx);
}
