import fs from 'node:fs';
import path from 'node:path';
import {
  type Allowances,
  cloneLedger,
  LEGACY,
  type Ledger,
  ledgerProblems,
  lockDirsOf,
  type Prepared,
  prepareLegacy,
  prepareProject,
  SESSIONS,
  structureProblems,
} from './fixtures.js';
import {
  clip,
  copyOf,
  describeOutcome,
  internalFailure,
  type Outcome,
  parseJson,
  progress,
  Random,
  removeDir,
  run,
  type ScenarioResult,
  start,
  Tally,
  type TortureSettings,
  unparsableFiles,
  watchForLock,
} from './harness.js';

/**
 * Scenario 1, aimed kills (SPEC 4: "Nothing is lost when a process is killed at any instant").
 * A watcher sees the command take its first lock (the project lock or the coordination lock
 * appearing, by inotify) and sends SIGKILL, SIGTERM or SIGINT 0-20 ms later. Then: every JSON
 * file and every JSONL line parses, every write acknowledged before is there, the next commands
 * work, and `wfs doctor --fix` then `wfs doctor` reports no problems.
 */

const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGINT'] as const;
const { alpha, beta, delta } = SESSIONS;
const LEASE_TTL = String(4 * 60 * 60 * 1000);

interface KillPath {
  name: string;
  template: 'project' | 'legacy';
  args: string[];
  input?: string;
  /** What the interrupted command may legitimately have changed (it was asked to). */
  allow: Allowances;
  /** The command exited 0 before the signal landed: what it acknowledged. */
  acknowledge?: (o: Outcome, ledger: Ledger) => void;
  /** What a user runs after the interruption before anything else (e.g. `wfs migrate` again). */
  recover?: string[][];
  /** The session `wfs todo add --session` writes to afterwards (open whatever the command did). */
  nextSession: string;
}

function checkpointsOf(o: Outcome): string[] {
  return [...o.stdout.matchAll(/^CHECKPOINT: (CP-[A-Za-z0-9-]+)/gm)].map((m) => m[1]!);
}

function activate(ledger: Ledger, id: string, phase = 'PLAN'): void {
  for (const [other, s] of Object.entries(ledger.sessions))
    if (s.status === 'active' && other !== id) s.status = 'paused';
  ledger.sessions[id] = { status: 'active', phase: ledger.sessions[id]?.phase ?? phase };
}

function newSession(o: Outcome, ledger: Ledger): void {
  const id = /^SESSION_ID: (\S+)$/m.exec(o.stdout)?.[1];
  if (id) activate(ledger, id);
}

export const SYNC_INPUT = JSON.stringify([
  { content: 'a one', status: 'completed', activeForm: 'doing a one' },
  { content: 'a two', status: 'pending', activeForm: 'doing a two' },
  { content: 'a three', status: 'pending', activeForm: 'doing a three' },
  { content: 'a five', status: 'pending', activeForm: 'doing a five' },
  { content: 'a six', status: 'in_progress', activeForm: 'doing a six' },
]);

