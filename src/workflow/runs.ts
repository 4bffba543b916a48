import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { readTextIfExists, writeJsonAtomic } from '../store/atomic.js';
import type { CheckReporter } from '../store/checks.js';
import { sessionLayout } from '../store/layout.js';
import type { LoadedSession } from '../store/session-files.js';
import { uniqueSuffix } from '../store/unique.js';
import { duration, groupLiveness, maySignal, processLiveness, stopGroupSync } from './processes.js';
import type { RunRecord, StepChild, StepRecord, StepStatus } from './types.js';

/**
 * Run records: one JSON file per run of a workflow in a session, rewritten atomically and durably
 * (fsync) after every step, so a run killed at any instant (SIGKILL, lost lease, machine restart)
 * knows which steps completed and resumes after them.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export function validateWorkflowName(name: string): string {
  if (!NAME.test(name))
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid workflow name ${JSON.stringify(name.slice(0, 80))}: lower-case letters, digits, . _ - (at most 100)`,
    );
  return name;
}

function runsDir(sessionDir: string, workflow: string): string {
  return path.join(sessionLayout(sessionDir).runs, workflow);
}

export function newRunId(now: Date): string {
  return `run-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${uniqueSuffix()}`;
}

export function saveRun(sessionDir: string, record: RunRecord): void {
  const dir = runsDir(sessionDir, record.workflow);
  fs.mkdirSync(dir, { recursive: true });
  // Durable: an acknowledged step must survive a crash, or a resumed run would do it twice.
  writeJsonAtomic(path.join(dir, `${record.run_id}.json`), record);
}

const RUN_STATUSES: readonly string[] = ['running', 'completed', 'failed', 'interrupted'];
const STEP_STATUSES: readonly string[] = ['running', 'completed', 'failed'] satisfies StepStatus[];

/**
 * What a reader of a run relies on (its status, its steps and their names): a record without it
 * (`null`, `[]`, a partial object written by hand) is damage, named as such, never read field by
 * field into an internal error.
 */
function isRunRecord(value: unknown, runId: string): value is RunRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  if (record.run_id !== runId || typeof record.workflow !== 'string') return false;
  if (typeof record.status !== 'string' || !RUN_STATUSES.includes(record.status)) return false;
  if (typeof record.started_at !== 'string' || typeof record.updated_at !== 'string') return false;
  if (!Array.isArray(record.steps)) return false;
  return record.steps.every(
    (step) =>
      typeof step === 'object' &&
      step !== null &&
      typeof (step as StepRecord).name === 'string' &&
      typeof (step as StepRecord).status === 'string' &&
      STEP_STATUSES.includes((step as StepRecord).status),
  );
}

export function loadRun(sessionDir: string, workflow: string, runId: string): RunRecord {
  if (!/^run-[0-9A-Za-z-]{1,80}$/.test(runId))
    throw new WfsError('E_INVALID_INPUT', `Invalid run ID ${JSON.stringify(runId.slice(0, 80))}`);
  const file = path.join(runsDir(sessionDir, workflow), `${runId}.json`);
  const text = readTextIfExists(file);
  if (text === undefined) throw new WfsError('E_NOT_FOUND', `No run ${runId} of ${workflow} in this session`);
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    throw new WfsError(
      'E_CORRUPT',
      `The record of run ${runId} (${file}) is damaged: ${(error as Error).message}`,
      {
        details: { path: file },
      },
    );
  }
  if (!isRunRecord(record, runId))
    throw new WfsError(
      'E_CORRUPT',
      `The record of run ${runId} (${file}) is damaged: not a run record of ${workflow}`,
      {
        details: { path: file },
      },
    );
  return record;
}

/** Every run of a workflow in a session, newest first; damaged records are left out. */
export function listRuns(sessionDir: string, workflow: string): RunRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir(sessionDir, workflow));
  } catch {
    return [];
  }
  const runs: RunRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || !name.startsWith('run-')) continue;
    try {
      runs.push(loadRun(sessionDir, workflow, name.slice(0, -5)));
    } catch {
      // damaged: not resumable; wfs doctor reports it and moves it aside
    }
  }
  return runs.sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
}

/** The run `wfs run NAME` continues: the newest that neither completed nor failed. */
export function unfinishedRun(sessionDir: string, workflow: string): RunRecord | undefined {
  return listRuns(sessionDir, workflow).find((r) => r.status === 'running' || r.status === 'interrupted');
}

/**
 * The session's runs that neither completed nor failed, every workflow's: what `wfs context` shows
 * so an agent picks an interrupted run up. `running` may mean running now, elsewhere, or killed.
 */
export function unfinishedRuns(sessionDir: string): {
  workflow: string;
  run_id: string;
  status: RunRecord['status'];
  completed_steps: string[];
  updated_at: string;
  reason?: string;
}[] {
  let workflows: string[];
  try {
    workflows = fs.readdirSync(sessionLayout(sessionDir).runs);
  } catch {
    return [];
  }
  return workflows.flatMap((workflow) => {
    const run = unfinishedRun(sessionDir, workflow);
    if (run === undefined) return [];
    return [
      {
        workflow,
        run_id: run.run_id,
        status: run.status,
        completed_steps: run.steps.filter((s) => s.status === 'completed').map((s) => s.name),
        updated_at: run.updated_at,
        ...(run.reason ? { reason: run.reason } : {}),
      },
    ];
  });
}

