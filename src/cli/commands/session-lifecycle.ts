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
  return 0;
}

export async function pause(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  printLifecycle(out, await pauseSession(project(io, values), optionalId(id)));
  return 0;
}

export async function resume(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  printLifecycle(out, await resumeSession(project(io, values), optionalId(id)));
  return 0;
}
