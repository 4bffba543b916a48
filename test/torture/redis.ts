import { spawnSync } from 'node:child_process';
import { startRedis, type TestRedis } from '../redis-server.js';
import { gitRepo } from './fixtures.js';
import {
  clip,
  describeOutcome,
  errorLine,
  internalFailure,
  jsonErrorCode,
  parseJson,
  progress,
  removeDir,
  run,
  type ScenarioResult,
  sleep,
  Tally,
  type TortureSettings,
} from './harness.js';

/**
 * Scenario 5, Redis faults (SPEC 5), against a redis-server the suite starts on a free loopback
 * port: a server that stops answering writes during `lock acquire` (CLIENT PAUSE) leaves no phantom
 * lease and the error says the lease may have been granted; an evicting `maxmemory-policy` is a
 * problem `wfs doctor` (and `wfs context`) report; a refused password is E_AUTH (exit 2) whatever
 * WFS_ON_UNREACHABLE says, and the password is never printed.
 */

const POLICIES = ['fail', 'skip', 'run-unlocked'] as const;
const PAUSE_MS = 3_000;
const MAY_HAVE =
  /may (still )?(have been|be) (granted|acquired|held|stored)|may have (granted|acquired|taken)/i;

function redisCli(redis: TestRedis, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
}

export async function redisFaults(settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('redis faults');
  let redis: TestRedis;
  let locked: TestRedis;
  try {
    redis = await startRedis();
    locked = await startRedis({ password: 'the-right-password' });
  } catch (error) {
    tally.fail('redis-server', (error as Error).message);
    return tally.result();
  }
  const root = gitRepo();
  try {
    const env = { WFS_REDIS_URL: redis.url };
    // --------------------------------------------------- CLIENT PAUSE during lock acquire
    for (const policy of settings.short ? (['fail'] as const) : POLICIES) {
      const name = `paused-${policy}`;
      const paused = redisCli(redis, 'CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
      const pausedAt = Date.now();
      const problems: string[] = [];
      if (paused !== 'OK') problems.push(`CLIENT PAUSE answered ${paused}`);
      const o = await run(['lock', 'acquire', name, '--ttl', '60000', '--json'], {
        cwd: root,
        env: { ...env, WFS_ON_UNREACHABLE: policy },
      });
      const internal = internalFailure(o);
      if (internal) problems.push(`internal failure: ${internal}`);
      const lease = parseJson<{ token?: string; status?: string }>(o);
      if (o.code === 0 && lease?.token) problems.push('granted while the server took no writes');
      if (!MAY_HAVE.test(o.stdout + o.stderr))
        problems.push(`the answer does not say the lease may have been granted: ${describeOutcome(o)}`);
      const expected = { fail: 1, skip: 4, 'run-unlocked': 0 }[policy];
      if (o.code !== expected) problems.push(`exit ${o.code}, expected ${expected} for policy ${policy}`);
      // Once the pause is over the server runs what was queued: what the timed-out acquire may
      // have been granted must be gone again (its release was made with the token it sent).
      await sleep(Math.max(0, pausedAt + PAUSE_MS + 1_500 - Date.now()));
      let phantom: string | undefined;
      for (let check = 0; check < 2; check++) {
        const listed = await run(['lock', 'list', '--json'], { cwd: root, env });
        const locks = parseJson<{ locks: { name: string; holder: unknown }[] }>(listed)?.locks;
        if (locks === undefined) problems.push(`wfs lock list failed: ${describeOutcome(listed)}`);
        phantom = locks?.find((l) => l.name === name)
          ? JSON.stringify(locks.find((l) => l.name === name))
          : undefined;
        if (check === 0) await sleep(2_000);
      }
      if (phantom) problems.push(`phantom lease after the pause: ${phantom}`);
      tally.set(
        `CLIENT PAUSE, policy ${policy}`,
        `${describeOutcome(o)}${phantom ? '; PHANTOM lease left' : ''}`,
      );
      tally.verdict(`CLIENT PAUSE ${PAUSE_MS} WRITE during lock acquire (${policy})`, problems);
    }
    progress('redis faults: CLIENT PAUSE done');

    // --------------------------------------------------- an evicting maxmemory-policy
    {
      const set = redisCli(redis, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      const doctor = await run(['doctor'], { cwd: root, env });
      const context = await run(['context'], { cwd: root, env });
      redisCli(redis, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      const doctorProblems: string[] = [];
      if (set !== 'OK') doctorProblems.push(`CONFIG SET answered ${set}`);
      const internal = internalFailure(doctor);
      if (internal) doctorProblems.push(`internal failure: ${internal}`);
      if (doctor.code !== 1 || !/maxmemory|evict/i.test(doctor.stdout + doctor.stderr))
        doctorProblems.push(`wfs doctor does not report the evicting policy: ${describeOutcome(doctor)}`);
      tally.verdict('maxmemory-policy allkeys-lru: wfs doctor reports it', doctorProblems);
      const contextProblems: string[] = [];
      const contextInternal = internalFailure(context);
      if (contextInternal) contextProblems.push(`internal failure: ${contextInternal}`);
      if (!/maxmemory|evict/i.test(context.stdout + context.stderr))
        contextProblems.push(`wfs context does not say so: ${clip(describeOutcome(context), 300)}`);
      tally.verdict('maxmemory-policy allkeys-lru: wfs context says so', contextProblems);
      tally.set('maxmemory-policy allkeys-lru, wfs doctor', `exit ${doctor.code}`);
    }
    progress('redis faults: maxmemory-policy done');

    // --------------------------------------------------- a refused password
    const wrong = `redis://:not-the-password@127.0.0.1:${locked.port}`;
    const none = `redis://127.0.0.1:${locked.port}`;
    const cases: { name: string; url: string; policy: string; args: string[]; input?: string }[] = [
      ...POLICIES.map((policy) => ({
        name: `lock acquire, ${policy}`,
        url: wrong,
        policy,
        args: ['lock', 'acquire', 'auth'],
      })),
      {
        name: 'lock acquire without a password, fail',
        url: none,
        policy: 'fail',
        args: ['lock', 'acquire', 'auth'],
      },
      { name: 'lock list', url: wrong, policy: 'run-unlocked', args: ['lock', 'list'] },
      { name: 'results put', url: wrong, policy: 'skip', args: ['results', 'put', 'k'], input: 'v' },
      { name: 'events', url: wrong, policy: 'fail', args: ['events'] },
    ];
    for (const c of cases) {
      const problems: string[] = [];
      const o = await run([...c.args, '--json'], {
        cwd: root,
        env: { WFS_REDIS_URL: c.url, WFS_ON_UNREACHABLE: c.policy },
        ...(c.input !== undefined ? { input: c.input } : {}),
      });
      const internal = internalFailure(o);
      if (internal) problems.push(`internal failure: ${internal}`);
      const code = jsonErrorCode(o);
      if (o.code !== 2 || code !== 'E_AUTH')
        problems.push(
          `exit ${o.code} with ${code ?? 'no error code'}, expected 2 and E_AUTH: ${describeOutcome(o)}`,
        );
      if (errorLine(o) === undefined) problems.push('no ERROR: line');
      if (/not-the-password/.test(o.stdout + o.stderr)) problems.push('the password was printed');
      tally.set(`wrong password: ${c.name}`, `exit ${o.code}, ${code ?? '-'}`);
      tally.verdict(`refused password: ${c.name}`, problems);
    }
    progress('redis faults: refused password done');
  } finally {
    removeDir(root);
    await redis.stop();
    await locked.stop();
  }
  return tally.result();
}
