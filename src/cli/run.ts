import { Command, CommanderError } from 'commander';
import { ExitCode, isWfsError, WfsError } from '../core/errors.js';
import { printable } from '../core/input.js';
import type { CompleteOptions, ListOptions, ManifestOptions, StartOptions } from './commands/session.js';
import { type CliIo, type CommonOptions, Output, processIo } from './io.js';

declare const WFS_VERSION: string | undefined;
const version = typeof WFS_VERSION === 'string' ? WFS_VERSION : '0.0.0-dev';

/** Every command takes `--json` and `--root DIR` (SPEC 3). */
function common(command: Command): Command {
  return command
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--root <dir>', 'project root (default: discovered)');
}

function buildProgram(io: CliIo, setExit: (code: number) => void) {
  const program = new Command('wfs')
    .description('Durable, shared memory of work in progress for AI coding sessions')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      // Commander's own errors are reformatted by `run` (ERROR: prefix, --json document).
      writeErr: () => {},
    });

  const run = async (options: CommonOptions, action: (out: Output) => Promise<number | undefined>) => {
    const out = new Output(io, options.json === true);
    setExit((await action(out)) ?? ExitCode.ok);
  };

  common(
    program
      .command('init')
      .description('analyse the repository into .workflow/project-tech.json and scaffold the guidelines'),
  )
    .option('--force', 're-analyse, keeping a backup of the old analysis')
    .action((options: CommonOptions & { force?: boolean }) =>
      run(options, async (out) => (await import('./commands/init.js')).init(io, out, options)),
    );

  const session = program
    .command('session')
    .description('start, list and move sessions through their lifecycle');

  common(session.command('start').description('discover, reuse (--auto) or create (--new) a session'))
    .option('--auto <description>', 'reuse the open session if the task is relevant to it, else create one')
    .option('--new <description>', 'always create a new session')
    .option('--type <type>', 'workflow, review, tdd, test or docs')
    .option('--complexity <level>', 'simple, medium or complex')
    .action((options: StartOptions) =>
      run(options, async (out) => (await import('./commands/session.js')).start(io, out, options)),
    );

  common(session.command('list').description('open sessions (with --all, archived too)'))
    .option('--status <status>', 'only sessions with this status')
    .option('--all', 'include archived sessions')
    .action((options: ListOptions) =>
      run(options, async (out) => (await import('./commands/session.js')).list(io, out, options)),
    );

  common(
    session.command('show').description("one session's state (default: the active one)").argument('[id]'),
  ).action((id: string | undefined, options: CommonOptions) =>
    run(options, async (out) => (await import('./commands/session.js')).show(io, out, options, id)),
  );

  common(session.command('switch').description('make a session the active one').argument('<id>')).action(
    (id: string | undefined, options: CommonOptions) =>
      run(options, async (out) =>
        (await import('./commands/session.js')).lifecycle(io, out, options, 'switch', id),
      ),
  );

  common(
    session.command('pause').description('pause a session (default: the active one)').argument('[id]'),
  ).action((id: string | undefined, options: CommonOptions) =>
    run(options, async (out) =>
      (await import('./commands/session.js')).lifecycle(io, out, options, 'pause', id),
    ),
  );

  common(
    session
      .command('resume')
      .description('resume a session (default: the most recently paused)')
      .argument('[id]'),
  ).action((id: string | undefined, options: CommonOptions) =>
    run(options, async (out) =>
      (await import('./commands/session.js')).lifecycle(io, out, options, 'resume', id),
    ),
  );

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  common(
    session
      .command('complete')
      .description('complete a session (default: the active one) and archive it')
      .argument('[id]'),
  )
    .option('--no-archive', 'complete without archiving')
    .option('--tag <tag>', 'a tag for the archive manifest (repeatable)', collect)
    .option('--lesson <text>', 'a lesson learned, for the archive manifest (repeatable)', collect)
    .action((id: string | undefined, options: CompleteOptions) =>
      run(options, async (out) => (await import('./commands/session.js')).complete(io, out, options, id)),
    );

  common(
    session
      .command('archive')
      .description('archive a completed session, or finish an interrupted archiving')
      .argument('<id>'),
  )
    .option('--tag <tag>', 'a tag for the archive manifest (repeatable)', collect)
    .option('--lesson <text>', 'a lesson learned, for the archive manifest (repeatable)', collect)
    .action((id: string, options: ManifestOptions) =>
      run(options, async (out) => (await import('./commands/session.js')).archive(io, out, options, id)),
    );

  return program;
}

function reportError(
  io: CliIo,
  json: boolean,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  if (json) io.stdout(`${JSON.stringify({ error: { code, message, ...(details ?? {}) } }, null, 2)}\n`);
  io.stderr(`ERROR: ${printable(message)}\n`);
}

/**
 * Runs the CLI and returns the exit code. Every error ends here: WfsError keeps its code, a usage
 * error from the parser is E_USAGE (2), anything else is an internal error with a request to report
 * it. Stack traces only with WFS_DEBUG=1.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes('--json');
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        return ExitCode.ok;
      }
      if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') {
        // `wfs session` alone: show what it offers, as a usage error.
        const target = argv[0] === 'session' ? program.commands.find((c) => c.name() === 'session') : program;
        if (!json) io.stderr(target?.helpInformation() ?? '');
      }
      reportError(
        io,
        json,
        'E_USAGE',
        error.message.replace(/^error: /, '').replace(/^\(outputHelp\)$/, 'a subcommand is required'),
      );
      return ExitCode.usage;
    }
    if (isWfsError(error)) {
      reportError(io, json, error.code, error.message, error.details);
      if (io.env.WFS_DEBUG === '1' && error.stack) io.stderr(`${error.stack}\n`);
      return error.exitCode;
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
