import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const LIBRARY = path.resolve(import.meta.dirname, '..', '..', 'dist', 'lib', 'index.js');

/** The ioredis modules loaded after running `script` (ES module code) in a fresh Node. */
function ioredisModulesAfter(script: string): number {
  const run = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `${script}
const { createRequire } = await import('node:module');
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('/ioredis/'));
console.log(loaded.length);`,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stdout.trim());
}

describe("import 'wfs' stays light", () => {
  it('ioredis is loaded only when a Redis coordinator connects', () => {
    expect(
      ioredisModulesAfter(
        `const wfs = await import(${JSON.stringify(LIBRARY)}); if (!wfs.RedisCoordinator) throw new Error('no export');`,
      ),
    ).toBe(0);
    expect(
      ioredisModulesAfter(
        `const { RedisCoordinator } = await import(${JSON.stringify(LIBRARY)});
await RedisCoordinator.connect({ url: 'redis://127.0.0.1:1', projectId: 'x', timeoutMs: 200 }).catch(() => {});`,
      ),
    ).toBeGreaterThan(0);
  });
});
