import { ExitCode } from '../../core/errors.js';
import { parseSessionId } from '../../core/ids.js';
import { HANDOFF_MAX_BYTES, parseJsonObject, parsePhase, parseTrigger } from '../../core/phase.js';
import { changeSessionPhase, saveCheckpoint } from '../../session/state.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project, stringOption } from './shared.js';

export function sessionOption(values: OptionValues): string | undefined {
  const id = stringOption(values, 'session');
  return id === undefined ? undefined : parseSessionId(id);
}

export async function phase(io: CliIo, out: Output, values: OptionValues, [to]: string[]): Promise<number> {
  const target = parsePhase(to);
  const handoff = parseJsonObject(stringOption(values, 'handoff'), '--handoff', HANDOFF_MAX_BYTES);
  const trigger = stringOption(values, 'trigger');
  const session = sessionOption(values);
  const result = await changeSessionPhase(project(io, values), {
    to: target,
    ...(trigger ? { trigger } : {}),
    ...(handoff ? { handoff } : {}),
    ...(session ? { session } : {}),
  });
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return ExitCode.ok;
  }
  out.line(`SESSION_ID: ${result.session_id}`);
  out.line(`PHASE: ${result.phase}${result.changed ? ` (from ${result.from})` : ' (unchanged)'}`);
  if (result.checkpoint) out.line(`CHECKPOINT: ${result.checkpoint.id}`);
  return ExitCode.ok;
}

export async function checkpoint(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const trigger = parseTrigger(stringOption(values, 'trigger'), 'manual');
  const data = parseJsonObject(stringOption(values, 'data'), '--data');
  const session = sessionOption(values);
  const result = await saveCheckpoint(project(io, values), {
    trigger,
    ...(data ? { data } : {}),
    ...(session ? { session } : {}),
  });
  out.warnAll(result.warnings);
  if (out.json) {
    out.document(result);
    return ExitCode.ok;
  }
  out.line(`SESSION_ID: ${result.session_id}`);
  out.line(`CHECKPOINT: ${result.checkpoint!.id} (${result.checkpoint!.trigger}, ${result.phase})`);
  return ExitCode.ok;
}
