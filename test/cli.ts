import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/run.js';
import { WfsError } from '../src/core/errors.js';
import { groupDigits } from '../src/core/json-input.js';
import { forgetProvenDirectories } from '../src/store/safe-path.js';
import type { Run } from './helpers.js';

/**
 * The CLI in-process, through its `main(argv, io)` seam: output and exit-code contracts are tested
 * here, without the cost of a process per call. What needs a process of its own (concurrency,
 * kills, signals, the bundle) spawns the built binary (test/helpers.ts). `stdout` is the output as
 * text; `stdoutBytes` the bytes as written.
 */
export async function cli(
  cwd: string,
  argv: readonly string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; stdinIsTTY?: boolean } = {},
): Promise<Run & { stdoutBytes: Buffer }> {
  const stdout: Buffer[] = [];
  let stderr = '';
  const input = options.input === undefined ? Buffer.alloc(0) : Buffer.from(options.input);
  const io: CliIo = {
    stdout: (data) => {
      stdout.push(Buffer.from(data));
    },
    stderr: (text) => {
      stderr += text;
    },
    stdinIsTTY: options.stdinIsTTY ?? false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    cwd,
    env: { NO_COLOR: '1', PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    readStdin: (maxBytes, what) => {
      if (input.length > maxBytes)
        throw new WfsError('E_INVALID_INPUT', `${what} is too large: at most ${groupDigits(maxBytes)} bytes`);
      return input;
    },
  };
  // Each call is a fresh command, as a process would be: what one proved about folders is forgotten.
  forgetProvenDirectories();
  const code = await main(argv, io);
  const bytes = Buffer.concat(stdout);
  return { code, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr };
}
