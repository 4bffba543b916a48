import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** This repository: the built library the setup uses, as a user's program would. */
const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

import {
  findSession,
  LEASE_TTL_MS,
  type Prepared,
  prepareProject,
  readEvents,
  SESSIONS,
} from './fixtures.js';
import {
  clip,
  copyOf,
  describeOutcome,
  errorLine,
  internalFailure,
  mapLimit,
  type Outcome,
  parseJson,
  progress,
  Random,
  removeDir,
  run,
  type ScenarioResult,
  snapshot,
  snapshotChanges,
  Tally,
  type TortureSettings,
  tempDir,
} from './harness.js';
import { SYNC_INPUT } from './kills.js';

/**
 * Scenario 3, the corruption matrix (SPEC 1, 3, 4): every file wfs reads, damaged each way a
 * hostile clone or a broken disk can damage it, under every command. No internal error; an error
 * begins with `ERROR: ` and names the file; a damaged session state is restored from its backup
 * where one exists; and nothing is written through a symbolic link (its target outside the
 * repository stays byte-identical, and nothing appears next to it).
 */

const { alpha, beta, delta } = SESSIONS;
const A = `.workflow/active/${alpha}`;
const COORD = '.git/wfs';

export type Damage =
  | 'truncated'
  | 'garbage'
  | 'empty'
  | '{}'
  | 'wrong shape []'
  | 'wrong shape null'
  | 'wrong shape {"x":1}'
  | 'directory in its place'
  | 'link to a file outside'
  | 'folder: link to a copy outside'
  | 'folder: a file in its place';

const FILE_DAMAGES: readonly Damage[] = [
  'truncated',
  'garbage',
  'empty',
  '{}',
  'wrong shape []',
  'wrong shape null',
  'wrong shape {"x":1}',
  'directory in its place',
  'link to a file outside',
];
const WRONG_SHAPES: readonly Damage[] = ['wrong shape []', 'wrong shape null', 'wrong shape {"x":1}'];
const FOLDER_DAMAGES: readonly Damage[] = ['folder: link to a copy outside', 'folder: a file in its place'];
/** Damage a backup can repair (a directory or a link in the file's place is for a person). */
const RESTORABLE: ReadonlySet<Damage> = new Set(['truncated', 'garbage', 'empty', '{}', ...WRONG_SHAPES]);

interface Target {
  name: string;
  /** Paths relative to the root; several when they are damaged together. */
  paths: string[];
  folder?: boolean;
  /** Words one of which an error about this file must contain. */
  names: string[];
  /** Content when the file does not exist in the prepared project (a marker, a lock). */
  sample?: string;
  /** Damaged files get an mtime an hour old (a lock left behind, not one being taken now). */
  old?: boolean;
  /** The session whose state this is: commands that load it must restore it from its backup. */
  restores?: string;
  /** No backup is left: commands that load the session must fail, naming it. */
  unrestorable?: string;
  /**
   * SPEC 5: fences and event IDs never repeat, even when a lease record or the end of the event log
   * is damaged by hand. `fence:NAME`: a grant of NAME afterwards gets a fence above its last one;
   * `event-ids`: an event published afterwards gets an ID above every earlier one.
   */
  followUp?: `fence:${string}` | 'event-ids';
}

interface Command {
  name: string;
  args: string[];
  input?: string;
  /** Sessions it loads (so it must repair their state first). */
  loads: string[];
  /** A report with exit 1 and no ERROR line is its normal answer to problems. */
  reports?: boolean;
}

