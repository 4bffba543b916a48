import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { v2Layout, writeTree } from '../fixtures/ccw.js';
import { expectNothingLost, snapshot } from '../fixtures/ccw-check.js';
import { expectV2Meaning, v2Expected } from '../fixtures/ccw-expected.js';
import { CLI, json, makeRepo, wfs } from '../helpers.js';

const TRIALS = 16;
// Enough sessions that a migration lasts long enough for kills to land in every step of it.
const BULK = 30;

/** Runs `wfs migrate` and SIGKILLs it `killAfter` ms after it starts (unless it ended first). */
function killedMigrate(root: string, killAfter: number): Promise<{ killed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'migrate'], {
      cwd: root,
      env: { ...process.env, WFS_ROOT: '', WFS_COORD: '', WFS_REDIS_URL: '' },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', ms: Date.now() - started });
    });
  });
}

describe('wfs migrate killed at random instants', () => {
  it(`recovers fully when run again: ${TRIALS} trials, each killed one to three times`, async () => {
    // How long a whole migration of this tree takes here: the kills are spread over all of it. The
    // first run is a warm-up (it compiles the bundle and writes its code cache, which the runs after
    // it are spared); the reference is the median of three after it.
    const timedMigrate = async (): Promise<number> => {
      const reference = makeRepo();
      writeTree(reference, v2Layout(BULK));
      const started = Date.now();
      expect((await wfs(reference, ['migrate'])).code).toBe(0);
      return Date.now() - started;
    };
    await timedMigrate();
    let whole = [await timedMigrate(), await timedMigrate(), await timedMigrate()].sort((a, b) => a - b)[1]!;

    let killedInside = 0;
    let halfDone = 0;
    // The kills are timed against one reference run, and a loaded machine shifts every run: more
    // trials (up to four times as many) until enough kills landed inside, rather than a flaky proof.
    const enough = () => killedInside > TRIALS && halfDone >= TRIALS / 4;
    let trials = 0;
    for (let trial = 0; trial < TRIALS || (!enough() && trial < TRIALS * 4); trial++) {
      trials++;
      const root = makeRepo();
      const t0 = Date.now();
      writeTree(root, v2Layout(BULK));
      const t1 = Date.now();
      const before = snapshot(root);
      const kills = 1 + (trial % 3);
      for (let k = 0; k < kills; k++) {
        const outcome = await killedMigrate(root, Math.random() * whole * 1.2);
        if (outcome.killed) killedInside++;
        // A first run on a fresh tree that ended before its kill was a whole migration: the kills
        // that follow are aimed within its time (a loaded machine can make the reference far
        // longer than the runs after it). Later runs only finish what a kill left, so they don't count.
        else if (k === 0) whole = Math.min(whole, outcome.ms);
        // Killed after the plan was written and before it was done: the next run must finish it.
        if (fs.existsSync(path.join(root, '.workflow', '.migrating.json'))) halfDone++;
      }
      const run = await wfs(root, ['migrate', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expectNothingLost(root, before, v2Expected(BULK));
      await expectV2Meaning(root, [t0, t1]);
      // What a kill leaves besides (temp files of writes cut short, a lock of a dead process) is doctor's.
      expect(json<{ remaining: number }>(await wfs(root, ['doctor', '--fix', '--json'])).remaining).toBe(0);
      const doctor = await wfs(root, ['doctor', '--json']);
      expect(json<{ problems: number }>(doctor).problems, doctor.stdout).toBe(0);
      const again = await wfs(root, ['migrate']);
      expect(again.stdout, `exit ${again.code}: ${again.stderr}`).toBe(
        'Nothing to migrate: .workflow/ already follows this version of wfs.\n',
      );
      fs.rmSync(path.join(root, '.workflow'), { recursive: true, force: true });
    }
    // Most kills must land while a migration runs, many of them halfway, or the trials prove nothing.
    expect(killedInside).toBeGreaterThan(TRIALS);
    expect(halfDone).toBeGreaterThanOrEqual(TRIALS / 4);
    console.log(
      `migrate kill trials: ${trials} trials; a whole migration takes ${whole} ms; ${killedInside} kills landed inside one, ${halfDone} left it half done`,
    );
  }, 600_000);
});