export const KILL_PATHS: readonly KillPath[] = [
  {
    name: 'session start --new',
    template: 'project',
    args: ['session', 'start', '--new', 'epsilon task'],
    allow: { status: [alpha] },
    acknowledge: newSession,
    nextSession: beta,
  },
  {
    name: 'session start --auto (creates)',
    template: 'project',
    args: ['session', 'start', '--auto', 'zeta unrelated cleanup of the build'],
    allow: { status: [alpha] },
    acknowledge: newSession,
    nextSession: beta,
  },
  {
    // Reuses the active session: the write is the announcement (session.resumed) and the heartbeat.
    name: 'session start --auto (reuses; event append)',
    template: 'project',
    args: ['session', 'start', '--auto', 'alpha feature follow up'],
    allow: { status: [alpha] },
    acknowledge: newSession,
    nextSession: beta,
  },
  {
    name: 'session switch',
    template: 'project',
    args: ['session', 'switch', beta],
    allow: { status: [alpha, beta] },
    acknowledge: (_o, l) => activate(l, beta),
    nextSession: beta,
  },
  {
    name: 'session pause',
    template: 'project',
    args: ['session', 'pause'],
    allow: { status: [alpha] },
    acknowledge: (_o, l) => {
      l.sessions[alpha]!.status = 'paused';
    },
    nextSession: beta,
  },
  {
    name: 'session resume',
    template: 'project',
    args: ['session', 'resume', beta],
    allow: { status: [alpha, beta] },
    acknowledge: (_o, l) => activate(l, beta),
    nextSession: beta,
  },
  {
    name: 'session complete (archives)',
    template: 'project',
    args: ['session', 'complete', alpha],
    allow: { status: [alpha] },
    acknowledge: (_o, l) => {
      l.sessions[alpha]!.status = 'archived';
      l.manifest.push(alpha);
    },
    nextSession: beta,
  },
  {
    name: 'session archive',
    template: 'project',
    args: ['session', 'archive', delta],
    allow: { status: [delta] },
    acknowledge: (_o, l) => {
      l.sessions[delta]!.status = 'archived';
      l.manifest.push(delta);
    },
    nextSession: beta,
  },
  {
    name: 'phase',
    template: 'project',
    args: ['phase', 'REVIEW', '--handoff', '{"summary":"ready"}'],
    allow: { phase: [alpha] },
    acknowledge: (o, l) => {
      l.sessions[alpha]!.phase = 'REVIEW';
      l.checkpoints[alpha]!.push(...checkpointsOf(o));
    },
    nextSession: beta,
  },
  {
    name: 'checkpoint',
    template: 'project',
    args: ['checkpoint', '--trigger', 'agent_complete', '--data', '{"agent":"torture"}'],
    allow: {},
    acknowledge: (o, l) => {
      l.checkpoints[alpha]!.push(...checkpointsOf(o));
    },
    nextSession: beta,
  },
  {
    name: 'todo add',
    template: 'project',
    args: ['todo', 'add', 'a four'],
    allow: {},
    acknowledge: (o, l) => {
      const id = Number(/^TODO: (\d+) /m.exec(o.stdout)?.[1]);
      if (id) l.todos[alpha]!.push({ id, content: 'a four', status: 'pending' });
    },
    nextSession: beta,
  },
  {
    name: 'todo done',
    template: 'project',
    args: ['todo', 'done', '2'],
    allow: { todoStatus: [`${alpha}:2`] },
    acknowledge: (o, l) => {
      l.todos[alpha]!.find((t) => t.id === 2)!.status = 'completed';
      l.checkpoints[alpha]!.push(...checkpointsOf(o));
    },
    nextSession: beta,
  },
  {
    name: 'todo sync',
    template: 'project',
    args: ['todo', 'sync'],
    input: SYNC_INPUT,
    allow: {},
    acknowledge: (o, l) => {
      l.todos[alpha]!.push(
        { id: 0, content: 'a five', status: 'pending' },
        { id: 0, content: 'a six', status: 'in_progress' },
      );
      l.checkpoints[alpha]!.push(...checkpointsOf(o));
    },
    nextSession: beta,
  },
  {
    name: 'lock acquire',
    template: 'project',
    args: ['lock', 'acquire', 'L3', '--ttl', LEASE_TTL, '--json'],
    allow: {},
    acknowledge: (o, l) => {
      const lease = JSON.parse(o.stdout) as { fence: number; token: string };
      l.leases.L3 = { fence: lease.fence, token: lease.token };
    },
    nextSession: beta,
  },
  {
    name: 'lock release',
    template: 'project',
    args: ['lock', 'release', 'L2', '--token', '<L2>'],
    allow: { released: ['L2'] },
    acknowledge: (_o, l) => {
      delete l.leases.L2;
    },
    nextSession: beta,
  },
  {
    name: 'results put (event append)',
    template: 'project',
    args: ['results', 'put', 'r2'],
    input: 'value two\n',
    allow: {},
    acknowledge: (_o, l) => {
      l.results.r2 = 'value two\n';
    },
    nextSession: beta,
  },
  {
    name: 'exec (audit append)',
    template: 'project',
    args: ['exec', '--', 'true'],
    allow: {},
    acknowledge: (_o, l) => {
      l.audit[alpha] = (l.audit[alpha] ?? 0) + 1;
    },
    nextSession: beta,
  },
  {
    name: 'migrate (older layout)',
    template: 'legacy',
    args: ['migrate'],
    allow: {},
    recover: [['migrate']],
    nextSession: 'WFS-docs-pass',
  },
  {
    name: 'init --force',
    template: 'project',
    args: ['init', '--force'],
    allow: {},
    nextSession: beta,
  },
];

interface Trial {
  outcome: Outcome;
  lockSeen: string | undefined;
  /** The signal was sent while the process was still running. */
  sent: boolean;
}

