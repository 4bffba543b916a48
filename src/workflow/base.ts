import { type KeptLease, keepLease } from '../coord/keep-lease.js';
import { coordinationSettings, openCoordinator } from '../coord/open.js';
import { decideUnreachable } from '../coord/policy.js';
import { thisHost } from '../coord/rules.js';
import type { Coordinator, Holder, Lease, SharedResult, Workspace } from '../coord/types.js';
import { isWfsError, WfsError } from '../core/errors.js';
import { isSessionFolderName } from '../core/ids.js';
import { sessionEnv } from '../session/exec.js';
import { readTarget } from '../session/target.js';
import { sessionDir, sessionLayout } from '../store/layout.js';
import { openProject, type ProjectContext } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import type { LoadedSession } from '../store/session-files.js';
import { workspaceOf } from '../store/workspace.js';
import { type CommandOutcome, type CommandRun, runCommand } from './command.js';
import { duration, groupLiveness, processLiveness, processRecord, stopGroup } from './processes.js';
import {
  listRuns,
  loadRun,
  newRunId,
  runnerAlive,
  saveRun,
  unfinishedRun,
  validateWorkflowName,
} from './runs.js';
import type { Figures, RunRecord, StepRecord, WorkflowOptions, WorkflowResult } from './types.js';

const DEFAULT_LOCK_TTL_MS = 60_000;
/** A shared result lives a day unless said otherwise: a new commit changes its key anyway. */
const DEFAULT_RESULT_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How one run goes (SPEC 6): where it runs and what it may do, given to `execute`. What a workflow
 * *is* (cross-session, scope, TTL, policies) is its definition, given to the constructor.
 */
export interface RunOptions {
  /** The project (default: the one around the working directory). */
  project?: ProjectContext;
  /** The session to run in (default: SPEC 2's resolution: $WFS_SESSION_ID, else the active one). */
  session?: string;
  /** Continue this run (default: the workflow's unfinished run in the session, if any). */
  resume?: string;
  /**
   * Aborting it interrupts the run: the running command is stopped with its whole group, the lease
   * released, and the run can be resumed. The CLI turns SIGINT, SIGTERM and SIGHUP into it (step
   * commands lead process groups of their own, out of reach of the terminal's Ctrl-C and hang-up).
   */
  signal?: AbortSignal;
  /** Where progress lines go (default: nowhere). */
  progress?: (event: ProgressEvent) => void;
  /** Let a workflow that offers a dry run (`offersDryRun`, e.g. release-prep) write its changes. */
  apply?: boolean;
  /** The lease's TTL for this run, instead of the definition's. */
  lockTtlMs?: number;
  /** Where the standard output of the commands steps run goes: ours (default), or our stderr (when stdout is for --json). */
  stdout?: 'inherit' | 'stderr';
}

export type ProgressEvent =
  | { kind: 'step-start'; step: string }
  | { kind: 'step-done'; step: string; ms: number }
  | { kind: 'step-failed'; step: string; ms: number; error: string }
  | { kind: 'step-skipped'; step: string }
  | { kind: 'note'; message: string };

/**
 * A command a step runs: what `runCommand` takes, less what the step gives it (its signal, its
 * record); the environment and where stdout goes default to the run's.
 */
export type StepCommand = Omit<CommandRun, 'signal' | 'onStarted' | 'stdout'> &
  Partial<Pick<CommandRun, 'stdout'>>;

/** What a step's function gets besides its signal. */
export interface StepHandle {
  /**
   * Runs a command for this step in a process group of its own, recorded in the run record before
   * it can do anything, and stopped with everything it started (SIGTERM, then SIGKILL) when the
   * run is interrupted or the step ends without it. A resumed run stops it first if it outlived
   * a killed run.
   */
  runCommand(command: StepCommand): Promise<CommandOutcome>;
}

