import { ExitCode, WfsError } from '../../core/errors.js';
import { printable } from '../../core/input.js';
import { contextMarkdown, contextSummary } from '../../views/context-summary.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project, stringOption } from './shared.js';

export async function context(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const format = stringOption(values, 'format') ?? (out.json ? 'json' : 'md');
  if (format !== 'md' && format !== 'json')
    throw new WfsError('E_INVALID_INPUT', 'Invalid format. Valid formats: md, json');
  const summary = await contextSummary(project(io, values));
  out.warnAll(summary.warnings);
  if (format === 'json' || out.json) out.document(summary);
  else io.stdout(printable(contextMarkdown(summary)));
  return ExitCode.ok;
}
