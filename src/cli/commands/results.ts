import { RESULT_MAX_BYTES } from '../../coord/rules.js';
import { ExitCode } from '../../core/errors.js';
import { getSharedResult, listSharedResults, shareResult } from '../../session/shared-work.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { numberOption, project } from './shared.js';

/** A result is worth reusing for a day unless said otherwise (a new commit changes its key anyway). */
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** `wfs results put KEY [--ttl MS]`: the value is read from stdin, byte for byte. */
export async function put(io: CliIo, out: Output, values: OptionValues, [key]: string[]): Promise<number> {
  const ctx = project(io, values);
  if (io.stdinIsTTY)
    io.stderr(`Reading the value of ${key} from the terminal; end it with Ctrl-D (or pipe it in).\n`);
  const value = io.readStdin(RESULT_MAX_BYTES, 'The result on stdin').toString('utf8');
  const { result, warnings } = await shareResult(ctx, {
    key: key!,
    value,
    ttlMs: numberOption(values, 'ttl', DEFAULT_TTL_MS),
  });
  out.warnAll(warnings);
  if (out.json)
    out.document({
      key: result.key,
      session: result.session,
      put_at: result.put_at,
      expires_at: new Date(result.expires_at).toISOString(),
      bytes: Buffer.byteLength(value),
    });
  else
    out.line(
      `RESULT: ${result.key} (${Buffer.byteLength(value)} bytes, until ${new Date(result.expires_at).toISOString()})`,
    );
  return ExitCode.ok;
}

/** `wfs results get KEY`: prints the value exactly as it was put; a missing (or expired) key exits 1. */
export async function get(io: CliIo, out: Output, values: OptionValues, [key]: string[]): Promise<number> {
  const result = await getSharedResult(project(io, values), key!);
  if (out.json)
    out.document({
      key: result.key,
      value: result.value,
      session: result.session,
      put_at: result.put_at,
      expires_at: new Date(result.expires_at).toISOString(),
    });
  else io.stdout(result.value);
  return ExitCode.ok;
}

export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const results = await listSharedResults(project(io, values));
  if (out.json) {
    out.document({
      results: results.map((r) => ({
        key: r.key,
        session: r.session,
        put_at: r.put_at,
        expires_at: new Date(r.expires_at).toISOString(),
        bytes: Buffer.byteLength(r.value),
      })),
    });
    return ExitCode.ok;
  }
  if (results.length === 0) out.line('No shared results.');
  else
    out.table(
      ['KEY', 'SESSION', 'BYTES', 'EXPIRES'],
      results.map((r) => [
        r.key,
        r.session ?? '-',
        String(Buffer.byteLength(r.value)),
        new Date(r.expires_at).toISOString(),
      ]),
    );
  return ExitCode.ok;
}