/** What a workflow's `run` works with. */
export interface WorkflowContext {
  readonly runId: string;
  readonly project: ProjectContext;
  readonly session: LoadedSession;
  /** The run's options as given to `execute` (apply, stdout, ...). */
  readonly options: Readonly<RunOptions>;
  /**
   * The environment of the commands the run's steps start (SPEC 3's pre-execution protocol):
   * `WFS_ROOT`, `WFS_SESSION_ID`, `WFS_SESSION_DIR`, `WFS_SESSION_TYPE`, `WFS_PHASE`,
   * `WFS_OUTPUT_DIR`, plus `WFS_RUN_ID` and `WFS_WORKFLOW`. `step.runCommand` uses it by default.
   */
  readonly env: NodeJS.ProcessEnv;
  /** Aborted when the lease is lost or the run is interrupted: stop what you are doing. */
  readonly signal: AbortSignal;
  /**
   * A durable step: run once per run. Its status and output are recorded in the run record, so a
   * resumed run returns the recorded output instead of running it again. The output must be JSON.
   * Commands run through `step.runCommand`, so a killed run leaves none running unrecorded.
   */
  step<T>(name: string, fn: (signal: AbortSignal, step: StepHandle) => Promise<T> | T): Promise<T>;
  /** Shares a result with other sessions: bytes, or text as its UTF-8 (cross-session runs; otherwise a warning). */
  shareResult(key: string, value: string | Uint8Array, ttlMs?: number): Promise<void>;
  /** A result another session shared, if it is still live: its bytes (`value`) and, where they are UTF-8, `text`. */
  getSharedResult(key: string): Promise<SharedResult | undefined>;
  /** A line of progress for the person watching. */
  note(message: string): void;
  /** A warning that ends up in the result. */
  warn(message: string): void;
  /**
   * What the run found, in named figures (lower-case names; strings, numbers, booleans or null):
   * merged with those reported before, and in the result whether the run completes or fails, so
   * a check that fails still says how much it checked. Report them outside steps (a resumed run
   * replays steps, and runs the rest of `run` again).
   */
  reportFigures(figures: Figures): void;
}

class Stop extends Error {}

/**
 * A workflow (SPEC 6). Subclasses give a `name` and a `run(ctx, input)` made of `ctx.step`s.
 *
 * @example
 * ```ts
 * class Lint extends BaseWorkflow<void, { problems: number }> {
 *   readonly name = 'lint';
 *   protected async run(ctx: WorkflowContext) {
 *     const problems = await ctx.step('eslint', () => runEslint());
 *     return { problems };
 *   }
 * }
 * const result = await new Lint({ enableCrossSession: true, scope: ['src/**'] }).execute();
 * if (result.status === 'skipped') console.log('running elsewhere:', result.holder);
 * ```
 */
export abstract class BaseWorkflow<Input = void, Output = unknown> {
  abstract readonly name: string;
  readonly description: string = '';
  /** True for a workflow whose run is a dry run unless `apply` is given (release-prep). */
  readonly offersDryRun: boolean = false;

  /** The workflow's definition: what it is, the same for every run. */
  constructor(readonly options: WorkflowOptions = {}) {}

  protected abstract run(ctx: WorkflowContext, input: Input): Promise<Output>;

