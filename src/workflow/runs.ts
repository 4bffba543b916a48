import fs from 'node:fs';
import path from 'node:path';
import { WfsError } from '../core/errors.js';
import { readTextIfExists, writeJsonAtomic } from '../store/atomic.js';
import { uniqueSuffix } from '../store/unique.js';
import type { RunRecord } from './types.js';

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
  return path.join(sessionDir, '.process', 'runs', workflow);
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

export function loadRun(sessionDir: string, workflow: string, runId: string): RunRecord {
  if (!/^run-[0-9A-Za-z-]{1,80}$/.test(runId))
    throw new WfsError('E_INVALID_INPUT', `Invalid run ID ${JSON.stringify(runId.slice(0, 80))}`);
  const text = readTextIfExists(path.join(runsDir(sessionDir, workflow), `${runId}.json`));
  if (text === undefined) throw new WfsError('E_NOT_FOUND', `No run ${runId} of ${workflow} in this session`);
  try {
    return JSON.parse(text) as RunRecord;
  } catch (error) {
    throw new WfsError('E_CORRUPT', `The record of run ${runId} is damaged: ${(error as Error).message}`);
  }
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
    workflows = fs.readdirSync(path.join(sessionDir, '.process', 'runs'));
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
 * Whether the process a `running` record names is running it still: same host, and a live node
 * process of that pid. (A pid reused by some other program is not taken for it: its command line
 * must be node's. Another host's runner cannot be seen from here: its record is trusted as dead,
 * and a cross-session workflow's lease is what keeps two hosts apart.)
 */
export function runnerAlive(record: RunRecord, host: string): boolean {
  const runner = record.runner;
  if (record.status !== 'running' || runner === undefined || runner.host !== host) return false;
  if (runner.pid === process.pid) return false;
  try {
    process.kill(runner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return fs.readFileSync(`/proc/${runner.pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc: the pid alone says so
  }
}