/** Runs one command and kills it `delayMs` after its first lock appears. */
async function aimedKill(
  root: string,
  args: string[],
  input: string | undefined,
  signal: NodeJS.Signals,
  delayMs: number,
): Promise<Trial> {
  let lockSeen: string | undefined;
  let sent = false;
  let running: ReturnType<typeof start> | undefined;
  const kill = () => {
    sent =
      running!.child.exitCode === null && running!.child.signalCode === null && running!.child.kill(signal);
  };
  const stop = watchForLock(lockDirsOf(root), (dir, name) => {
    lockSeen = path.join(path.basename(path.dirname(dir)), name);
    // 0 ms: from inside the inotify callback itself, the earliest this process can act.
    if (delayMs === 0) kill();
    else setTimeout(kill, delayMs);
  });
  running = start(args, { cwd: root, ...(input !== undefined ? { input } : {}) });
  const outcome = await running.done;
  stop();
  return { outcome, lockSeen, sent };
}

function legacyProblems(root: string): string[] {
  const problems: string[] = [];
  for (const id of LEGACY.sessions) {
    const file = path.join(root, '.workflow', 'active', id, 'workflow-session.json');
    try {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        description?: string;
        session_version?: string;
      };
      const description = (LEGACY.descriptions as Record<string, string>)[id];
      if (description !== undefined && state.description !== description)
        problems.push(`migrated ${id} lost its description (${JSON.stringify(state.description)})`);
      if (state.session_version !== '2.0')
        problems.push(`migrated ${id} is version ${state.session_version}`);
    } catch (error) {
      problems.push(`after wfs migrate again, ${id} is not in active/: ${(error as Error).message}`);
    }
  }
  const plan = path.join(root, '.workflow', 'active', LEGACY.active, 'IMPL_PLAN.md');
  if (!fs.existsSync(plan) || fs.readFileSync(plan, 'utf8') !== '# plan')
    problems.push(`${LEGACY.active}/IMPL_PLAN.md lost in the migration`);
  if (!fs.existsSync(path.join(root, '.workflow', 'active', LEGACY.active, '.task', 'IMPL-1.json')))
    problems.push(`${LEGACY.active}/.task/IMPL-1.json lost in the migration`);
  for (const leftover of ['WFS-auth-flow', 'WFS-docs-pass', 'sessions'])
    if (fs.existsSync(path.join(root, '.workflow', leftover)))
      problems.push(`.workflow/${leftover} still there after wfs migrate again`);
  return problems;
}

/** A step the user takes after the interruption; it must succeed (doctor: see below). */
async function step(root: string, args: string[], problems: string[], waits: number[]): Promise<Outcome> {
  const outcome = await run(args, { cwd: root });
  waits.push(outcome.ms);
  const internal = internalFailure(outcome);
  if (internal) problems.push(`next command wfs ${args.join(' ')}: ${internal}`);
  else if (outcome.code !== 0)
    problems.push(`next command wfs ${args.join(' ')} failed: ${describeOutcome(outcome)}`);
  return outcome;
}

