import fs from 'node:fs';
import { monotonicMs } from '../../core/monotonic.js';

/**
 * The clock by which the embedded backend judges expiries (leases, results, presence, claims).
 *
 * Not the wall clock: every process reads its own, so a process whose clock is ahead (a faked
 * time, `faketime -f +11m`, or a clock that NTP is about to step back) would take a lease that is
 * still live, and one behind would keep seeing a lease live after its expiry. Not `process.hrtime`
 * either: it is per process too, and libfaketime fakes it along with `Date.now()`.
 *
 * On Linux every process of the host shares CLOCK_BOOTTIME, which no process can step, and which
 * `/proc/uptime` shows (in hundredths of a second; it keeps counting through a suspend, so leases
 * run out during one, as real time passes). Reading it is a `pread` on a descriptor kept open for
 * the life of the process (~2-3 µs). Its count restarts at every boot, so a reading means something
 * only with the boot it was taken in (`/proc/sys/kernel/random/boot_id`): an expiry recorded in
 * another boot is past. (Processes in different time namespaces of one host see different uptimes;
 * wfs does not share coordination state across those.)
 *
 * Where there is no /proc (not Linux), the clock is `Date.now()` with no boot: expiries then follow
 * the wall clock of each process, as they must for want of a shared one.
 */
export interface HostClock {
  /** The boot the readings count from; null when the clock is the wall clock (no /proc). */
  readonly boot: string | null;
  /** How coarse a reading is (ms): an expiry is set this much later, so it never comes early. */
  readonly resolutionMs: number;
  /** Milliseconds on the host's shared clock. */
  now(): number;
  /** A reading of `now()` as epoch milliseconds, to show people (now + what remains until it). */
  toWall(hostMs: number): number;
}

/** Where the wall clock is thought to be, relative to the host clock; re-taken after a step. */
function wallMapping(now: () => number): (hostMs: number) => number {
  let offset: number | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return (hostMs) => {
    // Checked at most every 100 ms of this process (a listing shows thousands of expiries at once).
    const local = monotonicMs();
    if (local - checkedAt >= 100) {
      checkedAt = local;
      const fresh = Date.now() - now();
      // Kept while it agrees within a second, so one process shows one expiry the same each time
      // (readings of /proc/uptime move in 10 ms steps); taken again when the wall clock was stepped.
      if (offset === undefined || Math.abs(fresh - offset) > 1_000) offset = fresh;
    }
    return Math.round(hostMs + (offset as number));
  };
}

function procClock(): HostClock | undefined {
  let fd: number;
  let boot: string;
  try {
    boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    fd = fs.openSync('/proc/uptime', 'r');
  } catch {
    return undefined;
  }
  if (boot === '') return undefined;
  const buffer = Buffer.alloc(64);
  const now = () => {
    const length = fs.readSync(fd, buffer, 0, buffer.length, 0);
    // "12345.67 23456.78\n": seconds since boot, then idle time.
    const seconds = Number.parseFloat(buffer.toString('latin1', 0, length));
    return Math.round(seconds * 1000);
  };
  return { boot, resolutionMs: 10, now, toWall: wallMapping(now) };
}

const wallClock: HostClock = {
  boot: null,
  resolutionMs: 1,
  now: () => Date.now(),
  toWall: (hostMs) => hostMs,
};

let shared: HostClock | undefined;

/** This host's clock (one per process: it keeps one descriptor of /proc/uptime open). */
export function hostClock(): HostClock {
  shared ??= procClock() ?? wallClock;
  return shared;
}
