import fs from 'node:fs';
import path from 'node:path';
import {
  copyOf,
  describeOutcome,
  type Outcome,
  parseJson,
  type RunOptions,
  run,
  spawnSyncQuiet,
  tempDir,
} from './harness.js';

/**
 * The prepared repositories the scenarios copy for each trial, built with the real CLI, and the
 * ledger of every write the CLI acknowledged (exit 0) while building them: after a kill, a stall or
 * a fault, every entry of the ledger must still be on disk.
 */

export const SESSIONS = {
  /** active, IMPLEMENT, three todos (the first done), three checkpoints, a workflow run, an exec */
  alpha: 'WFS-alpha-feature',
  /** paused, one todo */
  beta: 'WFS-beta-docs',
  /** archived (manifest entry) */
  gamma: 'WFS-gamma-cleanup',
  /** completed, not archived */
  delta: 'WFS-delta-review',
} as const;

/** A lease in the prepared repository lasts 4 h: longer than any full run. */
export const LEASE_TTL_MS = 4 * 60 * 60 * 1000;

export interface TodoEntry {
  id: number;
  content: string;
  status: string;
}

export interface Ledger {
  sessions: Record<string, { status: string; phase: string }>;
  todos: Record<string, TodoEntry[]>;
  checkpoints: Record<string, string[]>;
  results: Record<string, string>;
  leases: Record<string, { fence: number; token: string }>;
  events: { id: number; type: string }[];
  audit: Record<string, number>;
  runs: Record<string, string[]>;
  manifest: string[];
}

export interface Prepared {
  root: string;
  ledger: Ledger;
  /** `<git-common-dir>/wfs`, the embedded coordination backend's folder. */
  coordDir: string;
}

export function coordDirOf(root: string): string {
  return path.join(root, '.git', 'wfs');
}

/** The folders where the project lock and the coordination lock appear. */
export function lockDirsOf(root: string): string[] {
  return [path.join(root, '.workflow', '.locks'), path.join(coordDirOf(root), '.locks')];
}

export function cloneLedger(ledger: Ledger): Ledger {
  return structuredClone(ledger);
}

export class SetupError extends Error {}

async function must(args: string[], options: RunOptions): Promise<Outcome> {
  const outcome = await run(args, options);
  if (outcome.code !== 0)
    throw new SetupError(`setup: wfs ${args.join(' ')} failed: ${describeOutcome(outcome)}`);
  return outcome;
}

function checkpointIds(o: Outcome): string[] {
  return [...o.stdout.matchAll(/^CHECKPOINT: (CP-[A-Za-z0-9-]+)/gm)].map((m) => m[1]!);
}

function todoOf(o: Outcome): number {
  const match = /^TODO: (\d+) /m.exec(o.stdout);
  if (!match) throw new SetupError(`setup: no TODO line in ${describeOutcome(o)}`);
  return Number(match[1]);
}

export function gitRepo(): string {
  const root = tempDir();
  const git = (...args: string[]) =>
    spawnSyncQuiet(
      'git',
      ['-c', 'user.name=torture', '-c', 'user.email=torture@example.invalid', ...args],
      root,
    );
  git('init', '-q');
  fs.writeFileSync(path.join(root, 'README.md'), '# torture\n');
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"torture","scripts":{"test":"true"}}\n');
  git('add', '.');
  git('commit', '-q', '-m', 'root');
  return root;
}

/**
 * The project every kill trial and every matrix cell starts from: four sessions in every state,
 * todos, checkpoints, backups, an archive with its manifest, a shared result, two leases, events,
 * presence, an audit line, a workflow run record, a project analysis with its backup, config.json
 * and the cached root commit.
 */
