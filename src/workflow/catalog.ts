import { WfsError } from '../core/errors.js';
import type { ProjectContext } from '../store/project.js';
import type { BaseWorkflow, RunOptions } from './base.js';
import { BUILTINS } from './builtin/index.js';
import { DeclaredWorkflow, declarationFile, listDeclarations, readDeclaration } from './declared.js';
import { validateWorkflowName } from './runs.js';
import type { WorkflowOptions } from './types.js';

/**
 * What `wfs run` and `wfs workflow list` know: the built-ins and the workflows declared in the
 * project's files. A declaration with a built-in's name replaces the built-in in that project.
 */
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
  const declared = await listDeclarations(ctx);
  const builtins = Object.entries(BUILTINS)
    .filter(([name]) => !declared.some((d) => d.name === name))
    .map(([name, create]): WorkflowEntry => {
      const workflow = create({ project: ctx });
      return {
        name,
        source: 'built-in',
        description: workflow.description,
        cross_session: workflow.options.enableCrossSession === true,
        scope: workflow.options.scope ?? [],
        steps: [],
      };
    });
  const files = declared.map(
    (d): WorkflowEntry => ({
      name: d.name,
      source: `.workflow/workflows/${d.file.split(/[\\/]/).pop()}`,
      description: d.declaration?.description ?? '',
      cross_session: d.declaration?.crossSession ?? false,
      scope: d.declaration?.scope ?? [],
      steps: d.declaration?.steps.map((s) => s.name) ?? [],
      ...(d.problem ? { problem: d.problem } : {}),
    }),
  );
  return [...builtins, ...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function findWorkflow(
  ctx: ProjectContext,
  name: string,
  options: WorkflowOptions & RunOptions,
): Promise<BaseWorkflow<void, unknown>> {
  validateWorkflowName(name);
  const file = declarationFile(ctx, name);
  const builtin = BUILTINS[name];
  if (file === undefined && builtin !== undefined) {
    if (options.apply && name !== 'release-prep')
      throw new WfsError('E_USAGE', `--apply is for workflows with a dry run (release-prep), not ${name}`);
    return builtin({ ...options, project: ctx });
  }
  if (file !== undefined && options.apply)
    throw new WfsError(
      'E_USAGE',
      `--apply is for workflows with a dry run (release-prep), not the declared ${name}`,
    );
  if (file === undefined)
    throw new WfsError(
      'E_NOT_FOUND',
      `No workflow ${name}: declare it in .workflow/workflows/${name}.json (wfs workflow list shows those there are)`,
    );
  return new DeclaredWorkflow(await readDeclaration(file), { ...options, project: ctx });
}
