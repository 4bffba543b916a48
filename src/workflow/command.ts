import { spawn } from 'node:child_process';

export interface CommandRun {
  /** An array runs without a shell; a string runs in the platform's shell (SPEC 6). */
  run: string | readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting it stops the command (SIGTERM). */
  signal: AbortSignal;
  /** Where the command's standard output goes: ours, or our stderr (when stdout is for --json). */
  stdout: 'inherit' | 'stderr';
}

export type CommandOutcome =
  | { kind: 'exited'; code: number; ms: number }
  | { kind: 'killed'; signal: NodeJS.Signals; ms: number }
  | { kind: 'unstartable'; error: string };

/** Runs one command of a workflow step: stdin closed, stderr ours, stopped when the run is interrupted. */
export function runCommand(command: CommandRun): Promise<CommandOutcome> {
  const stdio = ['ignore', command.stdout === 'stderr' ? 2 : 'inherit', 'inherit'] as const;
  const options = { cwd: command.cwd, env: command.env ?? process.env, stdio: [...stdio] };
  const started = performance.now();
  return new Promise((resolve) => {
    const child =
      typeof command.run === 'string'
        ? spawn(command.run, { ...options, shell: true })
        : spawn(command.run[0]!, command.run.slice(1), options);
    const stop = () => child.kill('SIGTERM');
    command.signal.addEventListener('abort', stop, { once: true });
    child.on('error', (error) => {
      command.signal.removeEventListener('abort', stop);
      resolve({ kind: 'unstartable', error: error.message });
    });
    child.on('exit', (code, killedBy) => {
      command.signal.removeEventListener('abort', stop);
      const ms = Math.round(performance.now() - started);
      resolve(killedBy ? { kind: 'killed', signal: killedBy, ms } : { kind: 'exited', code: code ?? 1, ms });
    });
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
