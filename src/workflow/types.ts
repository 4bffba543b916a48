import type { ClaimConflict, Holder } from '../coord/types.js';
import type { UnreachablePolicy } from '../core/config.js';

/** How a workflow meets other sessions (SPEC 6). */
export interface WorkflowOptions {
  /** Take the lease `workflow:<name>`, announce, share results (default false). */
  enableCrossSession?: boolean;
  /** The lease's TTL; it is renewed every third of it while the run goes on (default 60 s). */
  lockTtlMs?: number;
  /** When the backend cannot be reached (default: the project's `on_unreachable`). */
  onUnavailable?: UnreachablePolicy;
  /** The paths (globs) the workflow will change: overlaps with live sessions' claims are reported. */
  scope?: string[];
  /** What to do about an overlap: `warn` (default) goes on, `skip` and `fail` do not start. */
  onConflict?: 'warn' | 'skip' | 'fail';
}

export type StepStatus = 'running' | 'completed' | 'failed';

/** One figure of a run: a count, a percentage, a version, a file, the rules applied. */
export type Figure = string | number | boolean | null;
/**
 * What a run found, in a few named figures (`{ files: 84, links: 455, broken: 2 }`): in the
 * result whether the run completed or failed, printed by `wfs run` and in its `--json`.
 */
export type Figures = Record<string, Figure>;

/** A process as a run record names it: enough to find it again, and never to take another for it. */
export interface ProcessRecord {
  pid: number;
  host: string;
  /** Linux's boot ID: a pid of another boot is another process. Absent where there is none. */
  boot_id?: string;
  /**
   * Field 22 of /proc/<pid>/stat, when it started (clock ticks after boot): a reused pid has
   * another. Absent without /proc, where a pid cannot be told from its reuse.
   */
  start_time?: number;
}

/** A command a step runs, recorded before it can do anything (SPEC 6): a resume stops it if it still runs. */
export interface StepChild extends ProcessRecord {
  /** Its process group: it leads one of its own (its pid), signalled whole. */
  pgid: number;
  /** The command, as a person would write it (at most 200 characters). */
  command: string;
  started_at: string;
}

export interface StepRecord {
  name: string;
  status: StepStatus;
  started_at: string;
  finished_at?: string;
  /** The commands it started (one per `runCommand`), each recorded before it ran. */
  children?: StepChild[];
  /** What the step returned (JSON), replayed when a resumed run skips it. */
  output?: unknown;
  error?: string;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** A run's durable record: `<session>/.process/runs/<workflow>/<run_id>.json`. */
export interface RunRecord {
  run_id: string;
  workflow: string;
  session_id: string;
  status: RunStatus;
  started_at: string;
  updated_at: string;
  /** How many times the run was started (1, then +1 per resume). */
  attempts: number;
  /** The process running it (while `running`): a second process must not run the same steps. */
  runner?: ProcessRecord;
  steps: StepRecord[];
  reason?: string;
  output?: unknown;
  /** The figures the run reported (completed or failed). */
  figures?: Figures;
}

export interface WorkflowResult<Output> {
  status: 'completed' | 'skipped' | 'failed';
  run_id: string | null;
  steps: { name: string; status: StepStatus | 'skipped' }[];
  reason?: string;
  holder?: Holder;
  output?: Output;
  /** The figures the workflow reported (`ctx.reportFigures`), on completed and failed runs alike. */
  figures?: Figures;
  /** The run went on without coordination (policy run-unlocked), or was skipped or failed for its lack. */
  coordination?: 'locked' | 'unlocked' | 'off';
  conflicts?: ClaimConflict[];
  /** Steps not run again because a resumed run had completed them. */
  resumed_steps?: string[];
  warnings: string[];
}
