import path from 'node:path';
import { ExitCode } from '../../core/errors.js';
import { initProject } from '../../project/init.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project } from './shared.js';

export async function init(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const ctx = project(io, values);
  const result = await initProject(ctx, { force: values.force === true });
  out.warnAll(result.warnings);
  const relative = (file: string) => path.relative(io.cwd, file) || '.';
  if (out.json) {
    out.document({
      project_state: result.projectState,
      root: ctx.layout.root,
      tech_path: result.techPath,
      guidelines_path: result.guidelinesPath,
      written: result.written,
      backups: result.backups,
      warnings: result.warnings,
      tech: result.tech,
    });
    return ExitCode.ok;
  }
  const tech = result.tech;
  out.line(`PROJECT_STATE: ${result.projectState}`);
  const languages = tech.languages
    .slice(0, 4)
    .map((l) => `${l.name} ${l.files}`)
    .join(', ');
  out.line(
    `Project: ${tech.project_name} (${tech.primary_language ?? 'no programming language found'}; ${tech.file_count} files${tech.scan.truncated ? `, first ${tech.scan.limit} scanned` : ''})`,
  );
  if (languages) out.line(`Languages: ${languages}`);
  if (tech.frameworks.length) out.line(`Frameworks: ${tech.frameworks.join(', ')}`);
  if (tech.test_frameworks.length) out.line(`Test frameworks: ${tech.test_frameworks.join(', ')}`);
  const commands = Object.entries(tech.commands)
    .filter(([, c]) => c)
    .map(([name, c]) => `${name}: ${c}`);
  if (commands.length) out.line(`Commands: ${commands.join('; ')}`);
  for (const file of result.written) out.line(`Wrote ${relative(file)}`);
  for (const file of result.backups) out.line(`BACKUP: ${relative(file)}`);
  return ExitCode.ok;
}