  /**
   * Runs the workflow in the session. Resolves (never rejects for the work itself) to `completed`,
   * `failed` (with the reason) or `skipped` (another session holds it, a conflict, or the backend
   * cannot be reached under the skip policy). Bad input (no session, an unknown run) rejects.
   */
  async execute(input: Input, options: RunOptions = {}): Promise<WorkflowResult<Output>> {
    validateWorkflowName(this.name);
    if (options.apply && !this.offersDryRun)
      throw new WfsError(
        'E_USAGE',
        `--apply is for workflows with a dry run (e.g. release-prep), not ${this.name}`,
      );
    const project = options.project ?? openProject();
    const { session, warnings } = await readTarget(project, options.session, {
      action: 'run a workflow in',
      refuseArchived: true,
      refuseCompleted: true,
    });
    let previous: RunRecord | undefined;
    if (options.resume !== undefined) {
      previous = loadRun(session.dir, this.name, options.resume);
      if (previous.status === 'completed')
        throw new WfsError(
          'E_INVALID_STATE',
          `Run ${previous.run_id} of ${this.name} has completed: nothing to resume`,
        );
    } else previous = unfinishedRun(session.dir, this.name);
    if (previous !== undefined && runnerAlive(previous)) {
      const runner = previous.runner!;
      return {
        status: 'skipped',
        run_id: previous.run_id,
        steps: previous.steps.map((s) => ({ name: s.name, status: s.status })),
        reason: `Run ${previous.run_id} of ${this.name} is running now (pid ${runner.pid} on ${runner.host})`,
        holder: { session: session.id, pid: runner.pid, host: runner.host },
        warnings,
      };
    }

    const run = new Run(this, options, project, session, previous, warnings);
    return run.go((ctx) => this.run(ctx, input));
  }
}

/** One execution of a workflow: coordination, the run record, the steps, and every way out. */
class Run<Output> {
  private readonly lockTtl: number;
  private coordinator: Coordinator | undefined;
  private kept: KeptLease | undefined;
  private lease: Lease | undefined;
  private claimTimer: NodeJS.Timeout | undefined;
  private readonly interrupt = new AbortController();
  private record!: RunRecord;
  private readonly resumed: string[] = [];
  private readonly namesUsed = new Set<string>();
  private coordination: WorkflowResult<Output>['coordination'];
  private env: NodeJS.ProcessEnv | undefined;
  private readonly figures: Figures = {};
  /** This run's workspace: the session in coordination is its ID in it (SPEC 2). */
  private get workspace(): Workspace {
    return workspaceOf(this.project.layout);
  }

  constructor(
    private readonly workflow: BaseWorkflow<never, Output> | BaseWorkflow<unknown, Output>,
    private readonly runOptions: RunOptions,
    private readonly project: ProjectContext,
    private readonly session: LoadedSession,
    private readonly previous: RunRecord | undefined,
    private readonly warnings: string[],
  ) {
    this.lockTtl = runOptions.lockTtlMs ?? workflow.options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    this.coordination = workflow.options.enableCrossSession ? 'locked' : 'off';
  }

  private get name(): string {
    return this.workflow.name;
  }

  private progress(event: Parameters<NonNullable<RunOptions['progress']>>[0]): void {
    this.runOptions.progress?.(event);
  }

  private result(
    status: WorkflowResult<Output>['status'],
    extra: Partial<WorkflowResult<Output>> = {},
  ): WorkflowResult<Output> {
    return {
      status,
      run_id: this.record?.run_id ?? null,
      steps: (this.record?.steps ?? []).map((s) => ({
        name: s.name,
        status: this.resumed.includes(s.name) ? 'skipped' : s.status,
      })),
      ...(this.coordination ? { coordination: this.coordination } : {}),
      ...(this.resumed.length > 0 ? { resumed_steps: [...this.resumed] } : {}),
      ...(Object.keys(this.figures).length > 0 ? { figures: { ...this.figures } } : {}),
      ...extra,
      warnings: this.warnings,
    };
  }

  private async announce(type: string, data: Record<string, unknown>): Promise<void> {
    if (this.coordinator === undefined) return;
    try {
      await this.coordinator.publish({
        type,
        session: this.session.id,
        workspace: this.workspace,
        data: { workflow: this.name, ...data },
      });
    } catch (error) {
      this.warnings.push(`Could not announce ${type}: ${(error as Error).message}`);
    }
  }

