import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
// The benchmark's fixture: the files `session start --new` writes, for 1,500 sessions at once.
import { makeFixture } from '../../bench/fixture.mjs';
import { CLI } from '../helpers.js';

describe('output through pipes', () => {
  const root = makeFixture(1500) as string;
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a large --json document arrives whole', () => {
    const run = spawnSync(process.execPath, [CLI, 'session', 'list', '--json'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.status).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(100_000);
    expect((JSON.parse(run.stdout) as { sessions: unknown[] }).sessions).toHaveLength(1500);
  });

  it('a reader that stops early ends wfs quietly, with exit 0', () => {
    const run = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${CLI}" session list --json | head -c 100 > /dev/null; echo "exit=\${PIPESTATUS[0]}"`,
      ],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(run.stdout.trim()).toBe('exit=0');
    expect(run.stderr).toBe('');
  });
});
