import { WfsError } from '../core/errors.js';
import type { ProjectContext } from '../store/project.js';
import type { BaseWorkflow } from './base.js';
import { BUILTINS } from './builtin/index.js';
import { DeclaredWorkflow, declarationFile, listDeclarations, readDeclaration } from './declared.js';
import { validateWorkflowName } from './runs.js';

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
    .map(
      ([name, builtin]): WorkflowEntry => ({
        name,
        source: 'built-in',
        description: builtin.description,
        cross_session: true,
        scope: [],
        steps: [],
      }),
    );
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

/**
 * The workflow of a name: a declaration in the project's files, else a built-in. Its definition
 * only: how a run goes (session, resume, apply, signal, ...) is given to `execute`.
 */
export async function findWorkflow(ctx: ProjectContext, name: string): Promise<BaseWorkflow<void, unknown>> {
  validateWorkflowName(name);
  const file = declarationFile(ctx, name);
  if (file !== undefined) return new DeclaredWorkflow(await readDeclaration(file));
  const builtin = BUILTINS[name];
  if (builtin !== undefined) return builtin.create();
  throw new WfsError(
    'E_NOT_FOUND',
    `No workflow ${name}: declare it in .workflow/workflows/${name}.json (wfs workflow list shows those there are)`,
  );
}
