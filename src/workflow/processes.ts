import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import {
  currentBootId,
  hasEnded,
  hasProc,
  identityOf,
  processState,
  readProcessStat,
  signalReaches,
} from '../store/processes.js';
import type { ProcessRecord, StepChild } from './types.js';

/**
 * The processes of workflow runs: who is alive, and stopping a step's command with everything it
 * started. A step's command leads a process group of its own, so one signal to the group reaches
 * its grandchildren too, even those whose parent has died (a tree walk by parent pid, as tree-kill
 * does with `ps`, loses exactly those). Identity is pid plus start time (field 22 of
 * /proc/<pid>/stat) plus boot ID, so a reused pid is never taken for the process recorded.
 */

/**
 * How long a stopped command has between SIGTERM and SIGKILL. Test runners and builds use SIGTERM
 * to stop their workers and remove their temp files, which takes well under a second; 3 s leaves
 * room for that on a loaded 2-core machine, while a person who pressed Ctrl-C waits at most that
 * long (the lease is renewed meanwhile, so no TTL is at stake).
 */
export const STOP_GRACE_MS = 3_000;
/** SIGKILL cannot be refused; only a process stuck in the kernel (a hung NFS mount) outlasts this. */
const KILL_WAIT_MS = 5_000;
/** How often a stopping group is looked at: reading /proc costs well under a millisecond. */
const POLL_MS = 25;

/** Whether this process may signal that process group (not another user's). */
export function maySignal(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'EPERM';
  }
}

/** The record of a process of this host: this one (`process.pid`) or a child just started. */
export function processRecord(pid: number): ProcessRecord {
  const who = identityOf(pid);
  return {
    pid,
    host: who.host,
    ...(who.boot !== '' ? { boot_id: who.boot } : {}),
    ...(who.start !== 0 ? { start_time: who.start } : {}),
  };
}

/** `elsewhere`: recorded on another host, which cannot be seen from here. */
export type Liveness = 'alive' | 'gone' | 'elsewhere';

/**
 * Whether the process a run record names still runs: the judgement of store/processes.ts (another
 * boot, no such pid, a zombie, a pid that started at another time: gone). A record without a
 * start time (written where there was no /proc, or by an older wfs) is judged by the pid alone,
 * unless `program` says what its command line must contain (the runner of a run is node).
 */
export function processLiveness(record: ProcessRecord, options: { program?: string } = {}): Liveness {
  const state = processState({
    host: record.host,
    pid: record.pid,
    start: record.start_time ?? 0,
    boot: record.boot_id ?? '',
  });
  if (state.state === 'unknown') return 'elsewhere';
  if (state.state === 'gone') return 'gone';
  if (record.start_time !== undefined || options.program === undefined || !hasProc()) return 'alive';
  try {
    return fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').includes(options.program)
      ? 'alive'
      : 'gone';
  } catch {
    return 'gone'; // it ended between the two reads
  }
}

/**
 * Whether anything of a step's process group still runs: its leader, or (the leader ended) a
 * process it started. A group outlives its leader, and its number is not given to another process
 * while it does, so a live leader pid of another start time means the group is long gone.
 */
export function groupLiveness(child: StepChild): Liveness {
  const leader = processLiveness(child);
  if (leader !== 'gone') return leader;
  const boot = currentBootId();
  if (child.boot_id !== undefined && boot !== '' && child.boot_id !== boot) return 'gone';
  if (!hasProc()) return signalReaches(-child.pgid) ? 'alive' : 'gone';
  const stat = readProcessStat(child.pgid);
  if (stat !== undefined && child.start_time !== undefined && stat.start !== child.start_time) return 'gone';
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return 'gone';
  }
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue; // not a pid
    const member = readProcessStat(Number(name));
    if (member !== undefined && member.pgrp === child.pgid && !hasEnded(member)) return 'alive';
  }
  return 'gone';
}

export interface StopOutcome {
  /** Nothing of the group runs any more. */
  stopped: boolean;
  /** The last signal it took: none when it had ended already. */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** Why it could not be stopped. */
  problem?: string;
}

/**
 * Stopping a group, as steps: SIGTERM, a grace period, SIGKILL, each yield how long to wait before
 * looking again. One sequence for both drivers below, so the asynchronous stop (a run, whose lease
 * renewals must go on meanwhile) and the synchronous one (wfs doctor) cannot drift apart.
 */
function* stopping(child: StepChild): Generator<number, StopOutcome, void> {
  const alive = () => groupLiveness(child) === 'alive';
  const send = (signal: NodeJS.Signals): string | undefined => {
    try {
      process.kill(-child.pgid, signal);
    } catch (error) {
      if (errnoCode(error) === 'EPERM') return `not allowed to signal process group ${child.pgid}`;
      // ESRCH: ended meanwhile
    }
    return undefined;
  };
  if (!alive()) return { stopped: true };
  for (const [signal, waitMs] of [
    ['SIGTERM', STOP_GRACE_MS],
    ['SIGKILL', KILL_WAIT_MS],
  ] as const) {
    const problem = send(signal);
    if (problem !== undefined) return { stopped: false, signal, problem };
    // A stopped process (SIGSTOP) would hold a SIGTERM pending: continued, it acts on it.
    if (signal === 'SIGTERM') send('SIGCONT');
    const deadline = Date.now() + waitMs;
    while (alive()) {
      if (Date.now() >= deadline) break;
      yield POLL_MS;
    }
    if (!alive()) return { stopped: true, signal };
  }
  return {
    stopped: false,
    signal: 'SIGKILL',
    problem: `still running ${KILL_WAIT_MS / 1000} s after SIGKILL`,
  };
}

/** Stops a step's process group (SIGTERM, then SIGKILL after STOP_GRACE_MS) and waits until it is gone. */
export async function stopGroup(child: StepChild): Promise<StopOutcome> {
  const steps = stopping(child);
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value;
    await new Promise((resolve) => setTimeout(resolve, next.value));
  }
}

/** The same, blocking: for wfs doctor, which works synchronously under the project lock. */
export function stopGroupSync(child: StepChild): StopOutcome {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const steps = stopping(child);
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value;
    Atomics.wait(sleeper, 0, 0, next.value);
  }
}

/** "4.2 s", "3 min 5 s", "2 h 10 min": how long something has run. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
