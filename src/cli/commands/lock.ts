import { describeMember } from '../../coord/entries.js';
import type { LeaseInfo, Workspace } from '../../coord/types.js';
import { ExitCode, WfsError } from '../../core/errors.js';
import { acquireLock, listLocks, releaseLock } from '../../session/shared-work.js';
import { workspaceOf } from '../../store/workspace.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { numberOption, project, stringOption } from './shared.js';

/** A shell script's lock outlives this process, so its default TTL is a minute, not seconds. */
const DEFAULT_TTL_MS = 60_000;

function describe(lease: LeaseInfo, own: Workspace): string {
  return `${describeMember(lease.holder, own)} (pid ${lease.holder.pid} on ${lease.holder.host}) until ${new Date(lease.expiresAt).toISOString()}`;
}

/**
 * `wfs lock acquire NAME [--ttl MS] [--wait MS]`: exit 4 when another holds it. When the backend
 * cannot be reached, the project's policy decides, and the output says which it was: `fail` is an
 * ERROR (exit 1), `run-unlocked` a WARNING and `{"status": "unlocked"}` (exit 0, no token: the
 * script goes on unprotected because it was told to), `skip` `SKIPPED:` (exit 4).
 */
export async function acquire(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [name]: string[],
): Promise<number> {
  const ctx = project(io, values);
  const result = await acquireLock(ctx, {
    name: name!,
    ttlMs: numberOption(values, 'ttl', DEFAULT_TTL_MS),
    waitMs: numberOption(values, 'wait', 0),
  });
  if (result.status !== 'acquired' && result.status !== 'held') {
    if (result.status === 'unlocked') out.warn(result.reason);
    if (out.json) out.document({ status: result.status, name, policy: result.policy, reason: result.reason });
    else if (result.status === 'skipped') out.line(`SKIPPED: ${name}: ${result.reason}`);
    return result.status === 'unlocked' ? ExitCode.ok : ExitCode.held;
  }
  if (result.status === 'held') {
    if (out.json)
      out.document({
        status: 'held',
        name: result.current.name,
        holder: result.current.holder,
        fence: result.current.fence,
        expires_at: new Date(result.current.expiresAt).toISOString(),
      });
    else out.line(`HELD: ${name} by ${describe(result.current, workspaceOf(ctx.layout))}`);
    return ExitCode.held;
  }
  const lease = result.lease;
  if (out.json) {
    out.document({
      name: lease.name,
      token: lease.token,
      fence: lease.fence,
      expires_at: new Date(lease.expiresAt).toISOString(),
      holder: lease.holder,
    });
    return ExitCode.ok;
  }
  out.line(`LOCK: ${lease.name}`);
  out.line(`TOKEN: ${lease.token}`);
  out.line(`FENCE: ${lease.fence}`);
  out.line(`EXPIRES: ${new Date(lease.expiresAt).toISOString()}`);
  return ExitCode.ok;
}

/** `wfs lock release NAME --token T`: exit 0 only for `released`. */
export async function release(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [name]: string[],
): Promise<number> {
  const token = stringOption(values, 'token');
  if (token === undefined || token === '')
    throw new WfsError('E_USAGE', 'wfs lock release NAME --token T: the token printed by wfs lock acquire');
  const result = await releaseLock(project(io, values), { name: name!, token });
  if (out.json) out.document({ result });
  else out.line(`RESULT: ${result}`);
  return result === 'released' ? ExitCode.ok : ExitCode.failure;
}

/** `wfs lock list`: live locks of the project (tokens are never shown). */
export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const locks = await listLocks(project(io, values));
  if (out.json) {
    out.document({
      locks: locks.map((l) => ({
        name: l.name,
        fence: l.fence,
        expires_at: new Date(l.expiresAt).toISOString(),
        holder: l.holder,
      })),
    });
    return ExitCode.ok;
  }
  if (locks.length === 0) out.line('No locks held.');
  else
    out.table(
      ['NAME', 'HOLDER', 'PID', 'HOST', 'FENCE', 'EXPIRES'],
      locks.map((l) => [
        l.name,
        l.holder.session ?? '-',
        String(l.holder.pid),
        l.holder.host,
        String(l.fence),
        new Date(l.expiresAt).toISOString(),
      ]),
    );
  return ExitCode.ok;
}
