import fs from 'node:fs';
import os from 'node:os';
import { errnoCode } from '../core/errors.js';

/**
 * Who a process is, in a form another process can check later: its pid alone is not enough (pids
 * are reused), so it is qualified by the process's start time (field 22 of /proc/<pid>/stat, in
 * clock ticks since boot) and the machine's boot id. A process recorded this way is provably gone
 * when the machine has restarted since (another boot id), when no process has its pid, or when the
 * process with its pid started at another time.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Start time in clock ticks since boot; 0 where /proc is not available. */
  start: number;
  /** The boot id; '' where /proc is not available. */
  boot: string;
}

let self: ProcessIdentity | undefined;
let bootId: string | undefined;

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

/** The fields after the command name of /proc/<pid>/stat (the name may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 (starttime) is the 20th after the name; field 3 (state) the first. */
function startTimeOf(fields: string[] | undefined): number {
  const start = Number(fields?.[19]);
  return Number.isSafeInteger(start) ? start : 0;
}

export function thisProcess(): ProcessIdentity {
  self ??= {
    host: os.hostname(),
    pid: process.pid,
    start: startTimeOf(statFields(process.pid)),
    boot: currentBootId(),
  };
  return self;
}

export type ProcessState =
  | { state: 'alive'; stopped: boolean }
  | { state: 'gone'; why: string }
  /** On another machine: nothing here can tell whether it lives. */
  | { state: 'unknown' };

/** Whether the process a record names still runs (see ProcessIdentity for how this is proved). */
export function processState(who: ProcessIdentity): ProcessState {
  const me = thisProcess();
  if (who.host !== me.host) return { state: 'unknown' };
  if (who.boot !== '' && me.boot !== '' && who.boot !== me.boot)
    return { state: 'gone', why: 'the machine has restarted since' };
  try {
    process.kill(who.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user, so it is alive.
    if (errnoCode(error) === 'ESRCH') return { state: 'gone', why: `process ${who.pid} is gone` };
  }
  const fields = statFields(who.pid);
  if (fields === undefined) return { state: 'alive', stopped: false };
  if (who.start !== 0 && startTimeOf(fields) !== who.start)
    return { state: 'gone', why: `process ${who.pid} is gone (its pid now belongs to another process)` };
  // Z: exited, not yet reaped by its parent: it holds nothing any more.
  if (fields[0] === 'Z' || fields[0] === 'X') return { state: 'gone', why: `process ${who.pid} has exited` };
  // T: stopped by a signal (Ctrl-Z, SIGSTOP); t: stopped by a debugger.
  return { state: 'alive', stopped: fields[0] === 'T' || fields[0] === 't' };
}