function commands(l2Token: string): Command[] {
  return [
    { name: 'session list', args: ['session', 'list', '--all'], loads: [] },
    { name: 'session show', args: ['session', 'show'], loads: [alpha] },
    { name: 'session switch', args: ['session', 'switch', beta], loads: [alpha, beta] },
    { name: 'session pause', args: ['session', 'pause'], loads: [alpha] },
    { name: 'session resume', args: ['session', 'resume', beta], loads: [alpha, beta] },
    { name: 'session complete', args: ['session', 'complete', beta], loads: [beta] },
    { name: 'phase', args: ['phase', 'REVIEW'], loads: [alpha] },
    { name: 'checkpoint', args: ['checkpoint', '--data', '{"k":1}'], loads: [alpha] },
    { name: 'todo list', args: ['todo', 'list'], loads: [alpha] },
    { name: 'todo add', args: ['todo', 'add', 'matrix'], loads: [alpha] },
    { name: 'todo sync', args: ['todo', 'sync'], input: SYNC_INPUT, loads: [alpha] },
    { name: 'context', args: ['context'], loads: [alpha] },
    { name: 'lock acquire', args: ['lock', 'acquire', 'L9', '--ttl', '60000'], loads: [] },
    { name: 'lock list', args: ['lock', 'list'], loads: [] },
    { name: 'lock release', args: ['lock', 'release', 'L2', '--token', l2Token], loads: [] },
    { name: 'results put', args: ['results', 'put', 'r9'], input: 'nine', loads: [] },
    { name: 'results get', args: ['results', 'get', 'r1'], loads: [] },
    { name: 'results list', args: ['results', 'list'], loads: [] },
    { name: 'events', args: ['events'], loads: [] },
    { name: 'exec', args: ['exec', '--', 'true'], loads: [alpha] },
    { name: 'doctor', args: ['doctor'], loads: [], reports: true },
    { name: 'doctor --fix', args: ['doctor', '--fix'], loads: [alpha, beta], reports: true },
    { name: 'migrate', args: ['migrate'], loads: [] },
    { name: 'init', args: ['init'], loads: [] },
  ];
}

function newest(dir: string, pattern: RegExp, root: string): string {
  const names = fs
    .readdirSync(path.join(root, dir))
    .filter((n) => pattern.test(n))
    .sort((a, b) => {
      const rev = (n: string) => Number(/\.r(\d+)/.exec(n)?.[1] ?? 0);
      return rev(a) - rev(b) || (a < b ? -1 : 1);
    });
  return `${dir}/${names.at(-1)!}`;
}