/**
 * Whether the process a `running` record names is running it still: same host, same pid, same
 * start time (a record without one, from an older wfs, wants a node process on that pid). Another
 * host's runner cannot be seen from here: its record is trusted as dead, and a cross-session
 * workflow's lease is what keeps two hosts apart.
 */
export function runnerAlive(record: RunRecord): boolean {
  const runner = record.runner;
  if (record.status !== 'running' || runner === undefined || runner.pid === process.pid) return false;
  return processLiveness(runner, { program: 'node' }) === 'alive';
}

/** A step's command that still runs although the run that started it has ended or died. */
export interface StrayStepProcess {
  session_id: string;
  workflow: string;
  run_id: string;
  step: string;
  child: StepChild;
}

/**
 * The step commands of these sessions' runs that still run with no live runner (`wfs doctor`):
 * a killed `wfs run` leaves its step's command running on its own. Only steps that did not
 * complete (a completed step's command has exited; what it left running on purpose is its own),
 * only this host's, and only those whose start time proves them the ones recorded.
 */
export function strayStepProcesses(sessionDirs: readonly string[]): StrayStepProcess[] {
  const strays: StrayStepProcess[] = [];
  for (const dir of sessionDirs) {
    let workflows: string[];
    try {
      workflows = fs.readdirSync(sessionLayout(dir).runs);
    } catch {
      continue;
    }
    for (const workflow of workflows) {
      for (const run of listRuns(dir, workflow)) {
        if (run.status === 'completed' || runnerAlive(run)) continue;
        if (run.runner !== undefined && processLiveness(run.runner) === 'elsewhere') continue;
        for (const step of run.steps) {
          if (step.status === 'completed') continue;
          for (const child of step.children ?? []) {
            if (child.start_time === undefined || groupLiveness(child) !== 'alive') continue;
            strays.push({ session_id: run.session_id, workflow, run_id: run.run_id, step: step.name, child });
          }
        }
      }
    }
  }
  return strays;
}

/**
 * `wfs doctor`'s check of stray step commands, as findings: what runs, and how --fix stops it (or,
 * for another user's process, which this one may not signal, what its owner can do).
 */
export function strayStepFindings(
  sessionDirs: readonly string[],
): { message: string; repair?: () => string; manual?: string }[] {
  return strayStepProcesses(sessionDirs).map((stray) => {
    const { child } = stray;
    const ran = duration(Date.now() - Date.parse(child.started_at));
    const message = `${stray.session_id}: step ${stray.step} of ${stray.workflow} (${stray.run_id}) left pid ${child.pid} (${child.command}) running for ${ran}, though its run's process has ended`;
    if (!maySignal(child.pgid)) return { message, manual: `stop it as its owner: kill -TERM -${child.pgid}` };
    return { message, repair: () => stopStraySync(stray) };
  });
}

/** Stops a stray's whole process group (SIGTERM, then SIGKILL), waiting; says what it did. */
function stopStraySync(stray: StrayStepProcess): string {
  // Looked at again: it may have ended since it was found.
  if (groupLiveness(stray.child) !== 'alive') return `pid ${stray.child.pid} had ended meanwhile`;
  const outcome = stopGroupSync(stray.child);
  if (!outcome.stopped)
    throw new WfsError('E_IO', `Could not stop pid ${stray.child.pid}: ${outcome.problem}`);
  return `stopped pid ${stray.child.pid} and its process group${outcome.signal ? ` (${outcome.signal})` : ''}; wfs run ${stray.workflow} runs the step again`;
}

/** Workflow run records that cannot be read: such a run cannot be resumed, and is never hidden. */
export function checkRunRecords(report: CheckReporter, sessions: readonly LoadedSession[]): void {
  const damaged: string[] = [];
  for (const session of sessions) {
    const runsDir = sessionLayout(session.dir).runs;
    let workflows: string[];
    try {
      workflows = fs.readdirSync(runsDir);
    } catch {
      continue;
    }
    for (const workflow of workflows) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(path.join(runsDir, workflow));
      } catch {
        continue;
      }
      for (const name of names.filter((n) => n.startsWith('run-') && n.endsWith('.json'))) {
        const file = path.join(runsDir, workflow, name);
        try {
          JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch {
          damaged.push(file);
        }
      }
    }
  }
  if (damaged.length === 0) return;
  report.problem(
    'workflow-runs',
    `${damaged.length} damaged workflow run record(s), which cannot be resumed (${damaged
      .slice(0, 3)
      .map((f) => report.rel(f))
      .join(', ')})`,
    () => {
      for (const file of damaged) report.moveAside(file);
      return 'moved aside to .workflow/.backups/ (run those workflows afresh)';
    },
  );
}

/** Step commands a killed `wfs run` left running (their run's process is gone): --fix stops them. */
export function checkStepProcesses(report: CheckReporter, sessions: readonly LoadedSession[]): void {
  for (const stray of strayStepFindings(sessions.map((s) => s.dir)))
    report.problem('workflow-processes', stray.message, stray.repair, stray.manual);
}
