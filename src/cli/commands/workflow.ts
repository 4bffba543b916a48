import { ExitCode } from '../../core/errors.js';
import type { ProgressEvent } from '../../workflow/base.js';
import { findWorkflow, listWorkflows } from '../../workflow/catalog.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project, stringOption } from './shared.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Progress on stderr (stdout is for the result, and for one JSON document with --json). On a
 * terminal the running step's line shows its elapsed time, redrawn every 200 ms; otherwise plain
 * lines, one when a step starts and one when it ends (logs and agents read those).
 */
function progressPrinter(io: CliIo): (event: ProgressEvent) => void {
  let ticker: NodeJS.Timeout | undefined;
  const live = io.stderrIsTTY === true;
  const endLine = () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    if (live) io.stderr('\r\u001b[K');
  };
  return (event) => {
    switch (event.kind) {
      case 'step-start': {
        if (!live) {
          io.stderr(`STEP: ${event.step} ...\n`);
          break;
        }
        const started = performance.now();
        io.stderr(`STEP: ${event.step} ... 0.0 s`);
        ticker = setInterval(
          () => io.stderr(`\r\u001b[KSTEP: ${event.step} ... ${seconds(performance.now() - started)}`),
          200,
        );
        ticker.unref();
        break;
      }
      case 'step-done':
        endLine();
        io.stderr(`STEP: ${event.step} completed (${seconds(event.ms)})\n`);
        break;
      case 'step-failed':
        endLine();
        io.stderr(`STEP: ${event.step} failed (${seconds(event.ms)}): ${event.error}\n`);
        break;
      case 'step-skipped':
        io.stderr(`STEP: ${event.step} completed before, not run again\n`);
        break;
      case 'note':
        io.stderr(`NOTE: ${event.message}\n`);
        break;
    }
  };
}

/**
 * `wfs run WORKFLOW [--session ID] [--resume RUN] [--lock-ttl MS]`: exit 0 completed, 1 failed,
 * 4 skipped (SPEC 6). SIGINT/SIGTERM stop it at once (a running command is stopped too), the lease
 * is released, and the run can be resumed.
 */
export async function run(io: CliIo, out: Output, values: OptionValues, [name]: string[]): Promise<number> {
  const ctx = project(io, values);
  const lockTtl = values['lock-ttl'];
  const session = stringOption(values, 'session');
  const resume = stringOption(values, 'resume');
  const workflow = await findWorkflow(ctx, name!);
  // Signals become the run's AbortSignal: the library installs no handlers of its own. Step
  // commands lead process groups of their own, out of reach of the terminal's Ctrl-C and hang-up,
  // so the interruption is what stops them (with their whole group) and releases the lease.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => () => interrupt.abort(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(
    (signal) => [signal, onSignal(signal)] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);
  let result: Awaited<ReturnType<typeof workflow.execute>>;
  try {
    result = await workflow.execute(undefined, {
      project: ctx,
      ...(session ? { session } : {}),
      ...(resume ? { resume } : {}),
      ...(typeof lockTtl === 'number' ? { lockTtlMs: lockTtl } : {}),
      ...(values.apply === true ? { apply: true } : {}),
      signal: interrupt.signal,
      progress: progressPrinter(io),
      stdout: out.json ? 'stderr' : 'inherit',
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
  out.warnAll(result.warnings);
  const code =
    result.status === 'completed'
      ? ExitCode.ok
      : result.status === 'skipped'
        ? ExitCode.held
        : ExitCode.failure;
  if (out.json) {
    out.document({
      status: result.status,
      run_id: result.run_id,
      steps: result.steps,
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.holder ? { holder: result.holder } : {}),
      ...(result.coordination ? { coordination: result.coordination } : {}),
      ...(result.conflicts ? { conflicts: result.conflicts } : {}),
      ...(result.resumed_steps ? { resumed_steps: result.resumed_steps } : {}),
      ...(result.figures ? { figures: result.figures } : {}),
    });
    return code;
  }
  if (result.status === 'skipped') {
    const holder = result.holder
      ? ` (held by ${result.holder.session ?? 'no session'}, pid ${result.holder.pid} on ${result.holder.host})`
      : '';
    out.line(`SKIPPED: ${result.reason}${holder}`);
  } else if (result.status === 'failed') io.stderr(`ERROR: ${result.reason}\n`);
  // The figures are the run's result, as RESULT is: on stdout, one `NAME: value` line each.
  for (const [name, value] of Object.entries(result.figures ?? {}))
    out.line(`${name.toUpperCase()}: ${value === null ? 'none' : String(value)}`);
  if (result.run_id) out.line(`RUN_ID: ${result.run_id}`);
  out.line(`RESULT: ${result.status}`);
  return code;
}

/** `wfs workflow list`: the workflows this project can run; a broken declaration is listed with its problem. */
export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const workflows = await listWorkflows(project(io, values));
  if (out.json) {
    out.document({ workflows });
    return ExitCode.ok;
  }
  if (workflows.length === 0) {
    out.line('No workflows: declare one in .workflow/workflows/NAME.json (see docs/workflows.md)');
    return ExitCode.ok;
  }
  out.table(
    ['NAME', 'CROSS-SESSION', 'SOURCE', 'DOES'],
    workflows.map((w) => [
      w.name,
      w.problem ? 'BROKEN' : w.cross_session ? 'yes' : 'no',
      w.source,
      w.problem ? w.problem : w.description || `steps: ${w.steps.join(', ')}`,
    ]),
  );
  return ExitCode.ok;
}