function targets(prepared: Prepared): Target[] {
  const root = prepared.root;
  const backups = `${A}/.process/backups`;
  const allBackups = fs.readdirSync(path.join(root, backups)).map((n) => `${backups}/${n}`);
  const runId = prepared.ledger.runs[alpha]![0]!;
  const holder = JSON.stringify({
    pid: 999_999_999,
    host: os.hostname(),
    nonce: 'left-behind',
    acquired_at: '2026-01-01T00:00:00.000Z',
  });
  const session = ['workflow-session.json', alpha];
  return [
    {
      name: 'workflow-session.json (active session)',
      paths: [`${A}/workflow-session.json`],
      names: session,
      restores: alpha,
    },
    {
      name: 'workflow-session.json (paused session)',
      paths: [`.workflow/active/${beta}/workflow-session.json`],
      names: ['workflow-session.json', beta],
      restores: beta,
    },
    {
      name: 'newest backup of workflow-session.json',
      paths: [newest(backups, /\.json$/, root)],
      names: ['backups', ...session],
    },
    {
      name: 'workflow-session.json and every backup',
      paths: [`${A}/workflow-session.json`, ...allBackups],
      names: session,
      unrestorable: alpha,
    },
    {
      name: 'session_status.jsonl',
      paths: ['.workflow/session_status.jsonl'],
      names: ['session_status.jsonl'],
    },
    { name: 'active-session.json', paths: ['.workflow/active-session.json'], names: ['active-session.json'] },
    { name: 'archives/manifest.json', paths: ['.workflow/archives/manifest.json'], names: ['manifest.json'] },
    { name: 'project-tech.json', paths: ['.workflow/project-tech.json'], names: ['project-tech.json'] },
    {
      name: 'project-guidelines.json',
      paths: ['.workflow/project-guidelines.json'],
      names: ['project-guidelines.json'],
    },
    { name: 'config.json', paths: ['.workflow/config.json'], names: ['config.json'] },
    {
      name: 'newest checkpoint file',
      paths: [newest(`${A}/.process/checkpoints`, /^CP-.*\.json$/, root)],
      names: ['checkpoints', 'CP-'],
    },
    { name: 'planning-notes.md', paths: [`${A}/planning-notes.md`], names: ['planning-notes.md'] },
    { name: '.process/audit.jsonl', paths: [`${A}/.process/audit.jsonl`], names: ['audit.jsonl'] },
    { name: 'workflow run record', paths: [`${A}/.process/runs/w/${runId}.json`], names: [runId, 'runs'] },
    { name: 'workflow declaration', paths: ['.workflow/workflows/w.json'], names: ['w.json', 'workflows'] },
    {
      name: '.archiving marker',
      paths: [`.workflow/active/${delta}/.archiving`],
      names: ['.archiving', delta],
      sample:
        '{"session_id":"' +
        delta +
        '","description":"delta review","archived_at":"2026-01-01T00:00:00.000Z","archive_path":".workflow/archives/' +
        delta +
        '","metrics":{"duration_hours":0,"tasks_completed":0,"summaries_generated":0},"tags":[],"lessons":[]}',
    },
    {
      name: 'project lock (left behind)',
      paths: ['.workflow/.locks/project.lock'],
      names: ['project.lock', '.locks'],
      sample: holder,
      old: true,
    },
    {
      name: 'coordination lock (left behind)',
      paths: [`${COORD}/.locks/coord.lock`],
      names: ['coord.lock', '.locks'],
      sample: holder,
      old: true,
    },
    {
      name: 'lease record of a held lease (leases/L1.json)',
      paths: [`${COORD}/leases/L1.json`],
      names: ['L1.json', 'leases'],
      followUp: 'fence:L1',
    },
    {
      name: 'lease record of a released lease (leases/L0.json)',
      paths: [`${COORD}/leases/L0.json`],
      names: ['L0.json', 'leases'],
      followUp: 'fence:L0',
    },
    {
      name: 'events.jsonl',
      paths: [`${COORD}/events.jsonl`],
      names: ['events.jsonl'],
      followUp: 'event-ids',
    },
    { name: 'results/r1.json', paths: [`${COORD}/results/r1.json`], names: ['r1.json', 'results'] },
    { name: `presence/${alpha}.json`, paths: [`${COORD}/presence/${alpha}.json`], names: ['presence'] },
    { name: `claims/${alpha}.json`, paths: [`${COORD}/claims/${alpha}.json`], names: ['claims'] },
    { name: 'epoch.json', paths: [`${COORD}/epoch.json`], names: ['epoch.json'], followUp: 'fence:L0' },
    { name: 'root-commit', paths: [`${COORD}/root-commit`], names: ['root-commit'] },
    { name: 'folder .process/', paths: [`${A}/.process`], folder: true, names: ['.process'] },
    {
      name: 'folder .process/checkpoints/',
      paths: [`${A}/.process/checkpoints`],
      folder: true,
      names: ['checkpoints'],
    },
    { name: 'folder .workflow/.backups/', paths: ['.workflow/.backups'], folder: true, names: ['.backups'] },
    { name: 'folder .workflow/.locks/', paths: ['.workflow/.locks'], folder: true, names: ['.locks'] },
    { name: 'the active session folder', paths: [A], folder: true, names: [alpha] },
    { name: 'the coordination folder .git/wfs/', paths: [COORD], folder: true, names: ['.git/wfs', 'wfs'] },
  ];
}

/** Bytes that are no JSON and no UTF-8: NUL, an escape sequence, invalid sequences. */
function garbage(random: Random): Buffer {
  const noise = Buffer.alloc(96);
  for (let i = 0; i < noise.length; i++) noise[i] = random.int(0, 255);
  return Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('\u001b[31m{"not json'), noise]);
}

function shaped(damage: Damage, file: string): string {
  const value = damage === 'wrong shape []' ? '[]' : damage === 'wrong shape null' ? 'null' : '{"x":1}';
  return file.endsWith('.jsonl') ? `${value}\n${value}\n` : `${value}\n`;
}

