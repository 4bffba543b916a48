import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ISOLATED, json, makeRepo, type Run, sessionIdOf, wfs } from '../helpers.js';
import { startRedis, type TestRedis } from '../redis-server.js';

type RunRecord = {
  run_id: string;
  steps: {
    name: string;
    status: string;
    children?: { pid: number; pgid: number; host: string; start_time: number }[];
  }[];
};

type RunJson = {
  status: string;
  run_id: string | null;
  steps: { name: string; status: string }[];
  reason?: string;
  holder?: { session: string | null; pid: number; host: string };
  coordination?: string;
  conflicts?: { session: string; theirs: string; ours: string }[];
  resumed_steps?: string[];
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A step that appends its name to `log.txt` (side effects are counted), then sleeps `ms`, the first
 * time only (a resumed run that repeats it does not wait again). It is asleep once `slept-<name>`
 * exists (see `asleep`): a test that stops it earlier could leave a resumed run to sleep `ms` too.
 */
function logStep(name: string, ms = 0, extra: Record<string, unknown> = {}) {
  const script = [
    "const fs = require('fs');",
    `fs.appendFileSync('log.txt', '${name}\\n');`,
    `if (!fs.existsSync('slept-${name}')) { fs.writeFileSync('slept-${name}', ''); setTimeout(() => {}, ${ms}); }`,
  ].join(' ');
  return { name, run: ['node', '-e', script], ...extra };
}

/** Whether logStep `name` has reached its sleep. */
function asleep(root: string, name: string): () => boolean {
  return () => fs.existsSync(path.join(root, `slept-${name}`));
}

function declare(root: string, declaration: Record<string, unknown>, extension = 'json'): void {
  fs.mkdirSync(path.join(root, '.workflow', 'workflows'), { recursive: true });
  fs.writeFileSync(
    path.join(root, '.workflow', 'workflows', `${declaration.name}.${extension}`),
    JSON.stringify(declaration, null, 2),
  );
}

function logOf(root: string): string[] {
  try {
    return fs.readFileSync(path.join(root, 'log.txt'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** `wfs run` in the background, in a process group of its own (so the test can stop it whole). */
function background(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'run', ...args], {
    cwd: root,
    env: { ...process.env, ...ISOLATED, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Runs, as opposed to ended: a zombie has ended (this machine's init may never reap it). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Process groups of step commands the tests start: stopped at the end even when a test fails. */
const stepGroups: number[] = [];
afterAll(() => {
  for (const pgid of stepGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

/** A pid a step wrote; a step command leads its own group, so its pid is the group's. */
function pidIn(root: string, file: string, options: { leader?: boolean } = {}): number {
  const pid = Number(fs.readFileSync(path.join(root, file), 'utf8').trim());
  if (options.leader) stepGroups.push(pid);
  return pid;
}

/** The session's run records of a workflow. */
function runRecords(root: string, session: string, workflow: string): RunRecord[] {
  const dir = path.join(root, '.workflow', 'active', session, '.process', 'runs', workflow);
  return fs
    .readdirSync(dir)
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as RunRecord);
}

/** The lines of a file the steps append to. */
function linesOf(root: string, file: string): string[] {
  return fs.readFileSync(path.join(root, file), 'utf8').trim().split('\n');
}

/**
 * `wfs run` again and again while a killed run's lease lasts (exit 4), until it runs. Each skip
 * must say that the holder has ended, when its lease ends, and what to run then.
 */
async function runOnceTheLeaseEnds(root: string, args: string[]): Promise<Run> {
  let run: Run | undefined;
  await until(async () => {
    run = await wfs(root, ['run', ...args, '--json']);
    if (run.code === 4)
      expect(json<RunJson>(run).reason).toMatch(
        new RegExp(
          `^The process holding workflow:${args[0]} has ended, but its lease lasts until \\S+Z \\(in \\d+ s\\): then wfs run ${args[0]} resumes run run-`,
        ),
      );
    return run.code !== 4;
  }, "the killed run's lease to end");
  return run!;
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends = [
  { name: 'local', env: () => ({}) as NodeJS.ProcessEnv },
  { name: 'redis', env: () => ({ WFS_REDIS_URL: redis.url, WFS_PROJECT_ID: `wf-${Math.random()}` }) },
];

for (const backend of backends) {
  describe(`cross-session workflows (${backend.name})`, () => {
    it('two sessions start the same workflow at once: exactly one runs, the other is skipped with its holder (exit 4)', async () => {
      const root = makeRepo();
      const env = backend.env();
      declare(root, { name: 'slow', crossSession: true, steps: [logStep('work', 3_000)] });
      const a = sessionIdOf(await wfs(root, ['session', 'start', '--new', 'first'], { env }));
      const b = sessionIdOf(await wfs(root, ['session', 'start', '--new', 'second'], { env }));
      const [ra, rb] = await Promise.all([
        wfs(root, ['run', 'slow', '--session', a, '--json'], { env }),
        wfs(root, ['run', 'slow', '--session', b, '--json'], { env }),
      ]);
      const results = [
        { session: a, run: ra },
        { session: b, run: rb },
      ];
      const ran = results.filter((r) => r.run.code === 0);
      const skipped = results.filter((r) => r.run.code === 4);
      expect(ran).toHaveLength(1);
      expect(skipped).toHaveLength(1);
      expect(json<RunJson>(skipped[0]!.run)).toMatchObject({
        status: 'skipped',
        reason: 'Workflow already running in another session',
        holder: { session: ran[0]!.session },
        steps: [],
      });
      expect(json<RunJson>(ran[0]!.run)).toMatchObject({ status: 'completed', coordination: 'locked' });
      expect(logOf(root)).toEqual(['work']);
      const events = json<{ events: { type: string; session: string }[] }>(
        await wfs(root, ['events', '--json'], { env }),
      );
      const types = events.events
        .filter((e) => e.type.startsWith('workflow.'))
        .map((e) => `${e.type} ${e.session}`);
      expect(types).toEqual(
        expect.arrayContaining([
          `workflow.started ${ran[0]!.session}`,
          `workflow.completed ${ran[0]!.session}`,
          `workflow.skipped ${skipped[0]!.session}`,
        ]),
      );
      // Released on the way out: the skipped session can run it now.
      expect((await wfs(root, ['run', 'slow', '--session', skipped[0]!.session], { env })).code).toBe(0);
    }, 60_000);

    it('when the backend cannot be reached the policy decides, and says so', async () => {
      if (backend.name === 'local') return; // the embedded backend is files: nothing to be unreachable
      const root = makeRepo();
      const env = { WFS_REDIS_URL: 'redis://127.0.0.1:1' };
      declare(root, { name: 'job', crossSession: true, steps: [logStep('work')] });
      await wfs(root, ['session', 'start', '--new', 'offline'], { env });
      const fail = await wfs(root, ['run', 'job', '--json'], { env });
      expect(fail.code).toBe(1);
      expect(json<RunJson>(fail)).toMatchObject({ status: 'failed', coordination: 'unlocked' });
      expect(json<RunJson>(fail).reason).toMatch(/^Cannot reach Redis .* \(policy fail: not started\)$/);
      const skip = await wfs(root, ['run', 'job', '--json'], { env: { ...env, WFS_ON_UNREACHABLE: 'skip' } });
      expect(skip.code).toBe(4);
      expect(json<RunJson>(skip)).toMatchObject({ status: 'skipped' });
      expect(logOf(root)).toEqual([]);
      const unlocked = await wfs(root, ['run', 'job', '--json'], {
        env: { ...env, WFS_ON_UNREACHABLE: 'run-unlocked' },
      });
      expect(unlocked.code).toBe(0);
      expect(json<RunJson>(unlocked)).toMatchObject({ status: 'completed', coordination: 'unlocked' });
      expect(unlocked.stderr).toMatch(/WARNING: Cannot reach Redis .*policy run-unlocked/);
      expect(logOf(root)).toEqual(['work']);
      // A bad setting is not an unreachable backend: an ERROR, whatever the policy.
      const bad = await wfs(root, ['run', 'job'], {
        env: { WFS_COORD: 'zookeeper', WFS_ON_UNREACHABLE: 'run-unlocked' },
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^ERROR: WFS_COORD="zookeeper"/);
      // The declaration's own policy wins over the project's.
      declare(root, { name: 'job', crossSession: true, onUnavailable: 'skip', steps: [logStep('work')] });
      expect(
        (await wfs(root, ['run', 'job'], { env: { ...env, WFS_ON_UNREACHABLE: 'run-unlocked' } })).code,
      ).toBe(4);
    }, 60_000);
  });
}

describe('durable steps', () => {
  it('a run killed with SIGKILL mid-step resumes: completed steps do not run again', async () => {
    const root = makeRepo();
    declare(root, {
      name: 'three',
      crossSession: true,
      lockTtlMs: 1_000,
      steps: [logStep('one'), logStep('two', 60_000), logStep('three')],
    });
    await wfs(root, ['session', 'start', '--new', 'killed']);
    const first = background(root, ['three']);
    await until(asleep(root, 'two'), 'step two to sleep');
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    // The dead run's lease ends at its TTL (1 s here); until then the workflow is held (exit 4).
    const again = await runOnceTheLeaseEnds(root, ['three']);
    expect(again.code).toBe(0);
    const result = json<RunJson>(again);
    expect(result).toMatchObject({
      status: 'completed',
      resumed_steps: ['one'],
      steps: [
        { name: 'one', status: 'skipped' },
        { name: 'two', status: 'completed' },
        { name: 'three', status: 'completed' },
      ],
    });
    expect(again.stderr).toContain('NOTE: Resuming run');
    // Step two's command outlived the killed run (a process group of its own): stopped first.
    expect(again.stderr).toContain("NOTE: Stopping step two's command from an earlier attempt");
    // Side effects: one once, two twice (it was running when killed), three once.
    expect(logOf(root)).toEqual(['one', 'two', 'two', 'three']);
    // Finished: the next run is a new one.
    const next = json<RunJson>(await wfs(root, ['run', 'three', '--json']));
    expect(next.run_id).not.toBe(result.run_id);
  }, 60_000);

  for (const backend of backends)
    it(`a lease lost mid-run stops the run before its next step; --resume continues it (${backend.name})`, async () => {
      const root = makeRepo();
      const env = backend.env();
      declare(root, {
        name: 'guarded',
        crossSession: true,
        lockTtlMs: 1_000,
        steps: [logStep('one'), logStep('long', 2_500), logStep('after')],
      });
      await wfs(root, ['session', 'start', '--new', 'stopped'], { env });
      const run = background(root, ['guarded', '--json'], env);
      await until(asleep(root, 'long'), 'the long step');
      // Stopped past its TTL (its child goes on), another process takes the lease meanwhile: it
      // waits for the stopped run's lease to expire.
      process.kill(run.child.pid!, 'SIGSTOP');
      const taken = await wfs(
        root,
        ['lock', 'acquire', 'workflow:guarded', '--ttl', '60000', '--wait', '5000', '--json'],
        { env: { ...env, WFS_SESSION_ID: 'WFS-thief' } },
      );
      expect(taken.code).toBe(0);
      process.kill(run.child.pid!, 'SIGCONT');
      expect(await run.exited).toBe(1);
      const result = JSON.parse(run.output().stdout) as RunJson;
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/lease workflow:guarded .*was lost.*stopped before the next step/);
      expect(logOf(root)).toEqual(['one', 'long']);
      const events = json<{ events: { type: string }[] }>(await wfs(root, ['events', '--json'], { env }));
      expect(events.events.map((e) => e.type)).toContain('lock.lost');
      // Once the lease is free, the run continues after its last completed step.
      await wfs(
        root,
        ['lock', 'release', 'workflow:guarded', '--token', json<{ token: string }>(taken).token],
        { env },
      );
      const resumed = await wfs(root, ['run', 'guarded', '--resume', result.run_id!, '--json'], { env });
      expect(json<RunJson>(resumed)).toMatchObject({ status: 'completed', resumed_steps: ['one', 'long'] });
      expect(logOf(root)).toEqual(['one', 'long', 'after']);
    }, 60_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    it(`${signal} stops the running command and the run, releases the lease, and leaves it resumable`, async () => {
      const root = makeRepo();
      declare(root, {
        name: 'stoppable',
        crossSession: true,
        steps: [logStep('one'), logStep('two', 60_000), logStep('three')],
      });
      await wfs(root, ['session', 'start', '--new', 'interrupted']);
      const run = background(root, ['stoppable']);
      await until(asleep(root, 'two'), 'step two');
      process.kill(run.child.pid!, signal);
      expect(await run.exited).toBe(1);
      expect(run.output().stderr).toMatch(
        new RegExp(`ERROR: Interrupted by ${signal}: resume with wfs run stoppable --resume run-`),
      );
      // wfs context tells the next turn about it.
      const context = json<{
        active_session: {
          unfinished_runs: { workflow: string; status: string; completed_steps: string[] }[];
        };
      }>(await wfs(root, ['context', '--json']));
      expect(context.active_session.unfinished_runs).toEqual([
        expect.objectContaining({ workflow: 'stoppable', status: 'interrupted', completed_steps: ['one'] }),
      ]);
      expect((await wfs(root, ['context'])).stdout).toMatch(
        /- Unfinished workflow run: stoppable run-\S+ \(interrupted at .*; done: one\): wfs run stoppable resumes it/,
      );
      // The lease was released at once (no waiting for its TTL), and the run resumes.
      const resumed = await wfs(root, ['run', 'stoppable', '--json']);
      expect(json<RunJson>(resumed)).toMatchObject({ status: 'completed', resumed_steps: ['one'] });
    }, 60_000);

  it('a run that is running now in another process is not run a second time (exit 4), even without cross-session', async () => {
    const root = makeRepo();
    declare(root, { name: 'local-only', steps: [logStep('one'), logStep('long', 60_000), logStep('three')] });
    await wfs(root, ['session', 'start', '--new', 'twice at once']);
    const first = background(root, ['local-only']);
    await until(asleep(root, 'long'), 'the long step');
    const second = await wfs(root, ['run', 'local-only', '--json']);
    expect(second.code).toBe(4);
    expect(json<RunJson>(second)).toMatchObject({
      status: 'skipped',
      holder: { session: 'WFS-twice-at-once', pid: first.child.pid },
    });
    expect(json<RunJson>(second).reason).toMatch(/^Run run-\S+ of local-only is running now \(pid \d+ on /);
    // Killed: no longer running; the next wfs run resumes it.
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    const resumed = await wfs(root, ['run', 'local-only', '--json']);
    expect(json<RunJson>(resumed)).toMatchObject({ status: 'completed', resumed_steps: ['one'] });
    expect(logOf(root)).toEqual(['one', 'long', 'long', 'three']);
  }, 60_000);

  it('a failing step fails the run (exit 1); --resume of the failed run skips what completed; a completed run cannot be resumed', async () => {
    const root = makeRepo();
    declare(root, {
      name: 'flaky',
      steps: [logStep('one'), { name: 'check', run: 'test -f ok.txt' }, logStep('three')],
    });
    await wfs(root, ['session', 'start', '--new', 'flaky work']);
    const failed = await wfs(root, ['run', 'flaky', '--json']);
    expect(failed.code).toBe(1);
    const result = json<RunJson>(failed);
    expect(result).toMatchObject({
      status: 'failed',
      coordination: 'off',
      steps: [
        { name: 'one', status: 'completed' },
        { name: 'check', status: 'failed' },
      ],
    });
    expect(result.reason).toBe('Step check failed: test -f ok.txt exited with 1');
    fs.writeFileSync(path.join(root, 'ok.txt'), '');
    const resumed = await wfs(root, ['run', 'flaky', '--resume', result.run_id!, '--json']);
    expect(json<RunJson>(resumed)).toMatchObject({ status: 'completed', resumed_steps: ['one'] });
    expect(logOf(root)).toEqual(['one', 'three']);
    expect((await wfs(root, ['run', 'flaky', '--resume', result.run_id!])).code).toBe(1);
  }, 60_000);
});

describe('the processes of steps', () => {
  it("kill -9 of wfs run mid-step: the resume stops the step's command (grandchild included) before running the step again, and says so", async () => {
    const root = makeRepo();
    // Step two's first attempt starts a grandchild and waits for it: killed, it would go on.
    // Each attempt says whether the previous attempt's process still ran when it started.
    const two = [
      'echo "two started" >> count',
      'if [ -f two.pid ]; then s=$(cut -d" " -f3 "/proc/$(cat two.pid)/stat" 2>/dev/null); case "$s" in ""|Z) echo "earlier two gone" >> count;; *) echo "earlier two running" >> count;; esac; fi',
      'echo $$ > two.pid',
      'if [ ! -f two.grandchild ]; then sleep 600 & echo $! > two.grandchild; wait; fi',
      'echo two >> count',
    ].join('\n');
    declare(root, {
      name: 'three',
      crossSession: true,
      lockTtlMs: 1_000,
      steps: [
        { name: 'one', run: 'echo one >> count' },
        { name: 'two', run: two },
        { name: 'three', run: 'echo three >> count' },
      ],
    });
    await wfs(root, ['session', 'start', '--new', 'orphaned']);
    const first = background(root, ['three']);
    await until(() => fs.existsSync(path.join(root, 'two.grandchild')), 'step two to wait');
    const orphan = pidIn(root, 'two.pid', { leader: true });
    const grandchild = pidIn(root, 'two.grandchild');
    // Recorded before it ran: pid, its own process group, host, start time.
    const [record] = runRecords(root, 'WFS-orphaned', 'three');
    expect(record!.steps[1]!.children).toEqual([
      expect.objectContaining({ pid: orphan, pgid: orphan, start_time: expect.any(Number) }),
    ]);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    // Its group is not wfs's: the killed run's step goes on.
    expect(running(orphan)).toBe(true);
    expect(running(grandchild)).toBe(true);

    const again = await runOnceTheLeaseEnds(root, ['three']);
    expect(json<RunJson>(again)).toMatchObject({ status: 'completed', resumed_steps: ['one'] });
    expect(again.stderr).toMatch(
      new RegExp(
        `NOTE: Stopping step two's command from an earlier attempt \\(pid ${orphan}: echo "two started" >> count.*\\), running for \\d+\\.\\d s, before the step runs again`,
      ),
    );
    expect(again.stderr).toMatch(
      new RegExp(
        `WARNING: Step two's command from an earlier attempt \\(pid ${orphan}: .* was still running after .*: stopped it \\(SIGTERM\\) before running the step again`,
      ),
    );
    // Once per run of the step; the killed attempt's work was stopped before the second began.
    expect(linesOf(root, 'count')).toEqual([
      'one',
      'two started',
      'two started',
      'earlier two gone',
      'two',
      'three',
    ]);
    expect(running(orphan)).toBe(false);
    expect(running(grandchild)).toBe(false);
  }, 60_000);

  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    it(`${signal} to wfs run stops the step's whole process group, a grandchild included, before wfs exits`, async () => {
      const root = makeRepo();
      declare(root, {
        name: 'nested',
        steps: [
          {
            name: 'wait',
            run: ['sh', '-c', 'echo $$ > child.pid; sleep 30 & echo $! > grandchild.pid; wait'],
          },
        ],
      });
      await wfs(root, ['session', 'start', '--new', 'nested']);
      const run = background(root, ['nested']);
      await until(() => fs.existsSync(path.join(root, 'grandchild.pid')), 'the grandchild');
      const child = pidIn(root, 'child.pid', { leader: true });
      const grandchild = pidIn(root, 'grandchild.pid');
      // To wfs alone, as a terminal's Ctrl-C would be (the step's group is not the terminal's).
      process.kill(run.child.pid!, signal);
      expect(await run.exited).toBe(1);
      // wfs waited for the group: nothing of it runs once wfs has exited. (A background job of sh
      // ignores SIGINT: forwarded as SIGTERM, it ends all the same.)
      expect(running(child)).toBe(false);
      expect(running(grandchild)).toBe(false);
      expect(run.output().stderr).toMatch(
        new RegExp(`ERROR: Interrupted by ${signal}: resume with wfs run nested`),
      );
    }, 60_000);

  it("while a killed run's lease lasts, the skip says its holder has ended and when the lease ends; wfs doctor reports the command it left and --fix stops it", async () => {
    const root = makeRepo();
    declare(root, {
      name: 'held',
      crossSession: true,
      steps: [{ name: 'long', run: 'echo $$ > child.pid; sleep 600 & echo $! > grandchild.pid; wait' }],
    });
    await wfs(root, ['session', 'start', '--new', 'killed runner']);
    const first = background(root, ['held']);
    await until(() => fs.existsSync(path.join(root, 'grandchild.pid')), 'the step');
    const child = pidIn(root, 'child.pid', { leader: true });
    const grandchild = pidIn(root, 'grandchild.pid');
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.exited;
    const [record] = runRecords(root, 'WFS-killed-runner', 'held');

    // The lease (60 s) outlives its holder: said so, with when it ends and what to run then.
    const skipped = await wfs(root, ['run', 'held']);
    expect(skipped.code).toBe(4);
    expect(skipped.stdout).toMatch(
      new RegExp(
        `^SKIPPED: The process holding workflow:held has ended, but its lease lasts until \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(in \\d+ s\\): then wfs run held resumes run ${record!.run_id} \\(held by WFS-killed-runner, pid ${first.child.pid} on \\S+\\)$`,
        'm',
      ),
    );
    const skippedJson = json<RunJson>(await wfs(root, ['run', 'held', '--json']));
    expect(skippedJson).toMatchObject({ status: 'skipped', holder: { pid: first.child.pid } });
    expect(skippedJson.reason).toMatch(/^The process holding workflow:held has ended/);

    const doctor = await wfs(root, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      new RegExp(
        `PROBLEM \\[workflow-processes\\] WFS-killed-runner: step long of held \\(${record!.run_id}\\) left pid ${child} \\(echo \\$\\$ > child.pid; sleep 600 .*\\) running for .*, though its run's process has ended`,
      ),
    );
    expect(running(child)).toBe(true); // reported, not touched
    const fixed = await wfs(root, ['doctor', '--fix']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(
      `FIXED: stopped pid ${child} and its process group (SIGTERM); wfs run held runs the step again`,
    );
    expect(running(child)).toBe(false);
    expect(running(grandchild)).toBe(false);
    expect((await wfs(root, ['doctor'])).stdout).not.toContain('workflow-processes');
  }, 60_000);
});

describe('conflicts and declarations', () => {
  it('overlapping scopes of live sessions are reported before work starts: warn goes on, skip does not', async () => {
    const root = makeRepo();
    declare(root, {
      name: 'refactor',
      crossSession: true,
      scope: ['src/**'],
      // Holds its claim until the test says so, however slow the machine.
      steps: [
        {
          name: 'refactor',
          run: [
            'node',
            '-e',
            "const fs = require('fs'); fs.appendFileSync('log.txt', 'refactor\\n'); const t = setInterval(() => { if (fs.existsSync('done.flag')) clearInterval(t); }, 50);",
          ],
        },
      ],
    });
    declare(root, {
      name: 'login',
      crossSession: true,
      scope: ['src/login.ts'],
      onConflict: 'skip',
      steps: [logStep('login')],
    });
    declare(root, {
      name: 'docs',
      crossSession: true,
      scope: ['docs/**', 'src/login.ts'],
      steps: [logStep('docs')],
    });
    const a = sessionIdOf(await wfs(root, ['session', 'start', '--new', 'refactoring']));
    const b = sessionIdOf(await wfs(root, ['session', 'start', '--new', 'login page']));
    const first = background(root, ['refactor', '--session', a]);
    await until(() => logOf(root).includes('refactor'), 'the refactor step');
    const skipped = await wfs(root, ['run', 'login', '--session', b, '--json']);
    expect(skipped.code).toBe(4);
    expect(json<RunJson>(skipped)).toMatchObject({
      status: 'skipped',
      conflicts: [{ session: a, theirs: 'src/**', ours: 'src/login.ts' }],
    });
    const warned = await wfs(root, ['run', 'docs', '--session', b]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(
      `WARNING: Conflicting changes declared by other sessions: src/login.ts overlaps src/** (${a})`,
    );
    fs.writeFileSync(path.join(root, 'done.flag'), '');
    expect(await first.exited).toBe(0);
    const events = json<{ events: { type: string }[] }>(await wfs(root, ['events', '--json']));
    expect(events.events.filter((e) => e.type === 'conflict.detected')).toHaveLength(2);
    // The refactor ended: its claim went with it.
    expect((await wfs(root, ['run', 'login', '--session', b])).code).toBe(0);
  }, 60_000);

  it('declarations in JSON or YAML; mistakes are errors that name the file, and list shows them', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'declaring']);
    fs.mkdirSync(path.join(root, '.workflow', 'workflows'), { recursive: true });
    fs.writeFileSync(
      path.join(root, '.workflow', 'workflows', 'yamly.yaml'),
      "name: yamly\ncrossSession: true\nsteps:\n  - name: hello\n    run: [node, -e, \"require('fs').appendFileSync('log.txt', 'hello\\\\n')\"]\n    phase: IMPLEMENT\n",
    );
    declare(root, { name: 'typo', crosSession: true, steps: [logStep('x')] });
    declare(root, { name: 'other-name', steps: [logStep('x')] }, 'json');
    fs.renameSync(
      path.join(root, '.workflow', 'workflows', 'other-name.json'),
      path.join(root, '.workflow', 'workflows', 'renamed.json'),
    );
    declare(root, { name: 'twice', steps: [logStep('x'), logStep('x')] });

    const ran = await wfs(root, ['run', 'yamly']);
    expect(ran.code).toBe(0);
    expect(logOf(root)).toEqual(['hello']);
    // The step's `phase` moved the session before the step ran.
    expect(
      json<{ session: { current_phase: string } }>(await wfs(root, ['session', 'show', '--json'])).session
        .current_phase,
    ).toBe('IMPLEMENT');
    const typo = await wfs(root, ['run', 'typo']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^ERROR: typo\.json is invalid: .*crosSession/);
    expect((await wfs(root, ['run', 'renamed'])).stderr).toMatch(
      /declares "other-name": the name must be the file's \(renamed\)/,
    );
    expect((await wfs(root, ['run', 'twice'])).stderr).toMatch(/step "x" appears twice/);
    const missing = await wfs(root, ['run', 'nothing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ERROR: No workflow nothing/);
    expect((await wfs(root, ['run', '../x'])).code).toBe(2);

    const list = json<{ workflows: { name: string; problem?: string; cross_session: boolean }[] }>(
      await wfs(root, ['workflow', 'list', '--json']),
    );
    // The built-ins, and the declared ones, broken ones with their problem.
    expect(list.workflows.map((w) => [w.name, w.problem === undefined])).toEqual([
      ['docs-check', true],
      ['release-prep', true],
      ['renamed', false],
      ['test-coverage', true],
      ['twice', false],
      ['typo', false],
      ['yamly', true],
    ]);
    expect((await wfs(root, ['workflow', 'list'])).stdout).toMatch(/typo\s+BROKEN/);
  });

  it('no session: a clear error, nothing run', async () => {
    const root = makeRepo();
    declare(root, { name: 'job', steps: [logStep('x')] });
    const run = await wfs(root, ['run', 'job']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^ERROR: .*(no active session|No active session)/i);
    expect(logOf(root)).toEqual([]);
  });
});
