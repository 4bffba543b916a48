import { printable } from '../core/input.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  // A reader that goes away (`wfs session list | head -1`) is not an error of ours: stop quietly,
  // as other command-line tools do, instead of dying with EPIPE and a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Human lines or one JSON document; warnings always go to stderr with `WARNING: `. */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  line(text = ''): void {
    if (!this.json) this.io.stdout(`${text}\n`);
  }

  /** Compact: `--json` is for programs, and indenting 10,000 list rows costs milliseconds. */
  document(value: unknown, keys?: string[]): void {
    this.io.stdout(`${JSON.stringify(value, keys)}\n`);
  }

  warn(message: string): void {
    // Plain prefix even on a terminal: agents and scripts match `^WARNING: ` on stderr.
    this.io.stderr(`WARNING: ${printable(message)}\n`);
  }

  warnAll(messages: readonly string[]): void {
    for (const message of messages) this.warn(message);
  }

  /** A left-aligned table; cells are made printable so a hostile description cannot drive the terminal. */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    const cells = [headers, ...rows].map((row) => row.map((cell) => printable(cell)));
    const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
    for (const row of cells) {
      const text = row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd();
      this.line(text);
    }
  }
}