export async function prepareProject(): Promise<Prepared> {
  const root = gitRepo();
  const options = { cwd: root };
  const ledger: Ledger = {
    sessions: {},
    todos: {},
    checkpoints: {},
    results: {},
    leases: {},
    events: [],
    audit: {},
    runs: {},
    manifest: [],
  };
  const { alpha, beta, gamma, delta } = SESSIONS;
  fs.mkdirSync(path.join(root, '.workflow', 'workflows'), { recursive: true });
  fs.writeFileSync(
    path.join(root, '.workflow', 'config.json'),
    `${JSON.stringify({ coordination: { backend: 'local' } })}\n`,
  );
  fs.writeFileSync(
    path.join(root, '.workflow', 'workflows', 'w.json'),
    `${JSON.stringify({ name: 'w', steps: [{ name: 's', run: ['true'] }] })}\n`,
  );

  await must(['session', 'start', '--new', 'alpha feature'], options);
  ledger.todos[alpha] = [];
  ledger.checkpoints[alpha] = [];
  for (const text of ['a one', 'a two', 'a three']) {
    const added = await must(['todo', 'add', text], options);
    ledger.todos[alpha].push({ id: todoOf(added), content: text, status: 'pending' });
  }
  const done = await must(['todo', 'done', '1'], options);
  ledger.todos[alpha][0]!.status = 'completed';
  ledger.checkpoints[alpha].push(...checkpointIds(done));
  ledger.checkpoints[alpha].push(...checkpointIds(await must(['phase', 'IMPLEMENT'], options)));
  ledger.checkpoints[alpha].push(
    ...checkpointIds(await must(['checkpoint', '--data', '{"note":"prepared"}'], options)),
  );

  await must(['session', 'start', '--new', 'beta docs'], options);
  const b1 = await must(['todo', 'add', 'b one'], options);
  ledger.todos[beta] = [{ id: todoOf(b1), content: 'b one', status: 'pending' }];

  await must(['session', 'start', '--new', 'gamma cleanup'], options);
  await must(['session', 'complete', gamma], options);
  ledger.manifest.push(gamma);

  await must(['session', 'start', '--new', 'delta review'], options);
  await must(['session', 'complete', delta, '--no-archive'], options);

  await must(['session', 'switch', alpha], options);
  ledger.sessions = {
    [alpha]: { status: 'active', phase: 'IMPLEMENT' },
    [beta]: { status: 'paused', phase: 'PLAN' },
    [gamma]: { status: 'archived', phase: 'PLAN' },
    [delta]: { status: 'completed', phase: 'PLAN' },
  };

  await must(['results', 'put', 'r1'], { ...options, input: 'value one\n' });
  ledger.results.r1 = 'value one\n';
  for (const name of ['L1', 'L2']) {
    const got = await must(['lock', 'acquire', name, '--ttl', String(LEASE_TTL_MS), '--json'], options);
    const lease = parseJson<{ fence: number; token: string }>(got);
    if (!lease) throw new SetupError(`setup: lock acquire ${name} printed ${got.stdout}`);
    ledger.leases[name] = { fence: lease.fence, token: lease.token };
  }
  await must(['exec', '--', 'true'], options);
  ledger.audit[alpha] = 1;
  const ran = await must(['run', 'w', '--json'], options);
  const runId = parseJson<{ run_id: string }>(ran)?.run_id;
  if (!runId) throw new SetupError(`setup: run w printed ${ran.stdout}`);
  ledger.runs[alpha] = [runId];
  await must(['init', '--force'], options);
  await must(['context'], options);
  ledger.events = await readEvents(root);

  const doctor = await run(['doctor'], options);
  if (doctor.code !== 0)
    throw new SetupError(`setup: the prepared project is not clean: ${describeOutcome(doctor)}`);
  for (const dir of lockDirsOf(root)) fs.mkdirSync(dir, { recursive: true });
  return { root, ledger, coordDir: coordDirOf(root) };
}

/** A project as the older CCW tools left it (SPEC 3, `wfs migrate`): `.workflow/WFS-*`, `.active-*`, `sessions/`. */
export const LEGACY = {
  sessions: ['WFS-auth-flow', 'WFS-docs-pass', 'WFS-old-review', 'WFS-no-state'],
  active: 'WFS-auth-flow',
  descriptions: {
    'WFS-auth-flow': 'Auth flow',
    'WFS-docs-pass': 'Docs pass',
    'WFS-old-review': 'Old review',
  },
} as const;

export function prepareLegacy(): Prepared {
  const root = gitRepo();
  const w = path.join(root, '.workflow');
  const write = (file: string, value: unknown) => {
    fs.mkdirSync(path.dirname(path.join(w, file)), { recursive: true });
    fs.writeFileSync(path.join(w, file), typeof value === 'string' ? value : JSON.stringify(value));
  };
  write('WFS-auth-flow/workflow-session.json', {
    session_id: 'WFS-auth-flow',
    project: 'Auth flow',
    status: 'implementing',
    type: 'complex',
    created_at: '2025-03-01T10:00:00Z',
  });
  write('WFS-auth-flow/IMPL_PLAN.md', '# plan');
  write('WFS-auth-flow/.task/IMPL-1.json', '{"id":"IMPL-1","status":"completed"}');
  write('.active-WFS-auth-flow', '');
  write('WFS-docs-pass/workflow-session.json', {
    session_id: 'WFS-docs-pass',
    project: 'Docs pass',
    status: 'planning',
    type: 'simple',
  });
  write('sessions/WFS-old-review/workflow-session.json', {
    session_id: 'WFS-old-review',
    project: 'Old review',
    status: 'reviewing',
    type: 'medium',
    session_version: '1.0',
  });
  write('sessions/WFS-no-state/notes.md', 'only notes');
  // The lock folders exist so that the watcher can see the lock appear; empty, they change nothing.
  for (const dir of lockDirsOf(root)) fs.mkdirSync(dir, { recursive: true });
  return {
    root,
    coordDir: coordDirOf(root),
    ledger: {
      sessions: {},
      todos: {},
      checkpoints: {},
      results: {},
      leases: {},
      events: [],
      audit: {},
      runs: {},
      manifest: [],
    },
  };
}

