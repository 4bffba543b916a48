import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { UNREACHABLE_POLICIES } from '../core/config.js';
import { errnoCode, WfsError } from '../core/errors.js';
import { describeIssues } from '../core/schema-errors.js';
import { PHASES } from '../core/session.js';
import { changeSessionPhase } from '../session/state.js';
import type { ProjectContext } from '../store/project.js';
import { BaseWorkflow, type StepHandle, type WorkflowContext } from './base.js';
import { commandText, describeOutcome, succeeded } from './command.js';
import { validateWorkflowName } from './runs.js';
import type { WorkflowOptions } from './types.js';

/**
 * Workflows declared in files (SPEC 6): `.workflow/workflows/<name>.json`, `.yaml` or `.yml`. Unknown
 * keys are refused, so a misspelt `crosSession` is an error rather than a workflow that silently
 * runs without its lease.
 */
const stepSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(100)),
  run: z.union([z.string().check(z.minLength(1)), z.array(z.string()).check(z.minLength(1))]),
  phase: z.optional(z.enum(PHASES)),
  cwd: z.optional(z.string()),
});

const declaredSchema = z.strictObject({
  name: z.string(),
  description: z.optional(z.string().check(z.maxLength(2_000))),
  crossSession: z.optional(z.boolean()),
  scope: z.optional(z.array(z.string().check(z.minLength(1)))),
  lockTtlMs: z.optional(z.number().check(z.int(), z.minimum(1_000), z.maximum(24 * 60 * 60 * 1000))),
  onConflict: z.optional(z.enum(['warn', 'skip', 'fail'])),
  onUnavailable: z.optional(z.enum(UNREACHABLE_POLICIES)),
  steps: z.array(stepSchema).check(z.minLength(1)),
});

export type DeclaredStep = z.infer<typeof stepSchema>;
export type Declaration = z.infer<typeof declaredSchema>;

const EXTENSIONS = ['.json', '.yaml', '.yml'];

export function workflowsDir(ctx: ProjectContext): string {
  return path.join(ctx.layout.workflowDir, 'workflows');
}

async function parse(file: string, text: string): Promise<unknown> {
  try {
    if (file.endsWith('.json')) return JSON.parse(text);
    // Loaded only for YAML files: most projects never need the parser.
    const { parse: parseYaml } = await import('yaml');
    return parseYaml(text);
  } catch (error) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `${path.basename(file)} cannot be read: ${(error as Error).message}`,
    );
  }
}

/** Reads and checks one declaration; every problem is an E_INVALID_INPUT naming the file. */
export async function readDeclaration(file: string): Promise<Declaration> {
  const parsed = declaredSchema.safeParse(await parse(file, fs.readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${path.basename(file)} is invalid: ${describeIssues(parsed.error)}`,
    );
  const declaration = parsed.data;
  const expected = path.basename(file).replace(/\.(json|ya?ml)$/, '');
  validateWorkflowName(declaration.name);
  if (declaration.name !== expected)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${path.basename(file)} declares "${declaration.name}": the name must be the file's (${expected})`,
    );
  const names = new Set<string>();
  for (const step of declaration.steps) {
    if (names.has(step.name))
      throw new WfsError('E_INVALID_INPUT', `${path.basename(file)}: step "${step.name}" appears twice`);
    names.add(step.name);
  }
  return declaration;
}

/** The declaration file of a workflow, if there is one. */
export function declarationFile(ctx: ProjectContext, name: string): string | undefined {
  for (const extension of EXTENSIONS) {
    const file = path.join(workflowsDir(ctx), `${name}${extension}`);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Every declaration file, readable or not (a broken one is listed with its problem, never hidden). */
export async function listDeclarations(
  ctx: ProjectContext,
): Promise<{ name: string; file: string; declaration?: Declaration; problem?: string }[]> {
  let names: string[];
  try {
    names = fs.readdirSync(workflowsDir(ctx));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found = [];
  for (const fileName of names.sort()) {
    if (!EXTENSIONS.some((e) => fileName.endsWith(e))) continue;
    const file = path.join(workflowsDir(ctx), fileName);
    const name = fileName.replace(/\.(json|ya?ml)$/, '');
    try {
      found.push({ name, file, declaration: await readDeclaration(file) });
    } catch (error) {
      found.push({ name, file, problem: (error as Error).message });
    }
  }
  return found;
}

export interface DeclaredOutput {
  steps: { name: string; exit_code: number; duration_ms: number }[];
}

/** A declared workflow: each step a command, run in the project's root with the session's environment. */
export class DeclaredWorkflow extends BaseWorkflow<void, DeclaredOutput> {
  readonly name: string;
  override readonly description: string;

  constructor(
    readonly declaration: Declaration,
    options: WorkflowOptions = {},
  ) {
    super({
      enableCrossSession: declaration.crossSession ?? false,
      ...(declaration.lockTtlMs ? { lockTtlMs: declaration.lockTtlMs } : {}),
      ...(declaration.scope ? { scope: declaration.scope } : {}),
      ...(declaration.onConflict ? { onConflict: declaration.onConflict } : {}),
      ...(declaration.onUnavailable ? { onUnavailable: declaration.onUnavailable } : {}),
      ...options,
    });
    this.name = declaration.name;
    this.description = declaration.description ?? '';
  }

  protected async run(ctx: WorkflowContext): Promise<DeclaredOutput> {
    const steps: DeclaredOutput['steps'] = [];
    for (const step of this.declaration.steps) {
      steps.push(
        await ctx.step(step.name, async (_signal, handle) => {
          if (step.phase !== undefined && step.phase !== ctx.session.state.current_phase)
            await changeSessionPhase(ctx.project, { to: step.phase, session: ctx.session.id });
          return { name: step.name, ...(await this.command(ctx, step, handle)) };
        }),
      );
    }
    return { steps };
  }

  private async command(
    ctx: WorkflowContext,
    step: DeclaredStep,
    handle: StepHandle,
  ): Promise<{ exit_code: number; duration_ms: number }> {
    const root = ctx.project.layout.root;
    const cwd = path.resolve(root, step.cwd ?? '.');
    if (path.relative(root, cwd).startsWith('..'))
      throw new WfsError('E_INVALID_INPUT', `Step ${step.name}: cwd ${step.cwd} is outside the project`);
    // The session's environment and the run's come with step.runCommand (WorkflowContext.env).
    const outcome = await handle.runCommand({ run: step.run, cwd });
    if (!succeeded(outcome))
      throw new WfsError(
        'E_STEP_FAILED',
        `Step ${step.name} failed: ${commandText(step.run)} ${describeOutcome(outcome)}`,
      );
    return { exit_code: 0, duration_ms: outcome.ms };
  }
}
