import { ExitCode } from '../../core/errors.js';
import { parseSessionId } from '../../core/ids.js';
import { pauseSession, resumeSession, switchSession } from '../../session/lifecycle.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { printLifecycle, project } from './shared.js';

const optionalId = (id: string | undefined) => (id === undefined ? undefined : parseSessionId(id));

export async function switchTo(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [id]: string[],
): Promise<number> {
  printLifecycle(out, await switchSession(project(io, values), parseSessionId(id!)));
  return ExitCode.ok;
}

export async function pause(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  printLifecycle(out, await pauseSession(project(io, values), optionalId(id)));
  return ExitCode.ok;
}

export async function resume(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  const result = await resumeSession(project(io, values), optionalId(id));
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return ExitCode.ok;
  }
  const plan = result.plan;
  for (const paused of result.paused) out.line(`PAUSED: ${paused}`);
  out.line(`RESUME_STRATEGY: ${plan.strategy}`);
  out.line(`SESSION_ID: ${result.session_id}`);
  out.line(`STATUS: ${result.status}${result.changed ? '' : ' (unchanged)'}`);
  out.line(`PHASE: ${plan.phase}`);
  out.line(`DONE: ${plan.done.length > 0 ? plan.done.join('; ') : 'nothing yet'}`);
  if (plan.retained) out.line(`RETAINED: ${plan.retained.join('; ')}`);
  out.line(`NEXT: ${plan.next}`);
  return ExitCode.ok;
}
