import { WfsError } from '../core/errors.js';
import type { ProjectContext } from '../session/context.js';
import type { BaseWorkflow, RunOptions } from './base.js';
import {
  type CommandOutput,
  DeclaredWorkflow,
  declarationFile,
  listDeclarations,
  readDeclaration,
} from './declared.js';
import { validateWorkflowName } from './runs.js';
import type { WorkflowOptions } from './types.js';

/** What `wfs run` and `wfs workflow list` know: the workflows declared in the project's files. */
export interface WorkflowEntry {
  name: string;
  source: string;
  description: string;
  cross_session: boolean;
  scope: string[];
  steps: string[];
  problem?: string;
}

export async function listWorkflows(ctx: ProjectContext): Promise<WorkflowEntry[]> {
  return (await listDeclarations(ctx)).map((d) => ({
    name: d.name,
    source: `.workflow/workflows/${d.file.split(/[\\/]/).pop()}`,
    description: d.declaration?.description ?? '',
    cross_session: d.declaration?.crossSession ?? false,
    scope: d.declaration?.scope ?? [],
    steps: d.declaration?.steps.map((s) => s.name) ?? [],
    ...(d.problem ? { problem: d.problem } : {}),
  }));
}

export async function findWorkflow(
  ctx: ProjectContext,
  name: string,
  options: WorkflowOptions & RunOptions & Partial<CommandOutput>,
): Promise<BaseWorkflow<void, unknown>> {
  validateWorkflowName(name);
  const file = declarationFile(ctx, name);
  if (file === undefined)
    throw new WfsError(
      'E_NOT_FOUND',
      `No workflow ${name}: declare it in .workflow/workflows/${name}.json (wfs workflow list shows those there are)`,
    );
  return new DeclaredWorkflow(await readDeclaration(file), { ...options, project: ctx });
}
