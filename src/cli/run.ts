import { ExitCode, faultFromSystemError, isWfsError, WfsError } from '../core/errors.js';
import { printable } from '../core/input.js';
import { resolve } from './args.js';
import { COMMANDS } from './commands.js';
import { type CliIo, Output, processIo } from './io.js';

declare const WFS_VERSION: string | undefined;
const version = typeof WFS_VERSION === 'string' ? WFS_VERSION : '0.0.0-dev';

function reportError(
  io: CliIo,
  json: boolean,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  if (json) io.stdout(`${JSON.stringify({ error: { code, message, ...(details ?? {}) } })}\n`);
  io.stderr(`ERROR: ${printable(message)}\n`);
}

/**
 * The command line resolved once per process: the launcher asks for the cache's name (above main)
 * and main then runs the command, from the same argv array. Keyed by that array, so main called
 * with another (tests, the MCP server) resolves its own.
 */
let resolved:
  | { argv: readonly string[]; resolution?: ReturnType<typeof resolve>; error?: unknown }
  | undefined;
function resolveOnce(argv: readonly string[]): ReturnType<typeof resolve> {
  if (resolved?.argv !== argv) {
    try {
      resolved = { argv, resolution: resolve(COMMANDS, argv, version) };
    } catch (error) {
      resolved = { argv, error };
    }
  }
  if (resolved.resolution === undefined) throw resolved.error;
  return resolved.resolution;
}

/**
 * The name of the code cache the launcher keeps for this command line (src/launcher.ts): the
 * command's words (`session-list`). None for help, the version and a usage error (not worth a
 * cache), nor for the commands that run until stopped (`mcp`, `dashboard`, `events --follow`):
 * writing a cache as they end would hold up their exit for a start-up they have long paid for.
 */
export function codeCacheName(argv: readonly string[]): string | undefined {
  let resolution: ReturnType<typeof resolve>;
  try {
    resolution = resolveOnce(argv);
  } catch {
    return undefined;
  }
  if (resolution.kind !== 'command') return undefined;
  const name = resolution.spec.path.join('-');
  if (name === 'mcp' || name === 'dashboard' || (name === 'events' && resolution.values.follow === true))
    return undefined;
  return name;
}

/**
 * Runs the CLI and returns the exit code. Every error ends here: a WfsError keeps its code and exit
 * code (usage errors are E_USAGE, 2); anything else is an internal error that asks to be reported.
 * Stack traces only with WFS_DEBUG=1.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes('--json');
  try {
    const resolution = resolveOnce(argv);
    // --json means one JSON document on stdout for every command (SPEC 3), help and version too.
    if (resolution.kind === 'version') {
      io.stdout(json ? `${JSON.stringify({ version })}\n` : `${version}\n`);
      return ExitCode.ok;
    }
    if (resolution.kind === 'help') {
      io.stdout(json ? `${JSON.stringify({ help: resolution.text })}\n` : resolution.text);
      return ExitCode.ok;
    }
    const handler = await resolution.spec.load();
    return await handler(
      io,
      new Output(io, resolution.values.json === true),
      resolution.values,
      resolution.positionals,
      resolution.passed ?? [],
    );
  } catch (error) {
    // A fault of the machine (permission, disk full, a folder where a file belongs) is named as
    // such with the path and the cause, never as an internal error (SPEC 3).
    const known = isWfsError(error) ? error : faultFromSystemError(error);
    if (argv[0] === 'hook') {
      // `wfs hook` always exits 0 with nothing on stdout (SPEC 7): an agent reads exit 2 as "block
      // this tool call", so a hook line edited by hand (`wfs hook`, an option wfs does not know)
      // must not stop the agent's edits. What went wrong is said where a person looks.
      io.stderr(
        `WARNING: wfs hook: ${printable(known?.message ?? String((error as Error)?.message ?? error))}; the event is ignored\n`,
      );
      return ExitCode.ok;
    }
    if (known !== undefined) {
      reportError(io, json, known.code, known.message, known.details);
      if (io.env.WFS_DEBUG === '1') io.stderr(`${(error as Error).stack ?? ''}\n`);
      return known.exitCode;
    }
    const internal = new WfsError(
      'E_INTERNAL',
      `Internal error: ${(error as Error)?.message ?? String(error)}. Please report it; WFS_DEBUG=1 shows the details.`,
    );
    reportError(io, json, internal.code, internal.message);
    if (io.env.WFS_DEBUG === '1') io.stderr(`${(error as Error)?.stack ?? String(error)}\n`);
    return internal.exitCode;
  }
}
