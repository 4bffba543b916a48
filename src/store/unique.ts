/**
 * A name part that no other process or call produces at the same time: pid, time, a counter and
 * random digits. Not from node:crypto: loading it costs ~3.5 ms of every CLI start, and these names
 * need uniqueness, not secrecy (temp files are also created with O_EXCL).
 */
let counter = 0;

export function uniqueSuffix(): string {
  counter = (counter + 1) % 1_000_000;
  return `${process.pid.toString(36)}${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
