import fs from 'node:fs';
import path from 'node:path';
import { findSession, gitRepo, lockDirsOf, type TodoEntry } from './fixtures.js';
import {
  copyOf,
  describeOutcome,
  FAKETIME_AHEAD,
  internalFailure,
  lockNamesPid,
  type Outcome,
  parseJson,
  progress,
  Random,
  type Running,
  removeDir,
  run,
  type ScenarioResult,
  sleep,
  start,
  Tally,
  type TortureSettings,
} from './harness.js';

/**
 * Scenario 2, a stalled holder (SPEC 1: "a holder that is stopped, swapped out or busy for a minute
 * still holds it, and its write never lands on top of a write made by someone else meanwhile").
 * A writer is stopped with SIGSTOP inside its critical section (after it took the lock) for 12-15 s,
 * longer than the 10 s after which main breaks a lock, while other processes write; then SIGCONT.
 * No acknowledged write may be lost, todo numbers stay distinct, fences never repeat, and nothing
 * is acknowledged while the stopped holder still holds the lock.
 */

const SESSION = 'WFS-stall-target';
const WRITERS = 3;

interface Variant {
  name: string;
  /** Which lock the holder is stopped in. */
  lock: 'project.lock' | 'coord.lock';
  /** Writers whose clock runs 20 s ahead (faketime), by index. */
  ahead: (writer: number) => boolean;
  /** Only in the full run (the short one stays within its few minutes). */
  fullOnly?: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'project lock, holder stopped', lock: 'project.lock', ahead: () => false },
  {
    name: 'project lock, holder stopped, writers 20 s ahead',
    lock: 'project.lock',
    ahead: (writer) => writer % 2 === 0,
  },
  { name: 'coordination lock, lock acquire stopped', lock: 'coord.lock', ahead: () => false },
  {
    // Only the coordination lock is judged here: the leases' own expiry compares clocks by design.
    name: 'coordination lock, lock acquire stopped, contenders 20 s ahead',
    lock: 'coord.lock',
    ahead: (writer) => writer % 2 === 0,
    fullOnly: true,
  },
];

interface Ack {
  who: string;
  at: number;
  outcome: Outcome;
}

async function prepare(): Promise<string> {
  const root = gitRepo();
  const started = await run(['session', 'start', '--new', 'stall target'], { cwd: root });
  if (started.code !== 0) throw new Error(`setup: session start: ${describeOutcome(started)}`);
  for (const dir of lockDirsOf(root)) fs.mkdirSync(dir, { recursive: true });
  return root;
}

/**
 * Starts `args` and stops it (SIGSTOP) while it holds `lock`: at each appearance of the lock it is
 * stopped and kept stopped if the lock there names it; otherwise it goes on (SIGCONT) until its next
 * lock, or its end.
 */
async function stopInside(
  root: string,
  args: string[],
  lock: Variant['lock'],
): Promise<{ holder: Running; stopped: boolean; tries: number }> {
  const dir = lockDirsOf(root)[lock === 'project.lock' ? 0 : 1]!;
  let holder: Running | undefined;
  let tries = 0;
  let caught: (() => void) | undefined;
  const inside = new Promise<boolean>((resolve) => {
    caught = () => resolve(true);
  });
  const watcher = fs.watch(dir, (_event, name) => {
    if (String(name) !== lock || holder === undefined || caught === undefined) return;
    tries++;
    holder.child.kill('SIGSTOP');
    if (lockNamesPid(path.join(dir, lock), holder.pid)) {
      caught();
      caught = undefined;
    } else holder.child.kill('SIGCONT');
  });
  holder = start(args, { cwd: root, timeoutMs: 120_000 });
  const stopped = await Promise.race([inside, holder.done.then(() => false)]);
  watcher.close();
  return { holder, stopped, tries };
}