  /** Opens the backend and takes the lease; a result when the run must not start. */
  private async coordinate(): Promise<WorkflowResult<Output> | undefined> {
    const policy = this.workflow.options.onUnavailable ?? coordinationSettings(this.project).onUnreachable;
    try {
      this.coordinator = await openCoordinator(this.project);
      return await this.claimAndLock(this.coordinator);
    } catch (error) {
      // Only a backend that cannot be reached is the policy's to decide; anything else is an error.
      if (!isWfsError(error) || error.code !== 'E_UNREACHABLE') throw error;
      // Lost after connecting (while claiming or locking): go on, or not, without it.
      this.kept?.stop();
      if (this.claimTimer) clearInterval(this.claimTimer);
      await this.coordinator?.close().catch(() => {});
      this.coordinator = undefined;
      this.kept = undefined;
      this.lease = undefined;
      this.coordination = 'unlocked';
      if (policy === 'fail')
        return this.result('failed', { reason: `${error.message} (policy fail: not started)` });
      const decision = decideUnreachable(policy, error);
      if (decision.status === 'skipped') return this.result('skipped', { reason: decision.reason });
      this.warnings.push(decision.reason);
      return undefined;
    }
  }

  private async claimAndLock(c: Coordinator): Promise<WorkflowResult<Output> | undefined> {
    const options = this.workflow.options;
    if (options.scope !== undefined && options.scope.length > 0) {
      const conflicts = await c.claimPaths({
        session: this.session.id,
        workspace: this.workspace,
        paths: options.scope,
        ttlMs: this.lockTtl,
      });
      // Claims live as long as the lease: refreshed with it, gone soon after a crash.
      this.claimTimer = setInterval(
        () => {
          c.claimPaths({
            session: this.session.id,
            workspace: this.workspace,
            paths: options.scope!,
            ttlMs: this.lockTtl,
          }).catch(() => {});
        },
        Math.max(1, Math.floor(this.lockTtl / 3)),
      );
      this.claimTimer.unref();
      if (conflicts.length > 0) {
        await this.announce('conflict.detected', { conflicts });
        const described = conflicts.map((x) => `${x.ours} overlaps ${x.theirs} (${x.session})`).join('; ');
        const onConflict = options.onConflict ?? 'warn';
        if (onConflict === 'warn')
          this.warnings.push(`Conflicting changes declared by other sessions: ${described}`);
        else
          return this.result(onConflict === 'skip' ? 'skipped' : 'failed', {
            reason: `Conflicting changes declared by other sessions: ${described}`,
            conflicts,
          });
      }
    }
    const got = await c.acquire(`workflow:${this.name}`, {
      ttlMs: this.lockTtl,
      holder: { session: this.session.id, workspace: this.workspace },
    });
    if (got.status === 'held') {
      const gone = this.holderGone(got.current.holder);
      await this.announce('workflow.skipped', {
        holder: got.current.holder,
        ...(gone ? { holder_gone: true } : {}),
      });
      return this.result('skipped', {
        reason: gone
          ? this.goneHolderReason(got.current.expiresAt, gone.run)
          : 'Workflow already running in another session',
        holder: got.current.holder as Holder,
      });
    }
    this.lease = got.lease;
    this.kept = keepLease(c, got.lease, { ttlMs: this.lockTtl });
    return undefined;
  }

  /**
   * Whether the lease's holder is a process of this host that has provably ended (a dead pid, or
   * one that started at another time than its run records): the lease then outlives it until its
   * TTL. The run it held, when its record is found, gives the start time to judge by.
   */
  private holderGone(holder: Holder): { run: RunRecord | undefined } | undefined {
    if (holder.host !== thisHost()) return undefined;
    let run: RunRecord | undefined;
    if (holder.session !== null && isSessionFolderName(holder.session)) {
      const dir =
        holder.session === this.session.id
          ? this.session.dir
          : sessionDir(this.project.layout, holder.session, 'active');
      run = listRuns(dir, this.name).find(
        (r) => r.status === 'running' && r.runner?.pid === holder.pid && r.runner.host === holder.host,
      );
    }
    const identity = run?.runner ?? { pid: holder.pid, host: holder.host };
    return processLiveness(identity, { program: 'node' }) === 'gone' ? { run } : undefined;
  }