/** Applies `damage` to every path of `target`; link targets go into `outside`. */
function applyDamage(root: string, outside: string, target: Target, damage: Damage, random: Random): void {
  target.paths.forEach((rel, index) => {
    const file = path.join(root, rel);
    let original: Buffer;
    try {
      original = fs.lstatSync(file).isFile() ? fs.readFileSync(file) : Buffer.from(target.sample ?? '');
    } catch {
      original = Buffer.from(target.sample ?? '');
    }
    if (damage === 'folder: link to a copy outside') {
      const copy = path.join(outside, `${index}-${path.basename(rel)}`);
      fs.cpSync(file, copy, { recursive: true, verbatimSymlinks: true });
      fs.rmSync(file, { recursive: true, force: true });
      fs.symlinkSync(copy, file);
      return;
    }
    if (damage === 'folder: a file in its place') {
      fs.rmSync(file, { recursive: true, force: true });
      fs.writeFileSync(file, 'a file where a folder belongs\n');
      return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.rmSync(file, { recursive: true, force: true });
    switch (damage) {
      case 'truncated':
        fs.writeFileSync(file, original.subarray(0, Math.max(1, Math.floor(original.length / 2))));
        break;
      case 'garbage':
        fs.writeFileSync(file, garbage(random));
        break;
      case 'empty':
        fs.writeFileSync(file, '');
        break;
      case '{}':
        fs.writeFileSync(file, '{}\n');
        break;
      case 'directory in its place':
        fs.mkdirSync(file);
        break;
      case 'link to a file outside': {
        // The target holds what the file held: reads succeed, so a write through the link would land.
        const outsideFile = path.join(outside, `${index}-${path.basename(rel)}`);
        fs.writeFileSync(outsideFile, original);
        fs.symlinkSync(outsideFile, file);
        break;
      }
      default:
        fs.writeFileSync(file, shaped(damage, rel));
    }
    if (target.old) {
      const hourAgo = new Date(Date.now() - 3_600_000);
      fs.utimesSync(file, hourAgo, hourAgo);
      if (damage === 'link to a file outside') fs.lutimesSync(file, hourAgo, hourAgo);
    }
  });
}

function normalise(text: string): string {
  return text
    .replace(/\/tmp\/[^\s'"),:]+/g, '<path>')
    .replace(/WFS-[\w-]+/g, 'WFS-x')
    .replace(/CP-[A-Za-z0-9-]+/g, 'CP-x')
    .replace(/run-[A-Za-z0-9-]+/g, 'run-x')
    .replace(/\d+/g, 'N');
}

interface Cell {
  target: Target;
  damage: Damage;
  command: Command;
}

interface CellVerdict {
  problems: { kind: string; detail: string }[];
  outcome: Outcome;
}

async function runCell(prepared: Prepared, cell: Cell, random: Random): Promise<CellVerdict> {
  const root = copyOf(prepared.root);
  const outside = tempDir();
  const problems: { kind: string; detail: string }[] = [];
  try {
    applyDamage(root, outside, cell.target, cell.damage, random);
    const before = snapshot(outside);
    const outcome = await run(cell.command.args, {
      cwd: root,
      timeoutMs: 30_000,
      ...(cell.command.input !== undefined ? { input: cell.command.input } : {}),
    });
    const internal = internalFailure(outcome);
    if (internal) problems.push({ kind: `internal failure: ${normalise(internal)}`, detail: internal });
    else if (outcome.code !== 0 && outcome.code !== 4) {
      const error = errorLine(outcome);
      if (error === undefined) {
        if (!(cell.command.reports && outcome.code === 1))
          problems.push({ kind: 'failed without an ERROR: line', detail: describeOutcome(outcome) });
      } else if (!cell.target.names.some((n) => outcome.stderr.includes(n)))
        problems.push({
          kind: `error does not name the damaged file: ${clip(normalise(error), 140)}`,
          detail: error,
        });
    }
    const loads = (id: string | undefined) => id !== undefined && cell.command.loads.includes(id);
    if (loads(cell.target.restores) && RESTORABLE.has(cell.damage) && !internal) {
      const found = findSession(root, cell.target.restores!);
      if (outcome.code !== 0 && !(cell.command.reports && outcome.code === 1))
        problems.push({
          kind: 'not restored from its backup: the command failed',
          detail: describeOutcome(outcome),
        });
      else if (found?.state === undefined)
        problems.push({
          kind: 'not restored from its backup: the state is still damaged',
          detail: `${found?.problem ?? 'session folder gone'}; the command: ${describeOutcome(outcome)}`,
        });
      else if (
        found.state.description !== findSession(prepared.root, cell.target.restores!)?.state?.description
      )
        // SPEC 4: never "migrated" into an empty session (one made from the folder's name).
        problems.push({
          kind: 'the damaged state was "migrated" into an empty session instead of restored',
          detail: `now: description ${JSON.stringify(found.state.description)}, created_at ${String(found.state.created_at)}, ${(found.state.todos as unknown[] | undefined)?.length ?? 0} todos; the command: ${describeOutcome(outcome)}`,
        });
      else if (
        // doctor says it in its report (FIXED: restored ...), every other command in a WARNING.
        !(cell.command.reports ? /restored/i : /WARNING: .*(restored|damaged)/i).test(
          outcome.stderr + outcome.stdout,
        )
      )
        problems.push({ kind: 'restored without a WARNING', detail: describeOutcome(outcome) });
    }
    if (
      loads(cell.target.unrestorable) &&
      RESTORABLE.has(cell.damage) &&
      !internal &&
      !cell.command.reports
    ) {
      if (outcome.code === 0)
        problems.push({
          kind: 'a state without any good backup was accepted (no ERROR)',
          detail: describeOutcome(outcome),
        });
    }
    const afterCommand = snapshot(outside);
    const changes = snapshotChanges(before, afterCommand);
    if (changes.length > 0)
      problems.push({
        kind: 'written through a symbolic link (outside the repository)',
        detail: changes.slice(0, 5).join(', '),
      });
    if (cell.target.followUp !== undefined) {
      problems.push(...(await followUp(root, prepared, cell.target.followUp)));
      const more = snapshotChanges(afterCommand, snapshot(outside));
      if (more.length > 0)
        problems.push({
          kind: `written through a symbolic link (outside the repository) by the follow-up ${cell.target.followUp === 'event-ids' ? 'wfs results put' : 'wfs lock acquire'}`,
          detail: more.slice(0, 5).join(', '),
        });
    }
    return { problems, outcome };
  } finally {
    removeDir(root);
    removeDir(outside);
  }
}

/** The fences and event IDs handed out before the damage, from the prepared project. */
const before = { fences: {} as Record<string, number>, lastEvent: 0 };

async function followUp(root: string, prepared: Prepared, check: NonNullable<Target['followUp']>) {
  const problems: { kind: string; detail: string }[] = [];
  if (check === 'event-ids') {
    await run(['results', 'put', 'after-damage'], { cwd: root, input: 'x' });
    const listed = await run(['events', '--json'], { cwd: root });
    const events = parseJson<{ events: { id: number; type: string }[] }>(listed)?.events ?? [];
    const shared = events.filter((e) => e.type === 'result.shared').at(-1);
    if (shared !== undefined && shared.id <= before.lastEvent)
      problems.push({
        kind: 'an event ID repeated after the log was damaged',
        detail: `new event ${shared.id}, not above the last one before the damage (${before.lastEvent})`,
      });
    return problems;
  }
  const name = check.slice('fence:'.length);
  const got = await run(['lock', 'acquire', name, '--ttl', '1000', '--json'], { cwd: root });
  const fence = parseJson<{ fence?: number }>(got)?.fence;
  const last = before.fences[name] ?? prepared.ledger.leases[name]?.fence ?? 0;
  if (got.code === 0 && fence !== undefined && fence <= last)
    problems.push({
      kind: 'a fence repeated after the lease state was damaged',
      detail: `${name} granted fence ${fence}, not above the last one before the damage (${last})`,
    });
  return problems;
}

export async function corruptionMatrix(settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('corruption matrix');
  const random = new Random(settings.seed + 3);
  let prepared: Prepared;
  try {
    prepared = await prepareProject();
    // Claims come from the library (a workflow's scope), not from a CLI command: made through it.
    const lib = (await import(
      path.join(REPO_ROOT, 'dist', 'lib', 'index.js')
    )) as typeof import('../../src/index.js');
    const coordinator = await lib.openCoordinator(lib.openProject({ cwd: prepared.root, env: {} }));
    try {
      await coordinator.claimPaths({ session: alpha, paths: ['src/**'], ttlMs: LEASE_TTL_MS });
    } finally {
      await coordinator.close();
    }
    // L0: a lease granted and released, so its record holds the last fence of a free name.
    const l0 = await run(['lock', 'acquire', 'L0', '--ttl', '60000', '--json'], { cwd: prepared.root });
    const lease = parseJson<{ fence: number; token: string }>(l0);
    if (lease === undefined) throw new Error(`setup: lock acquire L0: ${describeOutcome(l0)}`);
    await run(['lock', 'release', 'L0', '--token', lease.token], { cwd: prepared.root });
    before.fences.L0 = lease.fence;
    before.lastEvent = Math.max(0, ...(await readEvents(prepared.root)).map((e) => e.id));
  } catch (error) {
    tally.fail('prepare', (error as Error).message);
    return tally.result();
  }
  const columns = commands(prepared.ledger.leases.L2!.token);
  // Every command on the undamaged project first: a cell is only meaningful if it works there.
  const usable: Command[] = [];
  for (const command of columns) {
    const root = copyOf(prepared.root);
    try {
      const o = await run(command.args, {
        cwd: root,
        ...(command.input !== undefined ? { input: command.input } : {}),
      });
      if (o.code === 0) usable.push(command);
      else
        tally.fail(
          'baseline',
          `wfs ${command.args.join(' ')} fails on the undamaged project: ${describeOutcome(o)}`,
        );
    } finally {
      removeDir(root);
    }
  }
  const rows: { target: Target; damage: Damage }[] = [];
  for (const target of targets(prepared)) {
    const damages = target.folder
      ? FOLDER_DAMAGES
      : settings.short
        ? // One wrong shape per row in the short run, rotating with the seed.
          FILE_DAMAGES.filter(
            (d) => !WRONG_SHAPES.includes(d) || d === WRONG_SHAPES[(settings.seed + rows.length) % 3],
          )
        : FILE_DAMAGES;
    for (const damage of damages) rows.push({ target, damage });
  }
  const cells: Cell[] = [];
  rows.forEach((row, index) => {
    if (settings.short) cells.push({ ...row, command: usable[(settings.seed + index) % usable.length]! });
    else for (const command of usable) cells.push({ ...row, command });
  });
  tally.set('files and folders damaged', new Set(rows.map((r) => r.target.name)).size);
  tally.set('rows (file x damage)', rows.length);
  tally.set('commands', usable.length);
  tally.set('cells run', cells.length);
  const kinds = new Map<string, { count: number; example: string }>();
  const byCommand: Record<string, number> = {};
  const byTarget: Record<string, number> = {};
  let done = 0;
  await mapLimit(cells, 2, async (cell) => {
    const verdict = await runCell(prepared, cell, random);
    const where = `${cell.target.name} / ${cell.damage} / wfs ${cell.command.args.join(' ')}`;
    tally.count(`outcome exit ${verdict.outcome.signal ?? verdict.outcome.code}`);
    if (
      tally.verdict(
        where,
        verdict.problems.map((p) => `${where}: ${p.kind}: ${p.detail}`),
      )
    )
      tally.count('cells passed');
    else {
      byCommand[cell.command.name] = (byCommand[cell.command.name] ?? 0) + 1;
      byTarget[cell.target.name] = (byTarget[cell.target.name] ?? 0) + 1;
    }
    for (const p of verdict.problems) {
      const kind = kinds.get(p.kind) ?? { count: 0, example: `${where}: ${clip(p.detail, 300)}` };
      kind.count++;
      kinds.set(p.kind, kind);
    }
    if (++done % 50 === 0) progress(`corruption matrix: ${done}/${cells.length} cells`);
  });
  const sorted = [...kinds.entries()].sort((a, b) => b[1].count - a[1].count);
  tally.set('distinct problems', sorted.length);
  for (const [kind, { count, example }] of sorted)
    tally.set(`problem (${count} cells): ${kind}`, `e.g. ${example}`);
  for (const [name, n] of Object.entries(byTarget).sort((a, b) => b[1] - a[1]))
    tally.set(`failed cells, file: ${name}`, n);
  for (const [name, n] of Object.entries(byCommand).sort((a, b) => b[1] - a[1]))
    tally.set(`failed cells, command: ${name}`, n);
  removeDir(prepared.root);
  return tally.result();
}
