import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { type ClusterNode, startCluster, type TestCluster } from '../redis-cluster.js';
import { gitRepo } from './fixtures.js';
import {
  clip,
  describeOutcome,
  internalFailure,
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
 * Scenario 6, Redis Cluster (SPEC 5: "works with the URL of any node of the cluster ..., and keeps
 * working when the project's slot moves"), against a cluster of three masters the suite starts
 * itself (test/redis-cluster.ts: `cluster-enabled yes`, `redis-cli --cluster create
 * --cluster-yes`). Every process is the built CLI, and every one is given the URL of the one master
 * that never owns the project's slot, so each of its requests is redirected.
 *
 * First every coordination command once (session start and presence, claims, locks, results,
 * events, context, doctor) from two clones of one project, each answer checked against the other
 * clone's view. Then the trials: acquirers contend for one lock name (acquire with --wait, a
 * `lock list` while holding, release) and a mixed loop runs the other commands, while the project's
 * slot moves to another master and back: once with `redis-cli --cluster reshard` (the tool), once
 * with CLUSTER SETSLOT step by step and pauses between the batches of keys, and a follower (`wfs
 * events --follow`) runs throughout. The slot also holds 60,000 keys of another application, as on
 * a cluster shared with others, so both moves keep it half moved for seconds, longer than a
 * request's 2 s timeout: meanwhile no master runs a script whose keys are split between them
 * (TRYAGAIN), and requests bounce between the two (ASK, MOVED). No command may fail or warn, no two processes may hold the lease at once (each
 * winner's hold window, from the acquire's answer to the start of its release, lies inside its
 * lease's life on the server, so two windows that overlap are two holders), fences increase
 * strictly, and every acknowledged result is there afterwards, with its event, seen by the follower.
 */

const PASSWORD = 'torture-cluster-pw';
const LOCK = 'cluster-job';
/** Longer than any wait of the run for the lock: a lease that ended by itself would be a stall. */
const LEASE_TTL = '60s';
const ACQUIRE_WAIT = '60s';
/**
 * Keys of another application on the project's slot. With them, `redis-cli --cluster reshard`
 * (one key per MIGRATE) keeps the slot half moved for seconds here, as a slot of a busy cluster
 * does on a real network; wfs's own keys in the slot are a dozen.
 */
const FOREIGN_KEYS = 60_000;
/** The SETSLOT method moves the slot's keys in this many batches, with a pause after each. */
const SETSLOT_BATCHES = 4;
/** A watchdog, not a measurement: a trial that makes no progress this long is reported as stuck. */
const STUCK_MS = 90_000;

type Method = 'reshard' | 'setslot';

interface Grant {
  who: number;
  token: string;
  fence: number;
  /** performance.now() in this process: when the acquire's answer arrived. */
  ackAt: number;
  /** when its release was started */
  releaseAt: number;
}

interface Move {
  method: Method;
  from: number;
  to: number;
  startedAt: number;
  endedAt: number;
  keys: number;
  /** Lock acquires that were running at some instant of the move. */
  acquiresInFlight: number;
}

/** The URL of a node, with the password (kept out of every message: see `redacted`). */
function envFor(node: ClusterNode, projectId: string): NodeJS.ProcessEnv {
  return { WFS_REDIS_URL: node.url, WFS_PROJECT_ID: projectId, WFS_ON_UNREACHABLE: 'fail' };
}

/** Why a command that must have worked did not: an internal failure, an exit code, an ERROR or a WARNING. */
function commandProblem(what: string, o: Outcome, expectedExit = 0): string | undefined {
  const internal = internalFailure(o);
  if (internal) return `${what}: internal failure: ${internal}`;
  if (o.code !== expectedExit)
    return `${what}: exit ${o.code}, expected ${expectedExit}: ${describeOutcome(o)}`;
  if (/^(ERROR|WARNING): /m.test(o.stderr)) return `${what}: ${clip(o.stderr.trim(), 400)}`;
  if (o.stdout.includes(PASSWORD) || o.stderr.includes(PASSWORD)) return `${what}: printed the password`;
  return undefined;
}

/** `redis-cli` with the cluster's password, as a child process (the event loop keeps running). */
function redisCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('redis-cli', ['-a', PASSWORD, '--no-auth-warning', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The first `<prefix>-<n>` whose hash tag `{<prefix>-<n>}` is on `slot` (asked of the cluster). */
async function tagOnSlot(cluster: TestCluster, prefix: string, slot: number): Promise<string> {
  const admin = cluster.connect(cluster.nodes[0]!);
  try {
    for (let from = 0; from < 200_000; from += 2_000) {
      const pipeline = admin.pipeline();
      for (let n = from; n < from + 2_000; n++) pipeline.call('CLUSTER', 'KEYSLOT', `{${prefix}-${n}}`);
      const slots = (await pipeline.exec()) ?? [];
      const found = slots.findIndex(([error, s]) => error === null && Number(s) === slot);
      if (found >= 0) return `${prefix}-${from + found}`;
    }
  } finally {
    admin.disconnect();
  }
  throw new Error(`no tag ${prefix}-<n> on slot ${slot} among 200,000 candidates`);
}

/** Fills `slot` with FOREIGN_KEYS keys of another application's hash tag; returns the slot's keys. */
async function crowdSlot(
  cluster: TestCluster,
  owner: ClusterNode,
  slot: number,
  seed: number,
): Promise<number> {
  const tag = await tagOnSlot(cluster, `other-app-${seed}`, slot);
  const admin = cluster.connect(owner);
  try {
    for (let from = 0; from < FOREIGN_KEYS; from += 5_000) {
      const pipeline = admin.pipeline();
      for (let i = from; i < Math.min(from + 5_000, FOREIGN_KEYS); i++)
        pipeline.set(`{${tag}}:item:${i}`, `item ${i} of another application`);
      await pipeline.exec();
    }
    return Number(await admin.call('CLUSTER', 'COUNTKEYSINSLOT', slot));
  } finally {
    admin.disconnect();
  }
}

async function countKeys(cluster: TestCluster, node: ClusterNode, slot: number): Promise<number> {
  const admin = cluster.connect(node);
  try {
    return Number(await admin.call('CLUSTER', 'COUNTKEYSINSLOT', slot));
  } finally {
    admin.disconnect();
  }
}

export async function redisCluster(settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('redis cluster');
  const random = new Random(settings.seed + 6);
  const trials = settings.short ? 1 : Number(process.env.TORTURE_CLUSTER_TRIALS ?? 6);
  const acquirers = settings.short ? 3 : 4;
  // Grants before, between and after the two moves of a trial.
  const grantsPerStage = settings.short ? 4 : 8;
  // The pause between the SETSLOT method's batches of keys (the slot stays half moved meanwhile):
  // in the full run up to a second, so four batches keep it half moved for longer than the 2 s a
  // request may take.
  const pauseMs = () => (settings.short ? 300 : random.int(100, 1_000));
  let cluster: TestCluster;
  try {
    cluster = await startCluster({ password: PASSWORD });
  } catch (error) {
    tally.fail('start a 3-master Redis Cluster', (error as Error).message);
    return tally.result();
  }
  const one = gitRepo();
  const two = gitRepo();
  try {
    // Slot 0, the lowest of its master's: `redis-cli --cluster reshard --cluster-slots 1` moves the
    // lowest slot of the source, and slot 0 stays the lowest of whichever master holds it, so the
    // tool moves exactly the project's slot, there and back. Letters, digits and dashes: the hash
    // tag of the keys is the ID itself (keys.ts).
    const projectId = await tagOnSlot(cluster, `torture-${settings.seed}`, 0);
    const slot = await cluster.slotOf(`{${projectId}}`);
    const home = await cluster.ownerOf(slot);
    const away = cluster.nodes.find((node) => node.port !== home.port)!;
    // The third master owns other slots only, before, during and after every move.
    const via = cluster.nodes.find((node) => node.port !== home.port && node.port !== away.port)!;
    const env = envFor(via, projectId);
    const inOne = { cwd: one, env };
    const inTwo = { cwd: two, env };
    tally.set('cluster', `3 masters on ports ${cluster.nodes.map((n) => n.port).join(', ')}, password set`);
    tally.set(
      'project slot',
      `${slot} (project ${projectId}), owned by port ${home.port}, moved to ${away.port} and back; every command through port ${via.port}`,
    );
    const redacted = (text: string) => text.split(PASSWORD).join('***');

    // --------------------------------------------------- every command through a node that does not own the slot
    {
      const check = async (
        name: string,
        args: string[],
        where: { cwd: string; env: NodeJS.ProcessEnv },
        judge: (o: Outcome) => string | undefined = () => undefined,
        options: { input?: string; exit?: number } = {},
      ): Promise<Outcome> => {
        const o = await run(args, {
          ...where,
          ...(options.input !== undefined ? { input: options.input } : {}),
        });
        tally.count('commands run once each through the non-owner node');
        const problem = commandProblem(`wfs ${args.join(' ')}`, o, options.exit ?? 0) ?? judge(o);
        tally.verdict(`through a non-owner node: ${name}`, problem ? [redacted(problem)] : []);
        return o;
      };
      type Json = Record<string, unknown>;
      const json = (o: Outcome) => parseJson<Json>(o) ?? {};
      const started = await check(
        'session start --new (presence)',
        ['session', 'start', '--new', 'cluster one', '--json'],
        inOne,
        (o) => (typeof json(o).session_id === 'string' ? undefined : `no session_id: ${describeOutcome(o)}`),
      );
      const sessionOne = String(json(started).session_id);
      await check('the other clone sees its presence (context --json)', ['context', '--json'], inTwo, (o) => {
        const coordination = json(o).coordination as {
          reachable?: boolean;
          other_live_sessions?: { session: string }[];
        };
        if (coordination?.reachable !== true)
          return `not reachable: ${clip(JSON.stringify(coordination), 300)}`;
        return coordination.other_live_sessions?.some((s) => s.session === sessionOne)
          ? undefined
          : `${sessionOne} is not among the other live sessions: ${clip(JSON.stringify(coordination), 300)}`;
      });
      await check('claim', ['claim', 'src/**', '--json'], inOne, (o) =>
        json(o).claimed === true && (json(o).conflicts as unknown[])?.length === 0
          ? undefined
          : `not claimed cleanly: ${describeOutcome(o)}`,
      );
      const other = await check(
        'session start --new in the other clone',
        ['session', 'start', '--new', 'cluster two', '--json'],
        inTwo,
      );
      const sessionTwo = String(json(other).session_id);
      await check(
        'an overlapping claim from the other clone is reported',
        ['claim', 'src/db.ts', '--json'],
        inTwo,
        (o) =>
          JSON.stringify(json(o).conflicts ?? []).includes(sessionOne)
            ? undefined
            : `no conflict with ${sessionOne}: ${describeOutcome(o)}`,
      );
      await check('claim list', ['claim', 'list', '--json'], inOne, (o) => {
        const sessions = ((json(o).claims as { session: string }[]) ?? []).map((c) => c.session);
        return sessions.includes(sessionOne) && sessions.includes(sessionTwo)
          ? undefined
          : `claims of ${sessionOne} and ${sessionTwo} expected: ${describeOutcome(o)}`;
      });
      await check('claim release', ['claim', 'release', '--json'], inTwo);
      const acquired = await check('lock acquire', ['lock', 'acquire', 'probe', '--json'], inOne, (o) =>
        typeof json(o).token === 'string' && Number.isSafeInteger(json(o).fence)
          ? undefined
          : `no token and fence: ${describeOutcome(o)}`,
      );
      const lease = json(acquired) as { token?: string; fence?: number };
      await check('lock list', ['lock', 'list', '--json'], inTwo, (o) =>
        ((json(o).locks as { name: string; fence: number }[]) ?? []).some(
          (l) => l.name === 'probe' && l.fence === lease.fence,
        )
          ? undefined
          : `the lease probe (fence ${lease.fence}) is not listed: ${describeOutcome(o)}`,
      );
      await check(
        'lock acquire of a held lock: exit 4',
        ['lock', 'acquire', 'probe', '--json'],
        inTwo,
        (o) => (json(o).status === 'held' ? undefined : `not "held": ${describeOutcome(o)}`),
        { exit: 4 },
      );
      await check(
        'lock release',
        ['lock', 'release', 'probe', '--token', lease.token ?? '', '--json'],
        inOne,
        (o) => (json(o).result === 'released' ? undefined : `not released: ${describeOutcome(o)}`),
      );
      const value = `value through port ${via.port}\n`;
      await check('results put', ['results', 'put', 'probe-result', '--json'], inOne, undefined, {
        input: value,
      });
      await check('results get', ['results', 'get', 'probe-result'], inTwo, (o) =>
        o.stdout === value
          ? undefined
          : `got ${JSON.stringify(clip(o.stdout, 100))}, put ${JSON.stringify(value)}`,
      );
      await check('results list', ['results', 'list', '--json'], inTwo, (o) =>
        ((json(o).results as { key: string }[]) ?? []).some((r) => r.key === 'probe-result')
          ? undefined
          : `probe-result not listed: ${describeOutcome(o)}`,
      );
      await check('events', ['events', '--json'], inTwo, (o) => {
        const events = (json(o).events as { id: number; type: string; session: string | null }[]) ?? [];
        const problems: string[] = [];
        for (const [type, session] of [
          ['session.started', sessionOne],
          ['session.started', sessionTwo],
          ['result.shared', sessionOne],
        ] as const)
          if (!events.some((e) => e.type === type && e.session === session))
            problems.push(`no ${type} of ${session}`);
        for (let i = 1; i < events.length; i++)
          if (!(events[i]!.id > events[i - 1]!.id))
            problems.push(`event IDs not increasing: ${events[i - 1]!.id}, ${events[i]!.id}`);
        return problems.length === 0 ? undefined : `${problems.join('; ')}: ${describeOutcome(o)}`;
      });
      await check('context (Markdown)', ['context'], inOne, (o) =>
        /Unreachable/i.test(o.stdout) ? `says unreachable: ${clip(o.stdout, 300)}` : undefined,
      );
      await check('doctor', ['doctor'], inOne, (o) =>
        /RESULT: no problems/.test(o.stdout) && /backend: redis/.test(o.stdout)
          ? undefined
          : `not a clean report on redis: ${describeOutcome(o)}`,
      );
      progress('redis cluster: every command through a non-owner node done');

      // Another application's keys on the project's slot, as on a cluster shared with others: a
      // reshard moves them too, and the slot stays half moved while it does.
      const foreign = await crowdSlot(cluster, home, slot, settings.seed);
      tally.set("another application's keys on the slot", foreign);

      // --------------------------------------------------- the trials: the slot moves during lock acquires
      const grants: Grant[] = [];
      const moves: Move[] = [];
      const acknowledged = new Map<string, string>();
      const counts: Record<string, number> = {};
      const duringMove: Record<string, number> = {};
      let highestFence = 0;

      for (let trial = 0; trial < trials; trial++) {
        const problems: string[] = [];
        const trialGrants: Grant[] = [];
        const movesBefore = moves.length;
        let running = true;
        let lastProgress = performance.now();
        /** Runs one command of a loop, tallied; its problem (if any) is the trial's. */
        const command = async (
          kind: string,
          args: string[],
          where: { cwd: string; env: NodeJS.ProcessEnv },
          options: { input?: string; exit?: number } = {},
        ): Promise<Outcome | undefined> => {
          const began = performance.now();
          const o = await run(args, {
            ...where,
            timeoutMs: 120_000,
            ...(options.input !== undefined ? { input: options.input } : {}),
          });
          counts[kind] = (counts[kind] ?? 0) + 1;
          // In flight while a move ran: it met the slot half moved, or the redirections after it.
          const during = moves.filter((m) => m.startedAt < performance.now() && m.endedAt > began);
          if (during.length > 0) duringMove[kind] = (duringMove[kind] ?? 0) + 1;
          for (const m of during) if (kind === 'lock acquire') m.acquiresInFlight++;
          tally.max(`slowest ${kind} (ms)`, o.ms);
          const problem = commandProblem(`wfs ${args.join(' ')}`, o, options.exit ?? 0);
          if (problem) {
            problems.push(redacted(problem));
            return undefined;
          }
          lastProgress = performance.now();
          return o;
        };

        const acquirer = async (who: number) => {
          while (running) {
            const got = await command(
              'lock acquire',
              ['lock', 'acquire', LOCK, '--ttl', LEASE_TTL, '--wait', ACQUIRE_WAIT, '--json'],
              inOne,
            );
            const ackAt = performance.now();
            const lease = got && parseJson<{ token?: string; fence?: number }>(got);
            if (!lease?.token || !Number.isSafeInteger(lease.fence)) {
              if (got) problems.push(`acquirer ${who}: no token and fence in ${describeOutcome(got)}`);
              await sleep(100);
              continue;
            }
            // The server's view while this one holds it: the lease is this grant's.
            const listed = await command(
              'lock list',
              ['lock', 'list', '--json'],
              who % 2 === 0 ? inOne : inTwo,
            );
            const locks = listed && parseJson<{ locks: { name: string; fence: number }[] }>(listed)?.locks;
            const shown = locks?.find((l) => l.name === LOCK);
            if (listed && shown?.fence !== lease.fence)
              problems.push(
                `acquirer ${who} holds fence ${lease.fence}, but lock list shows ${shown ? `fence ${shown.fence}` : 'no lease'}`,
              );
            await sleep(random.int(0, 40));
            const releaseAt = performance.now();
            const released = await command(
              'lock release',
              ['lock', 'release', LOCK, '--token', lease.token, '--json'],
              inOne,
            );
            if (released && parseJson<{ result?: string }>(released)?.result !== 'released')
              problems.push(
                `acquirer ${who}'s release of fence ${lease.fence}: ${describeOutcome(released)}`,
              );
            trialGrants.push({ who, token: lease.token, fence: lease.fence!, ackAt, releaseAt });
          }
        };

        // The other commands, through the same node, while the slot moves.
        const mixed = async () => {
          for (let n = 0; running; n++) {
            const key = `r-${trial}-${n}`;
            const value = `result ${n} of trial ${trial}: ${random.int(0, 1e9)}\n`;
            if (await command('results put', ['results', 'put', key, '--json'], inOne, { input: value }))
              acknowledged.set(key, value);
            const known = [...acknowledged.keys()];
            const pick = known[random.int(0, known.length - 1)]!;
            const got = await command('results get', ['results', 'get', pick], inTwo);
            if (got && got.stdout !== acknowledged.get(pick))
              problems.push(
                `results get ${pick}: ${JSON.stringify(clip(got.stdout, 80))}, put ${JSON.stringify(acknowledged.get(pick))}`,
              );
            const before = new Set(acknowledged.keys());
            const list = await command('results list', ['results', 'list', '--json'], inTwo);
            const listed = new Set(
              (list && parseJson<{ results: { key: string }[] }>(list)?.results)?.map((r) => r.key),
            );
            if (list)
              for (const k of before)
                if (!listed.has(k)) problems.push(`results list lacks the acknowledged ${k}`);
            await command('claim', ['claim', `src/area-${n % 3}/**`, '--json'], inOne);
            await command('claim list', ['claim', 'list', '--json'], inTwo);
            const context = await command('context', ['context', '--json'], inTwo);
            const coordination =
              context &&
              parseJson<{
                coordination?: { reachable?: boolean; other_live_sessions?: { session: string }[] };
              }>(context)?.coordination;
            if (
              context &&
              (coordination?.reachable !== true ||
                !coordination.other_live_sessions?.some((s) => s.session === sessionOne))
            )
              problems.push(`context of the other clone: ${clip(JSON.stringify(coordination), 300)}`);
            await command('events', ['events', '--limit', '5', '--json'], inTwo);
            if (n % 4 === 3) await command('doctor', ['doctor', '--json'], inOne);
          }
        };

        // The follower: from the last event before the trial, through the moves.
        const lastEvent =
          parseJson<{ events: { id: number }[] }>(
            await run(['events', '--limit', '1', '--json'], inOne),
          )?.events.at(-1)?.id ?? 0;
        const follower: Running = start(['events', '--follow', '--since', String(lastEvent), '--json'], {
          ...inTwo,
          timeoutMs: 30 * 60_000,
        });
        let followerOutput = '';
        follower.child.stdout!.on('data', (chunk: Buffer) => {
          followerOutput += chunk.toString();
        });
        const followedIds = () =>
          followerOutput
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => {
              try {
                return JSON.parse(line) as { id: number; data?: { key?: string } };
              } catch {
                return { id: Number.NaN };
              }
            });

        const loops = [...Array.from({ length: acquirers }, (_, i) => acquirer(i)), mixed()];
        const waitForGrants = async (count: number, what: string) => {
          while (trialGrants.length < count) {
            if (performance.now() - lastProgress > STUCK_MS)
              throw new Error(`no progress for ${STUCK_MS} ms ${what} (${trialGrants.length} grants)`);
            await sleep(20);
          }
        };
        const move = async (method: Method, from: ClusterNode, to: ClusterNode) => {
          const keys = await countKeys(cluster, from, slot);
          const m: Move = {
            method,
            from: from.port,
            to: to.port,
            startedAt: performance.now(),
            endedAt: Number.POSITIVE_INFINITY,
            keys,
            acquiresInFlight: 0,
          };
          moves.push(m);
          try {
            if (method === 'reshard') {
              // The tool, as an operator runs it: one key per MIGRATE, so the slot is half moved longer.
              const reshard = await redisCli([
                '--cluster',
                'reshard',
                `127.0.0.1:${via.port}`,
                '--cluster-from',
                from.id,
                '--cluster-to',
                to.id,
                '--cluster-slots',
                '1',
                '--cluster-yes',
                '--cluster-pipeline',
                '1',
              ]);
              if (reshard.code !== 0)
                throw new Error(`redis-cli --cluster reshard failed: ${clip(reshard.output, 600)}`);
            } else {
              const pause = pauseMs();
              tally.max('longest pause between batches (setslot, ms)', pause);
              await cluster.moveSlot(slot, to, () => sleep(pause), Math.ceil(keys / SETSLOT_BATCHES));
            }
          } finally {
            m.endedAt = performance.now();
          }
          const owner = await cluster.ownerOf(slot);
          if (owner.port !== to.port)
            throw new Error(`after the ${method}, slot ${slot} is on port ${owner.port}, not ${to.port}`);
          tally.max(`longest move (${method}, ms)`, Math.round(m.endedAt - m.startedAt));
          tally.max('keys in the slot when moved', keys);
        };

        const [there, back]: [Method, Method] =
          trial % 2 === 0 ? ['reshard', 'setslot'] : ['setslot', 'reshard'];
        try {
          await waitForGrants(grantsPerStage, 'before the first move');
          await move(there, home, away);
          await waitForGrants(trialGrants.length + grantsPerStage, 'after the first move');
          await move(back, away, home);
          await waitForGrants(trialGrants.length + grantsPerStage, 'after the move back');
        } catch (error) {
          problems.push((error as Error).message);
        }
        running = false;
        await Promise.all(loops);
        // A move that no acquire ran through would prove nothing.
        for (const m of moves.slice(movesBefore))
          if (m.acquiresInFlight === 0) problems.push(`no lock acquire ran during the ${m.method} move`);

        // A last event, then the follower must have printed every event of the trial, in order.
        const marker = `marker-${trial}`;
        if (await command('results put', ['results', 'put', marker, '--json'], inOne, { input: 'end\n' }))
          acknowledged.set(marker, 'end\n');
        const markerSeen = performance.now();
        while (!followedIds().some((e) => e.data?.key === marker) && follower.child.exitCode === null) {
          if (performance.now() - markerSeen > 30_000) break;
          await sleep(20);
        }
        follower.child.kill('SIGTERM');
        const followerOutcome = await follower.done;
        const followerProblem = commandProblem('wfs events --follow', followerOutcome);
        if (followerProblem) problems.push(redacted(followerProblem));
        const all = parseJson<{ events: { id: number; type: string; data?: { key?: string } }[] }>(
          await run(['events', '--since', String(lastEvent), '--limit', '100000', '--json'], inOne),
        )?.events;
        if (all === undefined) problems.push('wfs events --since failed after the trial');
        else {
          const seen = followedIds();
          const missing = all.filter((e) => !seen.some((s) => s.id === e.id));
          if (missing.length > 0)
            problems.push(
              `the follower missed ${missing.length} of ${all.length} events, first ${missing[0]!.id} (${missing[0]!.type})`,
            );
          for (let i = 1; i < seen.length; i++)
            if (!(seen[i]!.id > seen[i - 1]!.id))
              problems.push(`the follower printed event ${seen[i]!.id} after ${seen[i - 1]!.id}`);
          const shared = new Set(all.filter((e) => e.type === 'result.shared').map((e) => e.data?.key));
          for (const key of acknowledged.keys())
            if (key.startsWith(`r-${trial}-`) && !shared.has(key))
              problems.push(`no result.shared event for the acknowledged ${key}`);
          tally.count('events followed', seen.length);
        }

        // No two holders at once, fences strictly increasing in the order of the grants.
        const ordered = [...trialGrants].sort((a, b) => a.ackAt - b.ackAt);
        for (let i = 0; i < ordered.length; i++) {
          const g = ordered[i]!;
          if (g.fence <= highestFence)
            problems.push(
              `fence ${g.fence} (acquirer ${g.who}) not above the fence granted before it (${highestFence})`,
            );
          highestFence = Math.max(highestFence, g.fence);
          const next = ordered[i + 1];
          if (next && next.ackAt < g.releaseAt)
            problems.push(
              `two holders at once: acquirer ${next.who} (fence ${next.fence}) was granted ${Math.round(g.releaseAt - next.ackAt)} ms before acquirer ${g.who} (fence ${g.fence}) released`,
            );
        }
        grants.push(...trialGrants);
        const moved = moves.slice(movesBefore);
        const grantedDuring = trialGrants.filter((g) =>
          moved.some((m) => g.ackAt > m.startedAt && g.ackAt < m.endedAt + 1_000),
        ).length;
        tally.count('grants', trialGrants.length);
        tally.count('grants during a move or within 1 s after it', grantedDuring);
        tally.verdict(`trial ${trial + 1}: ${there} there, ${back} back, ${acquirers} acquirers`, problems);
        progress(
          `redis cluster: trial ${trial + 1} of ${trials}: ${trialGrants.length} grants, ${problems.length} problems`,
        );
      }

      // --------------------------------------------------- nothing acknowledged is lost
      {
        const problems: string[] = [];
        const list = await run(['results', 'list', '--json'], inTwo);
        const listed = new Set(parseJson<{ results: { key: string }[] }>(list)?.results.map((r) => r.key));
        for (const [key, value] of acknowledged) {
          if (!listed.has(key)) problems.push(`results list lacks the acknowledged ${key}`);
          const got = await run(['results', 'get', key], inOne);
          if (got.code !== 0 || got.stdout !== value)
            problems.push(
              `results get ${key}: ${redacted(describeOutcome(got))}, put ${JSON.stringify(value)}`,
            );
        }
        tally.set('acknowledged results, all read back', acknowledged.size);
        tally.verdict('every acknowledged result is there after the moves', problems);
      }
      for (const [kind, n] of Object.entries(counts))
        tally.set(`${kind}: commands`, `${n} (${duringMove[kind] ?? 0} while the slot moved)`);
      tally.set(
        'moves',
        moves
          .map((m) => `${m.method} ${m.from}->${m.to} ${Math.round(m.endedAt - m.startedAt)} ms`)
          .join(', '),
      );
      tally.set('grants of the lock, all trials', grants.length);
    }
  } catch (error) {
    tally.fail('redis cluster', (error as Error).stack ?? String(error));
  } finally {
    removeDir(one);
    removeDir(two);
    await cluster.stop();
  }
  return tally.result();
}
