import fs from 'node:fs';
import { WfsError } from '../core/errors.js';
import { printable } from '../core/input.js';
import { groupDigits } from '../core/json-input.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  /** Text is written as its UTF-8; bytes as they are (`wfs results get` prints a value byte for byte). */
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  /** Whether progress may redraw its line (a terminal); plain lines otherwise. */
  readonly stderrIsTTY?: boolean;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * All of stdin, refused with E_INVALID_INPUT as soon as it holds more than `maxBytes` (SPEC 4:
   * memory never grows with an input past its bound).
   */
  readStdin(maxBytes: number, what: string): Buffer;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `data` to a file descriptor, synchronously. Not process.stdout: creating that
 * stream loads Node's stream machinery, ~3.5 ms of every CLI start. A descriptor inherited in
 * non-blocking mode may refuse with EAGAIN while the reader catches up: wait a moment and go on.
 * A reader that went away (`wfs session list | head -1`) is not an error of ours: stop quietly, as
 * other command-line tools do.
 */
function writeAll(fd: number, data: string | Uint8Array): void {
  let bytes =
    typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(fs.writeSync(fd, bytes));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2);
      else if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      else throw error;
    }
  }
}

// node:tty loaded at the moment it is needed (an import would load it, and net, at every start).
const tty = { isatty: (fd: number): boolean => process.getBuiltinModule('node:tty').isatty(fd) };

/** Reads fd 0 up to `maxBytes` + 1 bytes, in chunks, never all of an oversized input. */
function readBoundedStdin(maxBytes: number, what: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    let read: number;
    try {
      read = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A non-blocking stdin with nothing yet: wait a moment; a closed one is the end.
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw error;
    }
    if (read === 0) break;
    total += read;
    if (total > maxBytes)
      throw new WfsError('E_INVALID_INPUT', `${what} is too large: at most ${groupDigits(maxBytes)} bytes`);
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  return Buffer.concat(chunks, total);
}

export function processIo(): CliIo {
  return {
    stdout: (data) => writeAll(1, data),
    stderr: (text) => writeAll(2, text),
    // Asked only by the interactive `session start`: loading node:tty loads net and the streams.
    get stdinIsTTY() {
      return tty.isatty(0);
    },
    get stdoutIsTTY() {
      return tty.isatty(1);
    },
    get stderrIsTTY() {
      return tty.isatty(2);
    },
    cwd: process.cwd(),
    env: process.env,
    readStdin: readBoundedStdin,
  };
}

/** Human lines or one JSON document; warnings always go to stderr with `WARNING: `. */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /**
   * A line for people. Made printable: lines carry names other processes chose (a lock holder's
   * session, a host, an event's data), and an escape sequence in one must not drive this terminal.
   */
  line(text = ''): void {
    if (!this.json) this.io.stdout(`${printable(text)}\n`);
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
