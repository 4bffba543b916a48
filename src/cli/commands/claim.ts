import { describeMember } from '../../coord/entries.js';
import { ExitCode } from '../../core/errors.js';
import { claimSessionPaths, listPathClaims, releaseSessionPaths } from '../../session/claims.js';
import { workspaceOf } from '../../store/workspace.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project, stringOption } from './shared.js';

/**
 * `wfs claim PATH... [--ttl MS] [--strict]`: the paths the session will change; the live sessions
 * whose claims overlap them are reported (`CONFLICT:`), and with `--strict` an overlap claims
 * nothing and exits 4 (another session holds the work).
 */
export async function claim(io: CliIo, out: Output, values: OptionValues, paths: string[]): Promise<number> {
  const result = await claimSessionPaths(project(io, values), {
    paths,
    ...(typeof values.ttl === 'number' ? { ttlMs: values.ttl } : {}),
    ...(stringOption(values, 'session') === undefined ? {} : { session: stringOption(values, 'session') }),
    cwd: io.cwd,
    strict: values.strict === true,
  });
  out.warnAll(result.warnings);
  const held = result.conflicts.length > 0 && values.strict === true;
  if (out.json) out.document(result);
  else {
    for (const c of result.conflicts)
      out.line(`CONFLICT: ${c.ours} overlaps ${c.theirs}, claimed by ${c.label} until ${c.until}`);
    if (result.claimed) {
      out.line(`SESSION_ID: ${result.session_id}`);
      out.line(`CLAIMED: ${result.paths.join(' ')} (until ${result.expires_at})`);
    } else out.line(`NOT CLAIMED: ${paths.join(' ')} (--strict: another live session claims an overlap)`);
  }
  return held ? ExitCode.held : ExitCode.ok;
}

/** `wfs claim release [PATH...]`: the paths named, or all of the session's claims. */
export async function release(
  io: CliIo,
  out: Output,
  values: OptionValues,
  paths: string[],
): Promise<number> {
  const session = stringOption(values, 'session');
  const result = await releaseSessionPaths(project(io, values), {
    paths,
    cwd: io.cwd,
    ...(session === undefined ? {} : { session }),
  });
  out.warnAll(result.warnings);
  if (out.json) out.document(result);
  else {
    out.line(`SESSION_ID: ${result.session_id}`);
    out.line(`RELEASED: ${result.released.join(' ') || 'nothing'}`);
    if (result.paths.length > 0) out.line(`STILL CLAIMED: ${result.paths.join(' ')}`);
  }
  return ExitCode.ok;
}

/** `wfs claim list`: every session's claims, live or not, from every workspace on the backend. */
export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const ctx = project(io, values);
  const claims = await listPathClaims(ctx);
  const own = workspaceOf(ctx.layout);
  if (out.json) out.document({ claims });
  else if (claims.length === 0) out.line('No path claims.');
  else
    out.table(
      ['SESSION', 'LIVE', 'UNTIL', 'PATHS'],
      claims.map((c) => [describeMember(c, own), c.live ? 'yes' : 'no', c.expires_at, c.paths.join(' ')]),
    );
  return ExitCode.ok;
}