export async function stalledHolder(settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('stalled holder');
  const random = new Random(settings.seed + 2);
  const trials = settings.short ? 1 : Number(process.env.TORTURE_STALL_TRIALS ?? 3);
  let template: string;
  try {
    template = await prepare();
  } catch (error) {
    tally.fail('prepare', (error as Error).message);
    return tally.result();
  }
  const fences = { granted: 0, duplicate: 0 };
  for (const variant of VARIANTS.filter((v) => !(settings.short && v.fullOnly))) {
    for (let trial = 0; trial < trials; trial++) {
      // Past the 10 s after which main breaks a lock; the short run keeps to the shortest.
      const stallMs = settings.short ? 12_000 : random.int(12_000, 15_000);
      const root = copyOf(template);
      try {
        const problems: string[] = [];
        const acks: Ack[] = [];
        const outcomes: Outcome[] = [];
        const coord = variant.lock === 'coord.lock';
        const skewed = Array.from({ length: WRITERS }, (_, i) => variant.ahead(i)).some(Boolean);
        // lock acquire --wait on a name held for a moment more takes the coordination lock again at
        // every retry: many chances to stop it inside (one acquire holds it for well under 1 ms).
        if (coord) await run(['lock', 'acquire', 'X', '--ttl', '1500'], { cwd: root });
        const holderArgs = coord
          ? ['lock', 'acquire', 'X', '--wait', '30000', '--ttl', '20000', '--json']
          : ['todo', 'add', 'held by the stopped one'];
        let attempt = 0;
        let stop: Awaited<ReturnType<typeof stopInside>>;
        // The critical section lasts milliseconds: a SIGSTOP may land after it; try again.
        for (;;) {
          attempt++;
          stop = await stopInside(root, holderArgs, variant.lock);
          if (stop.stopped || attempt >= 20) break;
          const missed = await stop.holder.done;
          if (missed.code === 0) acks.push({ who: 'holder (not stopped)', at: Date.now(), outcome: missed });
        }
        if (!stop.stopped) {
          tally.fail(
            variant.name,
            `could not stop the holder inside its critical section in ${attempt} attempts`,
          );
          continue;
        }
        tally.count('holders stopped inside the lock');
        tally.count('lock appearances until one was caught', stop.tries);
        const stoppedAt = Date.now();
        let continuedAt = Number.POSITIVE_INFINITY;
        const writer = async (index: number) => {
          for (let j = 0; Date.now() < stoppedAt + stallMs; j++) {
            const prefix = variant.ahead(index) ? FAKETIME_AHEAD : [];
            if (coord) {
              // 5 s: far longer than acquire-then-release takes, so a release that finds the lease
              // someone else's means it was taken from a live holder.
              const got = await run(['lock', 'acquire', 'X', '--ttl', '5000', '--json'], {
                cwd: root,
                prefix,
                timeoutMs: 120_000,
              });
              outcomes.push(got);
              if (got.code === 0) {
                acks.push({ who: `writer ${index}`, at: Date.now(), outcome: got });
                const lease = parseJson<{ token: string; fence: number }>(got);
                const released = await run(['lock', 'release', 'X', '--token', lease?.token ?? ''], {
                  cwd: root,
                  prefix,
                });
                const internal = internalFailure(released);
                if (internal) problems.push(`lock release: ${internal}`);
                // With clocks apart, another contender may judge this lease expired: lease expiry
                // compares clocks by design, so only the coordination lock is judged then.
                else if (!/RESULT: released/.test(released.stdout) && !skewed)
                  problems.push(
                    `writer ${index}'s lease (fence ${lease?.fence}) was no longer its own within its TTL: ${describeOutcome(released)}`,
                  );
              } else await sleep(50);
            } else {
              const added = await run(['todo', 'add', `writer ${index} number ${j}`], {
                cwd: root,
                prefix,
                timeoutMs: 120_000,
              });
              outcomes.push(added);
              if (added.code === 0) acks.push({ who: `writer ${index}`, at: Date.now(), outcome: added });
            }
          }
        };
        const writers = Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
        await sleep(stallMs);
        stop.holder.child.kill('SIGCONT');
        continuedAt = Date.now();
        await writers;
        const held = await stop.holder.done;
        outcomes.push(held);
        if (held.code === 0) acks.push({ who: 'holder', at: Date.now(), outcome: held });
        tally.count('writes acknowledged', acks.length);

        for (const o of outcomes) {
          const internal = internalFailure(o);
          if (internal) problems.push(`a process failed: ${internal}`);
          else if (o.code !== 0 && o.code !== 4 && !/^ERROR: /m.test(o.stderr))
            problems.push(`a process failed without ERROR: ${describeOutcome(o)}`);
          if (/E_LOCK_TIMEOUT|Timed out/.test(o.stderr))
            tally.count('waiters that timed out (an ERROR: fine)');
        }
        const duringStop = acks.filter((a) => a.who !== 'holder' && a.at < continuedAt);
        if (duringStop.length > 0)
          problems.push(
            `${duringStop.length} write(s) acknowledged while the stopped holder held ${variant.lock} (the lock was taken from a live holder), the first ${Math.round((duringStop[0]!.at - stoppedAt) / 100) / 10} s into the stop`,
          );
        tally.count('writes acknowledged while the holder was stopped', duringStop.length);

        if (coord) {
          const granted = acks.map((a) => ({
            who: a.who,
            fence: parseJson<{ fence: number }>(a.outcome)?.fence,
          }));
          const seen = new Map<number, string>();
          for (const g of granted) {
            if (g.fence === undefined) continue;
            fences.granted++;
            const other = seen.get(g.fence);
            if (other !== undefined) {
              fences.duplicate++;
              problems.push(`fence ${g.fence} granted twice: to ${other} and to ${g.who}`);
            }
            seen.set(g.fence, g.who);
          }
          // A grant after all of them must be above every fence acknowledged before (never backwards).
          const probe = await run(['lock', 'acquire', 'X', '--ttl', '1000', '--wait', '30000', '--json'], {
            cwd: root,
          });
          const probeFence = parseJson<{ fence: number }>(probe)?.fence;
          const highest = Math.max(0, ...seen.keys());
          if (probeFence === undefined)
            problems.push(`a last lock acquire X failed: ${describeOutcome(probe)}`);
          else if (probeFence <= highest)
            problems.push(
              `a later grant got fence ${probeFence}, not above the highest granted before (${highest})`,
            );
        } else {
          const todos = (findSession(root, SESSION)?.state?.todos as TodoEntry[] | undefined) ?? [];
          const ackedNumbers = new Map<number, string>();
          let lost = 0;
          for (const ack of acks) {
            const match = /^TODO: (\d+) (.*)$/m.exec(ack.outcome.stdout);
            if (!match) continue;
            const [id, text] = [Number(match[1]), match[2]!];
            const other = ackedNumbers.get(id);
            if (other !== undefined)
              problems.push(`todo number ${id} acknowledged twice: "${other}" and "${text}"`);
            ackedNumbers.set(id, text);
            const found = todos.find((t) => t.id === id);
            if (found?.content !== text) {
              lost++;
              problems.push(
                `lost acknowledged todo #${id} "${text}" (${ack.who})${found ? `: #${id} is now "${found.content}"` : ''}`,
              );
            }
          }
          const ids = todos.map((t) => t.id);
          if (new Set(ids).size !== ids.length)
            problems.push(`duplicate todo numbers in the file: ${ids.join(',')}`);
          tally.count('acknowledged todos lost', lost);
        }
        const heading = `${variant.name}: stopped ${Math.round(stallMs / 100) / 10} s, ${acks.length} writes acknowledged`;
        tally.verdict(variant.name, problems.length ? [heading, ...problems.map((p) => `  - ${p}`)] : []);
        progress(
          `stalled holder: ${variant.name}: ${problems.length === 0 ? 'passed' : `${problems.length} problems`}`,
        );
      } finally {
        removeDir(root);
      }
    }
  }
  tally.set('fences granted', fences.granted);
  tally.set('duplicate fences', fences.duplicate);
  removeDir(template);
  return tally.result();
}
