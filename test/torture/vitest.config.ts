import { defineConfig } from 'vitest/config';

// `npm run torture` (scripts/torture.mjs), never `npm test`: its files end in .torture.ts, which the
// main configuration does not include.
export default defineConfig({
  test: {
    include: ['test/torture/**/*.torture.ts'],
    // One scenario at a time, in one process: the aimed kills and the stalls measure timing, and the
    // machine has 2 cores shared with others.
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // The full run takes most of an hour; a hung command is caught by the harness's own watchdog.
    testTimeout: 6 * 60 * 60 * 1000,
    hookTimeout: 10 * 60 * 1000,
  },
});
