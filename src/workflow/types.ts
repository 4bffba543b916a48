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

export interface StepRecord {
  name: string;
  status: StepStatus;
  started_at: string;
  finished_at?: string;
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
  runner?: { pid: number; host: string };
  steps: StepRecord[];
  reason?: string;
  output?: unknown;
}

export interface WorkflowResult<Output> {
  status: 'completed' | 'skipped' | 'failed';
  run_id: string | null;
  steps: { name: string; status: StepStatus | 'skipped' }[];
  reason?: string;
  holder?: Holder;
  output?: Output;
  /** The run went on without coordination (policy run-unlocked), or was skipped or failed for its lack. */
  coordination?: 'locked' | 'unlocked' | 'off';
  conflicts?: ClaimConflict[];
  /** Steps not run again because a resumed run had completed them. */
  resumed_steps?: string[];
  warnings: string[];
}
