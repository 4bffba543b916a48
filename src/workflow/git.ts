import { spawnSync } from 'node:child_process';
import { WfsError } from '../core/errors.js';

/**
 * Git, as the workflows ask it: its output, or undefined when it fails. `latin1` keeps every byte
 * of binary output (a diff that is hashed); `utf8` is for text (commit messages, tags).
 */
export function gitOutput(
  root: string,
  args: string[],
  encoding: 'utf8' | 'latin1' = 'utf8',
): string | undefined {
  const run = spawnSync('git', args, { cwd: root, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
  return run.status === 0 ? run.stdout.toString(encoding) : undefined;
}

/** Git whose failure fails the step, with git's own message. */
export function git(root: string, args: string[]): string {
  const run = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (run.status !== 0) throw new WfsError('E_STEP_FAILED', `git ${args[0]} failed: ${run.stderr.trim()}`);
  return run.stdout;
}