export async function readEvents(root: string): Promise<{ id: number; type: string }[]> {
  const listed = await run(['events', '--json', '--limit', '100000'], { cwd: root });
  const doc = parseJson<{ events: { id: number; type: string }[] }>(listed);
  if (listed.code !== 0 || doc === undefined)
    throw new SetupError(`wfs events --json failed: ${describeOutcome(listed)}`);
  return doc.events.map((e) => ({ id: e.id, type: e.type }));
}

export { copyOf };

// ---------------------------------------------------------------- reading the state back

export interface SessionOnDisk {
  location: 'active' | 'archives';
  dir: string;
  state?: Record<string, unknown>;
  problem?: string;
}

export function findSession(root: string, id: string): SessionOnDisk | undefined {
  for (const location of ['active', 'archives'] as const) {
    const dir = path.join(root, '.workflow', location, id);
    if (!fs.existsSync(dir)) continue;
    const file = path.join(dir, 'workflow-session.json');
    try {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (typeof state !== 'object' || state === null || state.session_id !== id)
        return { location, dir, problem: `${path.relative(root, file)} is not the state of ${id}` };
      return { location, dir, state };
    } catch (error) {
      return { location, dir, problem: `${path.relative(root, file)}: ${(error as Error).message}` };
    }
  }
  return undefined;
}

/** Session folders whose state says `active`. */
export function activeSessionsOnDisk(root: string): string[] {
  const dir = path.join(root, '.workflow', 'active');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith('WFS-'));
  } catch {
    return [];
  }
  return names.filter((id) => findSession(root, id)?.state?.status === 'active');
}

export interface Allowances {
  /** Sessions whose status (and place) the interrupted command may have changed. */
  status?: string[];
  phase?: string[];
  /** `session:todo` pairs whose status may have changed. */
  todoStatus?: string[];
  /** Leases the interrupted command may have released. */
  released?: string[];
}

