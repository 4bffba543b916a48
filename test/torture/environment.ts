import fs from 'node:fs';
import path from 'node:path';
import { ledgerProblems, type Prepared, prepareProject, SESSIONS } from './fixtures.js';
import {
  clip,
  copyOf,
  describeOutcome,
  errorLine,
  internalFailure,
  jsonErrorCode,
  mapLimit,
  type Outcome,
  progress,
  type RunOptions,
  removeDir,
  run,
  type ScenarioResult,
  spawnSyncQuiet,
  Tally,
  type TortureSettings,
  ulimitPrefix,
  unparsableFiles,
} from './harness.js';
import { SYNC_INPUT } from './kills.js';

/**
 * Scenario 3, second part: a hostile machine (SPEC 3: "a fault of the environment (permission
 * denied, disk full, a folder where a file belongs) is an E_IO error naming the path and the cause,
 * not an internal error; wfs doctor runs (read-only) even where it cannot take the lock"). Every
 * command under each fault: no internal error; a failure is an `ERROR:` naming a path and the cause,
 * `E_IO` with --json; a write command never says it wrote what cannot be on disk; and once the
 * fault is lifted, nothing acknowledged before is lost and `wfs doctor --fix` leaves no problem.
 */

const { alpha, beta } = SESSIONS;

interface Condition {
  name: string;
  /** Sets the fault up in the copy; returns false (with a reason) when this machine cannot. */
  apply: (root: string) => true | string;
  /** How the CLI is run under it. */
  options?: RunOptions;
  lift?: (root: string) => void;
  /** The fault leaves `.workflow/` as it was (so the ledger must hold afterwards). */
  keepsState: boolean;
  /** No write can reach .workflow/: a write command that exits 0 claims what is not on disk. */
  noWrites: boolean;
  /** `wfs doctor` cannot take the project lock here, and must still report (read-only). */
  doctorReadOnly: boolean;
  /** Only these commands (others would read a device without end). */
  only?: string[];
}

const NOBODY = 65_534;
const CAUSE =
  /EACCES|EPERM|EROFS|ENOSPC|EFBIG|EMFILE|ENFILE|ENOTDIR|EEXIST|EISDIR|permission denied|operation not permitted|read-only|no space|too large|too many open files|not a directory/i;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const CONDITIONS: readonly Condition[] = [
  {
    name: '.workflow/ read-only (chattr +i: immutable even for root)',
    apply: (root) =>
      spawnSyncQuiet('chattr', ['-R', '+i', path.join(root, '.workflow')]) === 0 ||
      'chattr +i failed (needs root and a file system with attributes)',
    lift: (root) => {
      spawnSyncQuiet('chattr', ['-R', '-i', path.join(root, '.workflow')]);
    },
    keepsState: true,
    noWrites: true,
    doctorReadOnly: true,
  },
  {
    name: 'a user who cannot write the repository (uid nobody)',
    apply: (root) => {
      if (!isRoot()) return 'not root: cannot run as another user';
      fs.chmodSync(root, 0o755);
      return spawnSyncQuiet('chmod', ['-R', 'go+rX,go-w', root]) === 0 || 'chmod failed';
    },
    options: { cwd: '', uid: NOBODY, gid: NOBODY, env: { HOME: '/nonexistent' } },
    keepsState: true,
    noWrites: true,
    doctorReadOnly: true,
  },
  {
    name: '.workflow is a file',
    apply: (root) => {
      fs.rmSync(path.join(root, '.workflow'), { recursive: true, force: true });
      fs.writeFileSync(path.join(root, '.workflow'), 'not a folder\n');
      return true;
    },
    keepsState: false,
    noWrites: true,
    doctorReadOnly: true,
  },
  {
    name: 'disk full: no byte may be written (ulimit -f 0: EFBIG)',
    apply: () => true,
    options: { cwd: '', prefix: ulimitPrefix('-f 0') },
    keepsState: true,
    noWrites: true,
    doctorReadOnly: false,
  },
  {
    name: 'disk full part-way: files stop at 1 KiB (ulimit -f 1: EFBIG mid-write)',
    apply: () => true,
    options: { cwd: '', prefix: ulimitPrefix('-f 1') },
    keepsState: true,
    noWrites: false,
    doctorReadOnly: false,
  },
  {
    name: 'disk full on appends: events.jsonl and audit.jsonl are /dev/full (ENOSPC)',
    apply: (root) => {
      if (!isRoot()) return 'not root: mknod needs CAP_MKNOD';
      for (const file of devFullFiles(root)) {
        fs.renameSync(file, `${file}.torture-kept`);
        if (spawnSyncQuiet('mknod', [file, 'c', '1', '7']) !== 0) return 'mknod c 1 7 failed';
      }
      return true;
    },
    lift: (root) => {
      for (const file of devFullFiles(root)) {
        if (!fs.existsSync(`${file}.torture-kept`)) continue; // lifted already
        fs.rmSync(file, { force: true });
        fs.renameSync(`${file}.torture-kept`, file);
      }
    },
    keepsState: true,
    noWrites: false,
    doctorReadOnly: false,
    // Appends only: a command that reads the whole log would read /dev/full's zeros without end.
    only: ['session pause', 'session switch', 'exec', 'results put', 'todo add', 'context', 'doctor'],
  },
  {
    name: 'descriptors limited (ulimit -n 64)',
    apply: () => true,
    options: { cwd: '', prefix: ulimitPrefix('-n 64') },
    keepsState: true,
    noWrites: false,
    doctorReadOnly: false,
  },
];