  private goneHolderReason(expiresAt: number, run: RunRecord | undefined): string {
    const until = new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
    const seconds = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
    const ours = run !== undefined && run.session_id === this.session.id;
    const then = ours
      ? `wfs run ${this.name}${this.runOptions.resume ? ` --resume ${run.run_id}` : ''} resumes run ${run.run_id}`
      : `wfs run ${this.name} can run it`;
    return `The process holding workflow:${this.name} has ended, but its lease lasts until ${until} (in ${seconds} s): then ${then}`;
  }

  /** Before each step: the lease must still be ours (a stopped process may have lost it unawares). */
  private async confirmLease(): Promise<void> {
    if (this.kept === undefined || this.coordinator === undefined) return;
    if (this.kept.signal.aborted) throw this.kept.signal.reason;
    let renewed: Lease | undefined;
    try {
      renewed = await this.coordinator.renew(this.kept.current(), this.lockTtl);
    } catch (error) {
      // A blip of the backend is not a lost lease: keepLease retries until the lease's own expiry
      // and aborts its signal only when it is really lost, which the next step checks again.
      if (isWfsError(error) && error.code === 'E_UNREACHABLE' && !this.kept.signal.aborted) return;
      throw error;
    }
    if (renewed === undefined)
      throw new WfsError(
        'E_LEASE_LOST',
        `The lease workflow:${this.name} was lost (it expired and another session may hold it)`,
      );
  }

  private save(): void {
    this.record.updated_at = new Date().toISOString();
    saveRun(this.session.dir, this.record);
  }

  /** The environment of step commands: the session's (as `wfs exec` gives it) and the run's. */
  private commandEnv(): NodeJS.ProcessEnv {
    if (this.env === undefined) {
      const outputDir = sessionLayout(this.session.dir).outputs;
      ensureDirectory(outputDir);
      this.env = {
        ...sessionEnv(this.project, this.project.env, this.session, this.session.dir, outputDir),
        WFS_RUN_ID: this.record.run_id,
        WFS_WORKFLOW: this.name,
      };
    }
    return this.env;
  }

  private context(signal: AbortSignal): WorkflowContext {
    return {
      runId: this.record.run_id,
      project: this.project,
      session: this.session,
      options: this.runOptions,
      env: this.commandEnv(),
      signal,
      // A step's own work is stopped only by an interruption; a lost lease stops the run before
      // the next step (SPEC 6), so a command half-done is not killed for it.
      step: (name, fn) => this.step(name, fn, signal, this.interrupt.signal),
      shareResult: async (key, value, ttlMs = DEFAULT_RESULT_TTL_MS) => {
        if (this.coordinator === undefined) {
          this.warnings.push(`Result ${key} not shared: this run has no coordination backend`);
          return;
        }
        const put = await this.coordinator.putResult({
          key,
          value,
          ttlMs,
          session: this.session.id,
          workspace: this.workspace,
        });
        await this.announce('result.shared', { key, bytes: put.value.length });
      },
      getSharedResult: async (key) => this.coordinator?.getResult(key),
      note: (message) => this.progress({ kind: 'note', message }),
      warn: (message) => {
        this.warnings.push(message);
      },
      reportFigures: (figures) => {
        for (const [name, value] of Object.entries(figures)) {
          if (!/^[a-z][a-z0-9_]{0,63}$/.test(name))
            throw new WfsError(
              'E_INVALID_INPUT',
              `Figure name ${JSON.stringify(name.slice(0, 80))}: lower-case letters, digits and _`,
            );
          if (value !== null && !['string', 'number', 'boolean'].includes(typeof value))
            throw new WfsError('E_INVALID_INPUT', `Figure ${name} is not a string, number, boolean or null`);
          this.figures[name] = value;
        }
      },
    };
  }

