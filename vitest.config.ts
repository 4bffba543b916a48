import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests spawn the built CLI, sometimes 100 processes at once, on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // The CLI's code cache (src/launcher.ts) of every CLI a test spawns goes to a folder of the
    // tests', not the developer's ~/.cache (test/e2e/code-cache.test.ts points it at its own).
    env: { XDG_CACHE_HOME: path.join(os.tmpdir(), 'wfs-test-code-cache') },
  },
});
