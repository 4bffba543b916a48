import { ExitCode } from '../../core/errors.js';
import { migrateProject } from '../../session/migrate.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project } from './shared.js';

export async function migrate(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const report = await migrateProject(project(io, values));
  out.warnAll(report.warnings);
  if (out.json) {
    out.document(report);
    return ExitCode.ok;
  }
  if (report.backup === null) {
    out.line('Nothing to migrate: .workflow/ already follows this version of wfs.');
    return ExitCode.ok;
  }
  out.line(`BACKUP: ${report.backup}`);
  for (const moved of report.moved) out.line(`MIGRATED: ${moved.from} -> ${moved.to} (${moved.status})`);
  for (const id of report.upgraded) out.line(`UPGRADED: ${id} to session_version 2.0`);
  for (const file of [...report.markers, ...report.removed])
    out.line(`REMOVED: ${file} (kept in the backup)`);
  out.line('Registry rebuilt.');
  return ExitCode.ok;
}