  private async step<T>(
    name: string,
    fn: (signal: AbortSignal, step: StepHandle) => Promise<T> | T,
    signal: AbortSignal,
    interrupt: AbortSignal,
  ): Promise<T> {
    if (this.namesUsed.has(name))
      throw new WfsError('E_INVALID_INPUT', `Step ${JSON.stringify(name)} appears twice in ${this.name}`);
    this.namesUsed.add(name);
    if (signal.aborted) throw signal.reason;
    const done = this.record.steps.find((s) => s.name === name && s.status === 'completed');
    if (done) {
      this.resumed.push(name);
      this.progress({ kind: 'step-skipped', step: name });
      return done.output as T;
    }
    await this.confirmLease();
    if (signal.aborted) throw signal.reason;
    const entry: StepRecord = { name, status: 'running', started_at: new Date().toISOString() };
    this.record.steps = [...this.record.steps.filter((s) => s.name !== name), entry];
    this.save();
    this.progress({ kind: 'step-start', step: name });
    const started = performance.now();
    // The step's own signal: the run's interruption, or the step's end while a command it started
    // still runs (a step that threw while another of its commands went on).
    const own = new AbortController();
    const forward = () => own.abort(interrupt.reason);
    interrupt.addEventListener('abort', forward, { once: true });
    const commands = new Set<Promise<CommandOutcome>>();
    const handle: StepHandle = {
      runCommand: (command) => {
        const running = runCommand({
          // Unless the step says otherwise: the session's environment, and our stdout (or stderr).
          env: { ...this.commandEnv(), WFS_STEP: name },
          ...command,
          stdout: command.stdout ?? this.runOptions.stdout ?? 'inherit',
          signal: own.signal,
          onStarted: (child) => {
            // Durable before the command runs: if this process is killed now, a resume finds it.
            entry.children = [...(entry.children ?? []), child];
            this.save();
          },
        });
        commands.add(running);
        void running.then(() => commands.delete(running));
        return running;
      },
    };
    const endCommands = async () => {
      interrupt.removeEventListener('abort', forward);
      if (commands.size === 0) return;
      own.abort(new Stop(`Step ${name} ended`));
      await Promise.allSettled([...commands]);
    };
    try {
      const output = await fn(own.signal, handle);
      await endCommands();
      // Recorded as JSON, so a resumed run gets exactly what it would have got.
      entry.output = output === undefined ? null : JSON.parse(JSON.stringify(output));
      entry.status = 'completed';
      entry.finished_at = new Date().toISOString();
      this.save();
      this.progress({ kind: 'step-done', step: name, ms: performance.now() - started });
      return output;
    } catch (error) {
      await endCommands();
      entry.status = 'failed';
      entry.error = (error as Error).message;
      entry.finished_at = new Date().toISOString();
      this.save();
      this.progress({ kind: 'step-failed', step: name, ms: performance.now() - started, error: entry.error });
      throw error;
    }
  }

  async go(body: (ctx: WorkflowContext) => Promise<Output>): Promise<WorkflowResult<Output>> {
    try {
      if (this.workflow.options.enableCrossSession) {
        const stop = await this.coordinate();
        if (stop !== undefined) return stop;
      }
      const now = new Date().toISOString();
      this.record = this.previous
        ? { ...this.previous, status: 'running', attempts: this.previous.attempts + 1, updated_at: now }
        : {
            run_id: newRunId(new Date()),
            workflow: this.name,
            session_id: this.session.id,
            status: 'running',
            started_at: now,
            updated_at: now,
            attempts: 1,
            steps: [],
          };
      delete this.record.reason;
      delete this.record.figures;
      this.record.runner = processRecord(process.pid);
      this.save();
      if (this.previous) this.progress({ kind: 'note', message: `Resuming run ${this.record.run_id}` });
      await this.announce('workflow.started', {
        run_id: this.record.run_id,
        resumed: this.previous !== undefined,
      });
      return await this.steps(body);
    } finally {
      await this.cleanUp();
    }
  }