/** A problem without its particulars (IDs, numbers, quoted text), to count problems of a kind. */
export function kindOf(problem: string): string {
  return problem
    .split(/: /)[0]!
    .replace(/WFS-[\w-]+|#\d+|"[^"]*"|\b\d+\b|\([^)]*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export async function aimedKills(settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('aimed kills');
  const random = new Random(settings.seed);
  const perPath = settings.short ? 1 : Number(process.env.TORTURE_KILL_TRIALS ?? 21);
  const templates: Partial<Record<KillPath['template'], Prepared>> = {};
  try {
    templates.project = await prepareProject();
    templates.legacy = prepareLegacy();
  } catch (error) {
    tally.fail('prepare', (error as Error).message);
    return tally.result();
  }
  // The figures in the order the report prints them.
  for (const figure of [
    'trials',
    'survived',
    ...SIGNALS.map((s) => `signal ${s}`),
    ...SIGNALS.map((s) => `killed mid-command (${s})`),
    'finished before the signal',
    'no lock seen (ran to the end)',
  ])
    tally.set(figure, 0);
  const failuresByKind: Record<string, number> = {};
  const waits: number[] = [];
  let trialNumber = 0;
  for (const [pathIndex, killPath] of KILL_PATHS.entries()) {
    const template = templates[killPath.template]!;
    let pathFailed = 0;
    for (let i = 0; i < perPath; i++) {
      const signal = SIGNALS[(i + (settings.short ? settings.seed + pathIndex : 0)) % SIGNALS.length]!;
      const delayMs = random.int(0, 20);
      const root = copyOf(template.root);
      const ledger = cloneLedger(template.ledger);
      const args = killPath.args.map((a) => (a === '<L2>' ? ledger.leases.L2!.token : a));
      try {
        const trial = await aimedKill(root, args, killPath.input, signal, delayMs);
        trialNumber++;
        tally.count('trials');
        tally.count(`signal ${signal}`);
        const { outcome } = trial;
        const problems: string[] = [];
        if (trial.lockSeen === undefined) tally.count('no lock seen (ran to the end)');
        if (outcome.code === 0) {
          tally.count('finished before the signal');
          try {
            killPath.acknowledge?.(outcome, ledger);
          } catch (error) {
            problems.push(
              `acknowledged output unreadable: ${(error as Error).message}: ${clip(outcome.stdout, 200)}`,
            );
          }
        } else if (trial.sent) tally.count(`killed mid-command (${signal})`);
        else {
          const internal = internalFailure(outcome);
          if (internal) problems.push(`the command itself: ${internal}`);
        }
        // Right after the interruption, before anything repairs it: every file old or new.
        for (const bad of [
          ...unparsableFiles(path.join(root, '.workflow')),
          ...unparsableFiles(path.join(root, '.git', 'wfs')),
        ])
          problems.push(`torn file: ${bad}`);
        // SPEC 4: a session whose creation never finished is no session: not listed, not active.
        if (killPath.template === 'project') {
          const listed = await step(root, ['session', 'list', '--all', '--json'], problems, waits);
          const sessions =
            parseJson<{ sessions: { id: string; corrupt?: boolean; reason?: string }[] }>(listed)?.sessions ??
            [];
          for (const s of sessions.filter((s) => s.corrupt))
            problems.push(`listed as a damaged session right after the kill: ${s.id} (${s.reason ?? ''})`);
        }
        for (const recover of killPath.recover ?? []) await step(root, recover, problems, waits);
        await step(root, ['context'], problems, waits);
        const added = await step(
          root,
          ['todo', 'add', '--session', killPath.nextSession, 'after the kill'],
          problems,
          waits,
        );
        const addedId = Number(/^TODO: (\d+) /m.exec(added.stdout)?.[1]);
        if (added.code === 0 && addedId) {
          ledger.todos[killPath.nextSession] ??= [];
          ledger.todos[killPath.nextSession]!.push({
            id: addedId,
            content: 'after the kill',
            status: 'pending',
          });
        }
        const fix = await run(['doctor', '--fix'], { cwd: root });
        waits.push(fix.ms);
        const fixInternal = internalFailure(fix);
        if (fixInternal) problems.push(`wfs doctor --fix: ${fixInternal}`);
        const doctor = await run(['doctor'], { cwd: root });
        if (doctor.code !== 0)
          problems.push(
            `wfs doctor after --fix: ${internalFailure(doctor) ?? `exit ${doctor.code}`}: ${clip(
              (doctor.stdout + doctor.stderr)
                .split('\n')
                .filter((l) => /^(ERROR|WARNING|PROBLEM|FIXED)|\[/.test(l) && !/^INFO/.test(l))
                .join(' | '),
              500,
            )}`,
          );
        for (const bad of [
          ...unparsableFiles(path.join(root, '.workflow')),
          ...unparsableFiles(path.join(root, '.git', 'wfs')),
        ])
          problems.push(`unreadable after recovery: ${bad}`);
        problems.push(...structureProblems(root));
        problems.push(...(await ledgerProblems(root, ledger, killPath.allow)));
        if (killPath.template === 'legacy') problems.push(...legacyProblems(root));
        for (const p of problems) failuresByKind[kindOf(p)] = (failuresByKind[kindOf(p)] ?? 0) + 1;
        const heading = `${killPath.name}: ${signal} ${delayMs} ms after ${trial.lockSeen ?? 'no lock'}; the command: ${describeOutcome(outcome)}`;
        if (
          !tally.verdict(killPath.name, problems.length ? [heading, ...problems.map((p) => `  - ${p}`)] : [])
        )
          pathFailed++;
        else tally.count('survived');
      } finally {
        removeDir(root);
      }
    }
    tally.set(`path ${killPath.name}`, `${perPath - pathFailed}/${perPath} survived`);
    progress(
      `aimed kills: ${killPath.name}: ${perPath - pathFailed}/${perPath} survived (${trialNumber} trials so far)`,
    );
  }
  for (const [kind, n] of Object.entries(failuresByKind).sort((a, b) => b[1] - a[1]))
    tally.set(`problem: ${kind}`, n);
  tally.set('slowest recovery command (ms)', Math.max(0, ...waits));
  tally.set('recovery commands that waited > 5 s', waits.filter((w) => w > 5_000).length);
  for (const t of Object.values(templates)) if (t) removeDir(t.root);
  return tally.result();
}
