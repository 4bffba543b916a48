import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { processRecord, stopGroup } from './processes.js';
import type { StepChild } from './types.js';

export interface CommandRun {
  /** An array runs without a shell; a string runs in the platform's shell (SPEC 6). */
  run: string | readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting it stops the command and everything it started (SIGTERM, then SIGKILL). */
  signal: AbortSignal;
  /** Where the command's standard output goes: ours, or our stderr (when stdout is for --json). */
  stdout: 'inherit' | 'stderr';
  /**
   * Called once the command's process exists and before it runs anything: record it durably here.
   * If it throws, the command never runs.
   */
  onStarted: (child: StepChild) => void;
}

export type CommandOutcome =
  | { kind: 'exited'; code: number; ms: number }
  | { kind: 'killed'; signal: NodeJS.Signals; ms: number }
  | { kind: 'unstartable'; error: string };

/**
 * What the command's process runs first: it waits for one line on fd 3 and only then becomes the
 * command (`exec`, so the pid, the process group and the start time stay the ones recorded). If
 * wfs dies before the record is written, fd 3 reaches its end instead and nothing runs (125).
 */
const GATE = 'read -r _ <&3 || exit 125; exec 3<&-; exec "$@"';

/** The command as a person would write it, on one line (messages are lines) and short enough for one. */
export function commandText(run: string | readonly string[]): string {
  const text = (typeof run === 'string' ? run : run.join(' ')).replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/**
 * Runs one command of a workflow step: stdin closed, stderr ours. It leads a process group of its
 * own (`detached`), so stopping it reaches everything it started, grandchildren included; the
 * flip side is that the terminal's Ctrl-C no longer reaches it directly, so the run forwards it
 * (through `signal`). It is recorded (`onStarted`) before it can do anything, so a run killed at any
 * instant leaves no command running that its record does not name.
 */
export function runCommand(command: CommandRun): Promise<CommandOutcome> {
  if (command.signal.aborted)
    return Promise.resolve({ kind: 'unstartable', error: 'the run was stopped before it started' });
  const argv = typeof command.run === 'string' ? ['/bin/sh', '-c', command.run] : [...command.run];
  const stdout = command.stdout === 'stderr' ? 2 : 'inherit';
  const started = performance.now();
  const startedAt = new Date().toISOString();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', GATE, 'wfs', ...argv], {
      cwd: command.cwd,
      env: command.env ?? process.env,
      stdio: ['ignore', stdout, 'inherit', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) {
      child.on('error', (error) => resolve({ kind: 'unstartable', error: error.message }));
      return;
    }
    // Errors after the start (a signal that could not be sent) are seen in how it exits.
    child.on('error', () => {});
    const gate = child.stdio[3] as Writable;
    gate.on('error', () => {}); // the gate ended before it read (stopped): its exit says so
    let record: StepChild;
    try {
      record = {
        ...processRecord(child.pid),
        pgid: child.pid,
        command: commandText(command.run),
        started_at: startedAt,
      };
      command.onStarted(record);
    } catch (error) {
      child.on('exit', () =>
        resolve({ kind: 'unstartable', error: `it could not be recorded: ${(error as Error).message}` }),
      );
      gate.destroy(); // the gate reads the end of fd 3 and exits without running anything
      return;
    }
    let stopping: Promise<unknown> | undefined;
    const stop = () => {
      stopping ??= stopGroup(record);
    };
    command.signal.addEventListener('abort', stop, { once: true });
    child.on('exit', (code, killedBy) => {
      command.signal.removeEventListener('abort', stop);
      const ms = Math.round(performance.now() - started);
      const outcome: CommandOutcome = killedBy
        ? { kind: 'killed', signal: killedBy, ms }
        : { kind: 'exited', code: code ?? 1, ms };
      // A stopped command is done when its whole group is: a grandchild may outlast the leader.
      if (stopping) void stopping.then(() => resolve(outcome));
      else resolve(outcome);
    });
    gate.end('go\n');
  });
}

/** How an outcome reads in a message: "exited with 1", "was killed by SIGTERM", "cannot be started: ...". */
export function describeOutcome(outcome: CommandOutcome): string {
  if (outcome.kind === 'exited') return `exited with ${outcome.code}`;
  if (outcome.kind === 'killed') return `was killed by ${outcome.signal}`;
  return `cannot be started: ${outcome.error}`;
}

export function succeeded(outcome: CommandOutcome): outcome is { kind: 'exited'; code: 0; ms: number } {
  return outcome.kind === 'exited' && outcome.code === 0;
}
