import { ExitCode } from '../../core/errors.js';
import { parseSessionId } from '../../core/ids.js';
import { archiveCompletedSession, type CompleteResult, completeSession } from '../../session/archive.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { listOption, project } from './shared.js';

function printComplete(out: Output, result: CompleteResult): void {
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return;
  }
  if (result.resumed_archiving) out.line('Finished an interrupted archiving.');
  out.line(`SESSION_ID: ${result.session_id}`);
  out.line(`STATUS: ${result.status}`);
  if (result.archive_path) out.line(`ARCHIVE_PATH: ${result.archive_path}`);
}

export async function complete(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [id]: string[],
): Promise<number> {
  const result = await completeSession(
    project(io, values),
    id === undefined ? undefined : parseSessionId(id),
    {
      archive: values['no-archive'] !== true,
      tags: listOption(values, 'tag'),
      lessons: listOption(values, 'lesson'),
    },
  );
  printComplete(out, result);
  return ExitCode.ok;
}

export async function archive(io: CliIo, out: Output, values: OptionValues, [id]: string[]): Promise<number> {
  const result = await archiveCompletedSession(project(io, values), parseSessionId(id!), {
    tags: listOption(values, 'tag'),
    lessons: listOption(values, 'lesson'),
  });
  printComplete(out, result);
  return ExitCode.ok;
}