function devFullFiles(root: string): string[] {
  return [
    path.join(root, '.git', 'wfs', 'events.jsonl'),
    path.join(root, '.workflow', 'active', alpha, '.process', 'audit.jsonl'),
  ];
}

interface Command {
  name: string;
  args: string[];
  input?: string;
  writes?: boolean;
}

function commandList(l2Token: string): Command[] {
  return [
    { name: 'session list', args: ['session', 'list'] },
    { name: 'session show', args: ['session', 'show'] },
    { name: 'session start --new', args: ['session', 'start', '--new', 'environment fault'], writes: true },
    { name: 'session switch', args: ['session', 'switch', beta], writes: true },
    { name: 'session pause', args: ['session', 'pause'], writes: true },
    { name: 'session resume', args: ['session', 'resume', beta], writes: true },
    { name: 'session complete', args: ['session', 'complete', beta], writes: true },
    { name: 'phase', args: ['phase', 'REVIEW'], writes: true },
    { name: 'checkpoint', args: ['checkpoint'], writes: true },
    { name: 'todo list', args: ['todo', 'list'] },
    { name: 'todo add', args: ['todo', 'add', 'fault'], writes: true },
    { name: 'todo sync', args: ['todo', 'sync'], input: SYNC_INPUT, writes: true },
    { name: 'context', args: ['context'] },
    { name: 'lock acquire', args: ['lock', 'acquire', 'L9'] },
    { name: 'lock list', args: ['lock', 'list'] },
    { name: 'lock release', args: ['lock', 'release', 'L2', '--token', l2Token] },
    { name: 'results put', args: ['results', 'put', 'r9'], input: 'nine' },
    { name: 'results get', args: ['results', 'get', 'r1'] },
    { name: 'results list', args: ['results', 'list'] },
    { name: 'events', args: ['events'] },
    { name: 'exec', args: ['exec', '--', 'true'] },
    { name: 'doctor', args: ['doctor'] },
    { name: 'doctor --fix', args: ['doctor', '--fix'] },
    { name: 'migrate', args: ['migrate'] },
    { name: 'init', args: ['init'] },
    { name: 'init --force', args: ['init', '--force'], writes: true },
  ];
}

async function runUnder(
  condition: Condition,
  root: string,
  command: Command,
  json: boolean,
): Promise<Outcome> {
  return run(json ? [...command.args, '--json'] : command.args, {
    ...condition.options,
    cwd: root,
    timeoutMs: 20_000,
    ...(command.input !== undefined ? { input: command.input } : {}),
  });
}