/** Every write of the ledger that is not on disk (or not readable) now. */
export async function ledgerProblems(
  root: string,
  ledger: Ledger,
  allow: Allowances = {},
): Promise<string[]> {
  const problems: string[] = [];
  for (const [id, expected] of Object.entries(ledger.sessions)) {
    const found = findSession(root, id);
    if (found === undefined) {
      problems.push(`lost session ${id} (${expected.status})`);
      continue;
    }
    if (found.problem) {
      problems.push(`session ${id} unreadable: ${found.problem}`);
      continue;
    }
    const state = found.state!;
    if (!allow.status?.includes(id) && state.status !== expected.status)
      problems.push(`session ${id} is ${String(state.status)}, acknowledged ${expected.status}`);
    if (!allow.phase?.includes(id) && state.current_phase !== expected.phase)
      problems.push(`session ${id} is in ${String(state.current_phase)}, acknowledged ${expected.phase}`);
  }
  for (const [id, todos] of Object.entries(ledger.todos)) {
    const state = findSession(root, id)?.state;
    if (state === undefined) continue; // reported above
    const onDisk = (state.todos as TodoEntry[] | undefined) ?? [];
    for (const todo of todos) {
      // id 0: acknowledged without a number (todo sync prints none): found by its text.
      const found = onDisk.find((t) => (todo.id === 0 ? t.content === todo.content : t.id === todo.id));
      if (found === undefined || found.content !== todo.content)
        problems.push(
          `lost todo ${id} #${todo.id} "${todo.content}"${found ? ` (now "${found.content}")` : ''}`,
        );
      else if (found.status !== todo.status && !allow.todoStatus?.includes(`${id}:${todo.id}`))
        problems.push(`todo ${id} #${todo.id} is ${found.status}, acknowledged ${todo.status}`);
    }
    const ids = onDisk.map((t) => t.id);
    if (new Set(ids).size !== ids.length)
      problems.push(`session ${id} has duplicate todo numbers: ${ids.join(',')}`);
  }
  for (const [id, checkpoints] of Object.entries(ledger.checkpoints)) {
    const found = findSession(root, id);
    if (found === undefined) continue;
    const dir = path.join(found.dir, '.process', 'checkpoints');
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      // none at all: each is reported below
    }
    for (const cp of checkpoints) {
      const name = names.find((n) => n.startsWith(`${cp}.`));
      if (name === undefined) problems.push(`lost checkpoint ${id} ${cp}`);
      else {
        try {
          JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
        } catch {
          problems.push(`checkpoint ${id} ${cp} does not parse`);
        }
      }
    }
  }
  for (const [id, runs] of Object.entries(ledger.runs)) {
    const found = findSession(root, id);
    if (found === undefined) continue;
    for (const runId of runs) {
      const file = path.join(found.dir, '.process', 'runs', 'w', `${runId}.json`);
      try {
        JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (error) {
        problems.push(`workflow run record ${runId}: ${(error as Error).message}`);
      }
    }
  }
  for (const [id, lines] of Object.entries(ledger.audit)) {
    const found = findSession(root, id);
    if (found === undefined) continue;
    let count = 0;
    try {
      count = fs
        .readFileSync(path.join(found.dir, '.process', 'audit.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '').length;
    } catch {
      count = 0;
    }
    if (count < lines) problems.push(`audit trail of ${id} has ${count} lines, ${lines} acknowledged`);
  }
  if (ledger.manifest.length > 0) {
    try {
      const manifest = JSON.parse(
        fs.readFileSync(path.join(root, '.workflow', 'archives', 'manifest.json'), 'utf8'),
      ) as { session_id: string }[];
      for (const id of ledger.manifest)
        if (!manifest.some((e) => e.session_id === id)) problems.push(`manifest lost its entry for ${id}`);
    } catch (error) {
      problems.push(`archives/manifest.json: ${(error as Error).message}`);
    }
  }
  const active = activeSessionsOnDisk(root);
  if (active.length > 1) problems.push(`${active.length} sessions are active: ${active.join(', ')}`);

  for (const [key, value] of Object.entries(ledger.results)) {
    const got = await run(['results', 'get', key], { cwd: root });
    if (got.code !== 0) problems.push(`lost result ${key}: ${describeOutcome(got)}`);
    else if (got.stdout !== value)
      problems.push(`result ${key} is ${JSON.stringify(got.stdout)}, acknowledged ${JSON.stringify(value)}`);
  }
  if (Object.keys(ledger.leases).length > 0) {
    const listed = await run(['lock', 'list', '--json'], { cwd: root });
    const locks = parseJson<{ locks: { name: string; fence: number }[] }>(listed)?.locks;
    if (locks === undefined) problems.push(`wfs lock list --json failed: ${describeOutcome(listed)}`);
    else
      for (const [name, lease] of Object.entries(ledger.leases)) {
        if (allow.released?.includes(name)) continue;
        const found = locks.find((l) => l.name === name);
        if (found === undefined) problems.push(`lost lease ${name} (fence ${lease.fence})`);
        else if (found.fence !== lease.fence)
          problems.push(`lease ${name} has fence ${found.fence}, acknowledged ${lease.fence}`);
      }
  }
  if (ledger.events.length > 0) {
    try {
      const events = await readEvents(root);
      for (const event of ledger.events)
        if (!events.some((e) => e.id === event.id && e.type === event.type))
          problems.push(`lost event ${event.id} ${event.type}`);
      for (let i = 1; i < events.length; i++)
        if (events[i]!.id <= events[i - 1]!.id)
          problems.push(`event IDs out of order or repeated: ${events[i - 1]!.id} then ${events[i]!.id}`);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

/**
 * What must hold of any project once `wfs doctor --fix` has run: every session folder holds a
 * readable state of its own ID (the remains of an unfinished creation are moved aside, SPEC 4), and
 * every archived session has its manifest entry.
 */
export function structureProblems(root: string): string[] {
  const problems: string[] = [];
  const archived: string[] = [];
  for (const location of ['active', 'archives'] as const) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(path.join(root, '.workflow', location)).filter((n) => n.startsWith('WFS-'));
    } catch {
      continue;
    }
    for (const id of names) {
      const found = findSession(root, id);
      if (found?.problem)
        problems.push(`after doctor --fix, ${location}/${id} is no session: ${found.problem}`);
      else if (location === 'archives') archived.push(id);
    }
  }
  if (archived.length > 0) {
    let manifest: { session_id?: string }[] = [];
    try {
      manifest = JSON.parse(
        fs.readFileSync(path.join(root, '.workflow', 'archives', 'manifest.json'), 'utf8'),
      ) as { session_id?: string }[];
    } catch (error) {
      problems.push(`archives/manifest.json: ${(error as Error).message}`);
    }
    for (const id of archived)
      if (Array.isArray(manifest) && !manifest.some((e) => e.session_id === id))
        problems.push(`archived ${id} has no manifest entry`);
  }
  return problems;
}
