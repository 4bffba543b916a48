import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { thisHost } from '../../src/coord/rules.js';
import { type CommandOutcome, runCommand } from '../../src/workflow/command.js';
import {
  groupLiveness,
  processLiveness,
  processRecord,
  STOP_GRACE_MS,
  stopGroup,
} from '../../src/workflow/processes.js';
import type { StepChild } from '../../src/workflow/types.js';
import { makeRepo } from '../helpers.js';

/** /proc/<pid>/stat's state and start time; undefined when there is no such process. */
function stat(pid: number): { state: string; startTime: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** Runs, as opposed to ended (a zombie has ended: this machine's init may never reap it). */
function running(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pidIn(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

/** runCommand with what a step would give it; the records it made are kept. */
function start(dir: string, run: string | string[], signal = new AbortController().signal) {
  const records: StepChild[] = [];
  const outcome = runCommand({
    run,
    cwd: dir,
    signal,
    stdout: 'inherit',
    onStarted: (child) => {
      records.push(child);
    },
  });
  return { records, outcome };
}

describe('process liveness', () => {
  it('the same pid with the same start time is alive; another start time, another boot or no such pid is gone; another host is elsewhere', async () => {
    const self = processRecord(process.pid);
    expect(self).toMatchObject({
      pid: process.pid,
      host: thisHost(),
      start_time: stat(process.pid)!.startTime,
    });
    expect(processLiveness(self)).toBe('alive');
    // A reused pid: the process on it started at another time.
    expect(processLiveness({ ...self, start_time: self.start_time! + 1 })).toBe('gone');
    expect(processLiveness({ ...self, boot_id: 'another-boot' })).toBe('gone');
    expect(processLiveness({ ...self, host: `not-${thisHost()}` })).toBe('elsewhere');
    // Without a start time (an older record), the command line must be the program's.
    expect(processLiveness({ pid: process.pid, host: thisHost() }, { program: 'node' })).toBe('alive');
    expect(processLiveness({ pid: process.pid, host: thisHost() }, { program: 'no-such-program' })).toBe(
      'gone',
    );
    const ended = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => ended.on('exit', resolve));
    expect(processLiveness({ pid: ended.pid!, host: thisHost() })).toBe('gone');
  });

  it('a zombie (ended, not reaped) is gone', async () => {
    // The background sleep's parent becomes `sleep 601`, which never reaps a child: killed, it stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 601'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const child = await new Promise<number>((resolve) =>
        parent.stdout!.once('data', (d) => resolve(Number(String(d)))),
      );
      const execed = () => fs.readFileSync(`/proc/${parent.pid}/cmdline`, 'utf8') === 'sleep\u0000601\u0000';
      await until(execed, 'the parent to become sleep 601'); // before it, sh could reap it
      const record = { pid: child, host: thisHost(), start_time: stat(child)!.startTime };
      expect(processLiveness(record)).toBe('alive');
      process.kill(child, 'SIGKILL');
      await until(() => stat(child)?.state === 'Z', 'the zombie');
      expect(processLiveness(record)).toBe('gone');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('runCommand', () => {
  it('records the process (pid = group, start time) before the command runs; a record that fails means it never runs', async () => {
    const dir = makeRepo({}, { git: false });
    const records: StepChild[] = [];
    const outcome = await runCommand({
      run: ['sh', '-c', 'echo $$ > ran'],
      cwd: dir,
      signal: new AbortController().signal,
      stdout: 'inherit',
      onStarted: (child) => {
        // The process exists and waits: nothing of the command has happened yet.
        expect(running(child.pid)).toBe(true);
        expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
        records.push(child);
      },
    });
    expect(outcome).toMatchObject({ kind: 'exited', code: 0 });
    expect(records).toHaveLength(1);
    const child = records[0]!;
    // The command became the recorded process itself (same pid, so same start time).
    expect(pidIn(path.join(dir, 'ran'))).toBe(child.pid);
    expect(child).toMatchObject({ pgid: child.pid, host: thisHost(), command: 'sh -c echo $$ > ran' });
    expect(typeof child.start_time).toBe('number');

    let gate = 0;
    const refused = await runCommand({
      run: 'touch never',
      cwd: dir,
      signal: new AbortController().signal,
      stdout: 'inherit',
      onStarted: (c) => {
        gate = c.pid;
        throw new Error('disk full');
      },
    });
    expect(refused).toEqual({ kind: 'unstartable', error: 'it could not be recorded: disk full' });
    expect(running(gate)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('an abort stops the whole group: SIGTERM, then SIGKILL for what ignores it, and resolves once all of it is gone', async () => {
    const dir = makeRepo({}, { git: false });
    const stop = new AbortController();
    const { records, outcome } = start(
      dir,
      // Ignored signals stay ignored in the children: neither the shell nor its sleep ends on SIGTERM.
      "trap '' TERM; sleep 600 & echo $! > grandchild; wait",
      stop.signal,
    );
    await until(() => fs.existsSync(path.join(dir, 'grandchild')), 'the grandchild');
    const grandchild = pidIn(path.join(dir, 'grandchild'));
    const started = Date.now();
    stop.abort();
    const result: CommandOutcome = await outcome;
    expect(result).toMatchObject({ kind: 'killed', signal: 'SIGKILL' });
    // Not before the grace period: SIGTERM came first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(STOP_GRACE_MS - 50);
    expect(running(records[0]!.pid)).toBe(false);
    expect(running(grandchild)).toBe(false);
  });

  it('a group outlives its leader: alive while a process it started runs, and stopped whole', async () => {
    const dir = makeRepo({}, { git: false });
    const { records, outcome } = start(dir, 'sleep 600 & echo $! > grandchild');
    expect(await outcome).toMatchObject({ kind: 'exited', code: 0 });
    const grandchild = pidIn(path.join(dir, 'grandchild'));
    const child = records[0]!;
    expect(running(child.pid)).toBe(false);
    expect(groupLiveness(child)).toBe('alive');
    expect(await stopGroup(child)).toEqual({ stopped: true, signal: 'SIGTERM' });
    expect(groupLiveness(child)).toBe('gone');
    expect(running(grandchild)).toBe(false);
    // A group that is gone needs no stopping.
    expect(await stopGroup(child)).toEqual({ stopped: true });
  });
});
