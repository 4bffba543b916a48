import fs from 'node:fs';
import os from 'node:os';
import { errnoCode } from '../core/errors.js';

/**
 * Who a process is, in a form another process can check later: its pid alone is not enough (pids
 * are reused), so it is qualified by the process's start time (field 22 of /proc/<pid>/stat, in
 * clock ticks since boot) and the machine's boot id. A process recorded this way is provably gone
 * when the machine has restarted since (another boot id), when no process has its pid, when that
 * process has exited (a zombie), or when the process with its pid started at another time. This is
 * the one judgement behind every "is it still there" of wfs: a lock's holder, a workflow's runner,
 * a step's command.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Start time in clock ticks since boot; 0 where unknown (no /proc, an older record). */
  start: number;
  /** The boot id; '' where unknown. */
  boot: string;
}

let self: ProcessIdentity | undefined;
let bootId: string | undefined;
let procChecked: boolean | undefined;

/** Whether this system has Linux's /proc (not macOS, not the BSDs). */
export function hasProc(): boolean {
  procChecked ??= fs.existsSync('/proc/self/stat');
  return procChecked;
}

export function currentBootId(): string {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
  }
  return bootId;
}

export interface ProcessStat {
  /** R, S, D, T (stopped), t (traced), Z (exited, not yet reaped), X (dead). */
  state: string;
  /** Its process group. */
  pgrp: number;
  /** Clock ticks since boot. */
  start: number;
}

/** /proc/<pid>/stat: undefined when there is no such process (or no /proc). */
export function readProcessStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  // fields[0] is field 3 (state), fields[2] field 5 (pgrp), fields[19] field 22 (starttime).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), start: Number.isSafeInteger(start) ? start : 0 };
}

/** Exited: a zombie holds nothing any more, whatever `kill -0` says. */
export function hasEnded(stat: ProcessStat | undefined): boolean {
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

let hostName: string | undefined;
/** This machine's name, asked once (os.hostname() is a system call). */
export function thisHost(): string {
  hostName ??= os.hostname();
  return hostName;
}

export function thisProcess(): ProcessIdentity {
  self ??= {
    host: thisHost(),
    pid: process.pid,
    start: readProcessStat(process.pid)?.start ?? 0,
    boot: currentBootId(),
  };
  return self;
}

/** The identity of a process of this host: this one, or a child just started. */
export function identityOf(pid: number): ProcessIdentity {
  return { host: thisHost(), pid, start: readProcessStat(pid)?.start ?? 0, boot: currentBootId() };
}

export type ProcessState =
  | { state: 'alive'; stopped: boolean }
  | { state: 'gone'; why: string }
  /** On another machine: nothing here can tell whether it lives. */
  | { state: 'unknown' };

/** Whether a signal reaches the pid (or, negative, the process group): EPERM means it exists. */
export function signalReaches(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** Whether the process a record names still runs (see ProcessIdentity for how this is proved). */
export function processState(who: ProcessIdentity): ProcessState {
  if (who.host !== thisHost()) return { state: 'unknown' };
  const boot = currentBootId();
  if (who.boot !== '' && boot !== '' && who.boot !== boot)
    return { state: 'gone', why: 'the machine has restarted since' };
  if (!hasProc())
    return signalReaches(who.pid)
      ? { state: 'alive', stopped: false }
      : { state: 'gone', why: `process ${who.pid} is gone` };
  const stat = readProcessStat(who.pid);
  if (stat === undefined) return { state: 'gone', why: `process ${who.pid} is gone` };
  if (hasEnded(stat)) return { state: 'gone', why: `process ${who.pid} has exited` };
  if (who.start !== 0 && stat.start !== who.start)
    return { state: 'gone', why: `process ${who.pid} is gone (its pid now belongs to another process)` };
  // T: stopped by a signal (Ctrl-Z, SIGSTOP); t: stopped by a debugger.
  return { state: 'alive', stopped: stat.state === 'T' || stat.state === 't' };
}