export async function environmentFaults(settings: TortureSettings): Promise<ScenarioResult> {
  const tally = new Tally('environment faults');
  let prepared: Prepared;
  try {
    prepared = await prepareProject();
  } catch (error) {
    tally.fail('prepare', (error as Error).message);
    return tally.result();
  }
  const all = commandList(prepared.ledger.leases.L2!.token);
  const kinds = new Map<string, { count: number; example: string }>();
  let cells = 0;
  for (const [conditionIndex, condition] of CONDITIONS.entries()) {
    let commands = condition.only ? all.filter((c) => condition.only!.includes(c.name)) : all;
    if (settings.short) {
      // A rotating sample of three, and always doctor (it must diagnose whatever the fault).
      const rest = commands.filter((c) => c.name !== 'doctor');
      const sample = Array.from(
        { length: 3 },
        (_, i) => rest[(settings.seed * 3 + conditionIndex + i * 7) % rest.length]!,
      );
      commands = [...new Set([...sample, ...commands.filter((c) => c.name === 'doctor')])];
    }
    let failed = 0;
    let untestable: string | undefined;
    await mapLimit(commands, 2, async (command) => {
      if (untestable !== undefined) return;
      const root = copyOf(prepared.root);
      try {
        const applied = condition.apply(root);
        if (applied !== true) {
          untestable = applied;
          return;
        }
        cells++;
        const problems: string[] = [];
        const outcome = await runUnder(condition, root, command, false);
        const internal = internalFailure(outcome);
        if (internal) problems.push(`internal failure: ${internal}`);
        else if (command.name === 'doctor' && condition.doctorReadOnly) {
          if (!/wfs doctor:/.test(outcome.stdout) || errorLine(outcome) !== undefined)
            problems.push(`wfs doctor gave no read-only report: ${describeOutcome(outcome)}`);
        } else if (
          outcome.code !== 0 &&
          outcome.code !== 4 &&
          !(command.name.startsWith('doctor') && outcome.code === 1 && errorLine(outcome) === undefined)
        ) {
          const error = errorLine(outcome);
          if (error === undefined)
            problems.push(`failed without an ERROR: line: ${describeOutcome(outcome)}`);
          else {
            if (!/\/|\.workflow/.test(error)) problems.push(`the error names no path: ${error}`);
            if (!CAUSE.test(error)) problems.push(`the error names no cause: ${error}`);
            const again = await runUnder(condition, root, command, true);
            const code = jsonErrorCode(again);
            if (code !== 'E_IO')
              problems.push(
                `--json error code is ${code ?? `missing (${clip(again.stdout, 120)})`}, not E_IO: ${error}`,
              );
          }
        } else if (outcome.code === 0 && command.writes && condition.noWrites)
          problems.push(`exit 0 although nothing can be written: ${describeOutcome(outcome)}`);
        condition.lift?.(root);
        if (condition.keepsState) {
          for (const bad of [
            ...unparsableFiles(path.join(root, '.workflow')),
            ...unparsableFiles(path.join(root, '.git', 'wfs')),
          ])
            problems.push(`after the fault: ${bad}`);
          const fix = await run(['doctor', '--fix'], { cwd: root });
          const fixInternal = internalFailure(fix);
          if (fixInternal) problems.push(`wfs doctor --fix once the fault is lifted: ${fixInternal}`);
          const doctor = await run(['doctor'], { cwd: root });
          if (doctor.code !== 0)
            problems.push(
              `wfs doctor once the fault is lifted and fixed: exit ${doctor.code}: ${clip(
                (doctor.stdout + doctor.stderr)
                  .split('\n')
                  .filter((l) => !/^INFO|^wfs doctor/.test(l))
                  .join(' | '),
                300,
              )}`,
            );
          // What this command may legitimately have changed once it worked is not a loss.
          const lost = (
            await ledgerProblems(root, prepared.ledger, {
              status: [alpha, beta],
              phase: [alpha],
              released: ['L2'],
            })
          ).map((p) => `once the fault is lifted: ${p}`);
          problems.push(...lost);
        }
        const where = `${condition.name} / wfs ${command.args.join(' ')}`;
        if (
          !tally.verdict(
            where,
            problems.map((p) => `${where}: ${p}`),
          )
        )
          failed++;
        for (const p of problems) {
          const errno = /Internal error: (E[A-Z]+): [^,]+, (\w+)/.exec(p);
          const summary = errno
            ? `internal error ${errno[1]} on ${errno[2]}`
            : p
                .replace(/\/tmp\/[^\s'"),:]+/g, '<path>')
                .replace(/WFS-[\w-]+/g, 'WFS-x')
                .split(': ')
                .slice(0, 2)
                .join(': ');
          const kind = `${condition.name}: ${summary}`;
          const entry = kinds.get(kind) ?? {
            count: 0,
            example: `wfs ${command.args.join(' ')}: ${clip(p, 300)}`,
          };
          entry.count++;
          kinds.set(kind, entry);
        }
      } finally {
        condition.lift?.(root);
        removeDir(root);
      }
    });
    if (untestable !== undefined) {
      tally.note(`${condition.name}: ${untestable}`);
      continue;
    }
    tally.set(
      `condition ${condition.name}`,
      `${commands.length - failed}/${commands.length} commands passed`,
    );
    progress(`environment faults: ${condition.name}: ${commands.length - failed}/${commands.length} passed`);
  }
  tally.set('cells run', cells);
  for (const [kind, { count, example }] of [...kinds.entries()].sort((a, b) => b[1].count - a[1].count))
    tally.set(`problem (${count}): ${kind}`, `e.g. ${example}`);
  tally.note(
    'ENOSPC on a temp file + rename write cannot be made without mounting a small file system (no root mount here): ulimit -f (EFBIG) stands for it; ENOSPC itself is only tried on appends (/dev/full)',
  );
  tally.note(
    'a read-only bind mount (EROFS) is not available here: chattr +i (EPERM) and another user (EACCES) stand for it',
  );
  removeDir(prepared.root);
  return tally.result();
}
