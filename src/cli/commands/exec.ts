import { isWfsError, WfsError } from '../../core/errors.js';
import { execInSession } from '../../session/exec.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project } from './shared.js';
import { sessionOption } from './state.js';

/** `wfs exec [--session ID] -- CMD [ARGS...]`: the exit code is CMD's. */
export async function exec(
  io: CliIo,
  out: Output,
  values: OptionValues,
  _positionals: string[],
  passed: string[],
): Promise<number> {
  const [command, ...args] = passed;
  if (command === undefined)
    throw new WfsError('E_USAGE', 'Nothing to run: wfs exec [--session ID] -- CMD [ARGS...]');
  const session = sessionOption(values);
  try {
    const result = await execInSession(
      project(io, values),
      {
        command,
        args,
        cwd: io.cwd,
        env: io.env,
        stdout: out.json ? 'stderr' : 'inherit',
        ...(session ? { session } : {}),
      },
      (warnings) => out.warnAll(warnings),
      (warnings) => out.warnAll(warnings),
    );
    if (out.json) out.document(result);
    return result.exit_code;
  } catch (error) {
    const code = isWfsError(error) ? error.details?.exit_code : undefined;
    if (typeof code !== 'number') throw error;
    io.stderr(`ERROR: ${(error as Error).message}\n`);
    return code;
  }
}