  private async steps(body: (ctx: WorkflowContext) => Promise<Output>): Promise<WorkflowResult<Output>> {
    const signals = [this.interrupt.signal, ...(this.kept ? [this.kept.signal] : [])];
    const signal = AbortSignal.any(signals);
    // The caller's interruption (the CLI's signals) stops the running command's whole group.
    const outer = this.runOptions.signal;
    const onAbort = () =>
      this.interrupt.abort(
        new Stop(
          `Interrupted${typeof outer?.reason === 'string' ? ` by ${outer.reason}` : ''}: resume with wfs run ${this.name} --resume ${this.record.run_id}`,
        ),
      );
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.stopLeftovers();
      const output = await body(this.context(signal));
      this.record.status = 'completed';
      delete this.record.runner;
      this.record.output = output === undefined ? null : JSON.parse(JSON.stringify(output));
      this.keepFigures();
      this.save();
      await this.announce('workflow.completed', { run_id: this.record.run_id });
      return this.result('completed', { output });
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error;
      const lost = isWfsError(reason) && reason.code === 'E_LEASE_LOST';
      const interrupted = reason instanceof Stop;
      this.record.status = lost || interrupted ? 'interrupted' : 'failed';
      delete this.record.runner;
      this.record.reason = lost
        ? `${(reason as Error).message}; stopped before the next step. Resume with wfs run ${this.name} --resume ${this.record.run_id}`
        : (reason as Error).message;
      this.keepFigures();
      this.save();
      if (lost)
        await this.announce('lock.lost', { run_id: this.record.run_id, lock: `workflow:${this.name}` });
      await this.announce('workflow.failed', { run_id: this.record.run_id, reason: this.record.reason });
      return this.result('failed', { reason: this.record.reason });
    } finally {
      outer?.removeEventListener('abort', onAbort);
    }
  }

  private keepFigures(): void {
    if (Object.keys(this.figures).length > 0) this.record.figures = { ...this.figures };
  }

  /**
   * A resumed run first stops what its killed predecessor left running: the commands of steps that
   * did not complete, when they still run (same host, pid and start time), each whole group, and
   * says so. A command recorded on another host cannot be seen from here: said too, and the step
   * runs (the workflow's lease keeps two hosts apart).
   */
  private async stopLeftovers(): Promise<void> {
    if (this.previous === undefined) return;
    for (const step of this.record.steps) {
      if (step.status === 'completed') continue;
      for (const child of step.children ?? []) {
        const what = `${step.name}'s command from an earlier attempt (pid ${child.pid}: ${child.command})`;
        const liveness = groupLiveness(child);
        if (liveness === 'elsewhere') {
          this.warnings.push(
            `Step ${what} ran on ${child.host}, which cannot be seen from here: if it still runs there, it runs alongside this one`,
          );
          continue;
        }
        if (liveness === 'gone') continue;
        if (child.start_time === undefined) {
          this.warnings.push(
            `Step ${what} may still run: without /proc this system cannot tell it from a reused pid, so it was not stopped`,
          );
          continue;
        }
        const ran = duration(Date.now() - Date.parse(child.started_at));
        this.progress({
          kind: 'note',
          message: `Stopping step ${what}, running for ${ran}, before the step runs again`,
        });
        const outcome = await stopGroup(child);
        if (!outcome.stopped)
          throw new WfsError(
            'E_STEP_FAILED',
            `Step ${what} cannot be stopped (${outcome.problem}): not running step ${step.name} again alongside it`,
          );
        this.warnings.push(
          `Step ${what} was still running after ${ran}: stopped it${outcome.signal ? ` (${outcome.signal})` : ''} before running the step again`,
        );
      }
    }
  }

  /** Every exit path: stop renewing, release the lease and the claims, close the backend. */
  private async cleanUp(): Promise<void> {
    this.kept?.stop();
    if (this.claimTimer) clearInterval(this.claimTimer);
    const c = this.coordinator;
    if (c === undefined) return;
    try {
      if (this.lease) await c.release(this.kept?.current() ?? this.lease);
      if (this.workflow.options.scope?.length) await c.releaseClaims(this.session.id, this.workspace);
    } catch (error) {
      this.warnings.push(`Could not release workflow:${this.name}: ${(error as Error).message}`);
    } finally {
      await c.close();
    }
  }
}
