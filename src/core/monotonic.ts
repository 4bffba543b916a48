/**
 * Milliseconds on this process's monotonic clock, for measuring how long something took. Not
 * `performance.now()`: the global `performance` loads node:perf_hooks on first use, ~1 ms of every
 * command that reads it (measured with --cpu-prof in `wfs context` and `wfs exec`).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
