import { checkAgentInstalls } from '../../agents/checks.js';
import { ExitCode } from '../../core/errors.js';
import { runDoctor } from '../../views/doctor.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project } from './shared.js';

/** `wfs doctor [--fix]`: exits 1 while problems remain. */
export async function doctor(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const fix = values.fix === true;
  const ctx = project(io, values);
  const report = await runDoctor(ctx, {
    fix,
    checks: [{ name: 'agents', run: (reporter) => checkAgentInstalls(reporter, ctx) }],
  });
  if (out.json) {
    out.document(report);
    return report.remaining > 0 ? ExitCode.failure : ExitCode.ok;
  }
  out.line(`wfs doctor: ${report.root} (${report.sessions} session${report.sessions === 1 ? '' : 's'})`);
  for (const finding of report.findings) {
    out.line(`${finding.severity === 'problem' ? 'PROBLEM' : 'INFO'} [${finding.check}] ${finding.message}`);
    if (finding.fixed) out.line(`  FIXED: ${finding.fixed}`);
    if (finding.manual) out.line(`  TO DO BY HAND: ${finding.manual}`);
  }
  if (report.problems === 0) out.line('RESULT: no problems');
  else if (!fix)
    out.line(
      `RESULT: ${report.problems} problem(s); wfs doctor --fix repairs ${report.findings.filter((f) => f.severity === 'problem' && !f.manual).length} of them`,
    );
  else out.line(`RESULT: ${report.problems} problem(s), ${report.fixed} fixed, ${report.remaining} left`);
  return report.remaining > 0 ? ExitCode.failure : ExitCode.ok;
}
