import { RESULT_MAX_BYTES } from '../../coord/rules.js';
import { ExitCode } from '../../core/errors.js';
import {
  getSharedResult,
  listSharedResults,
  sharedResultDocument,
  shareResult,
} from '../../session/shared-work.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { numberOption, project } from './shared.js';

/** A result is worth reusing for a day unless said otherwise (a new commit changes its key anyway). */
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** `wfs results put KEY [--ttl MS]`: the value is read from stdin, byte for byte (text or not). */
export async function put(io: CliIo, out: Output, values: OptionValues, [key]: string[]): Promise<number> {
  const ctx = project(io, values);
  if (io.stdinIsTTY)
    io.stderr(`Reading the value of ${key} from the terminal; end it with Ctrl-D (or pipe it in).\n`);
  const value = io.readStdin(RESULT_MAX_BYTES, 'The result on stdin');
  const { result, warnings } = await shareResult(ctx, {
    key: key!,
    value,
    ttlMs: numberOption(values, 'ttl', DEFAULT_TTL_MS),
  });
  out.warnAll(warnings);
  if (out.json) out.document(sharedResultDocument(result, { withValue: false }));
  else
    out.line(`RESULT: ${result.key} (${sizeOf(result)}, until ${new Date(result.expires_at).toISOString()})`);
  return ExitCode.ok;
}

/**
 * `wfs results get KEY`: writes the value's bytes exactly as they were put; a missing (or expired)
 * key exits 1. With `--json` the value is its text, or its bytes in base64 (`encoding` says which).
 */
export async function get(io: CliIo, out: Output, values: OptionValues, [key]: string[]): Promise<number> {
  const result = await getSharedResult(project(io, values), key!);
  if (out.json) out.document(sharedResultDocument(result, { withValue: true }));
  else io.stdout(result.value);
  return ExitCode.ok;
}

export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const results = await listSharedResults(project(io, values));
  if (out.json) {
    out.document({ results: results.map((r) => sharedResultDocument(r, { withValue: false })) });
    return ExitCode.ok;
  }
  if (results.length === 0) out.line('No shared results.');
  else
    out.table(
      ['KEY', 'SESSION', 'BYTES', 'EXPIRES'],
      results.map((r) => [
        r.key,
        r.session ?? '-',
        // Marked, so a person does not expect text from `get`.
        r.text === undefined ? `${r.value.length} (binary)` : String(r.value.length),
        new Date(r.expires_at).toISOString(),
      ]),
    );
  return ExitCode.ok;
}

function sizeOf(result: { value: Buffer; text: string | undefined }): string {
  return `${result.value.length} bytes${result.text === undefined ? ', binary' : ''}`;
}
