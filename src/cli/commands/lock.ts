import { LocalCoordinator } from '../../coord/local/leases.js';
import { coordinationDir } from '../../coord/location.js';
import { validateLeaseName } from '../../coord/rules.js';
import type { LeaseInfo } from '../../coord/types.js';
import { WfsError } from '../../core/errors.js';
import type { ProjectContext } from '../../session/context.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { actingSession, project, stringOption } from './shared.js';

/** A shell script's lock outlives this process, so its default TTL is a minute, not seconds. */
const DEFAULT_TTL_MS = 60_000;

function milliseconds(values: OptionValues, name: string, fallback: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,9}$/.test(text))
    throw new WfsError(
      'E_INVALID_INPUT',
      `--${name} takes a whole number of milliseconds, not ${JSON.stringify(text)}`,
    );
  return Number(text);
}

function coordinator(ctx: ProjectContext): LocalCoordinator {
  return new LocalCoordinator(coordinationDir(ctx.layout.root));
}

function describe(lease: LeaseInfo): string {
  return `${lease.holder.session ?? 'no session'} (pid ${lease.holder.pid} on ${lease.holder.host}) until ${new Date(lease.expiresAt).toISOString()}`;
}

/** `wfs lock acquire NAME [--ttl MS] [--wait MS]`: exit 4 when another holds it. */
export async function acquire(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [name]: string[],
): Promise<number> {
  validateLeaseName(name!);
  const ctx = project(io, values);
  const c = coordinator(ctx);
  const result = await c.acquire(name!, {
    ttlMs: milliseconds(values, 'ttl', DEFAULT_TTL_MS),
    waitMs: milliseconds(values, 'wait', 0),
    holder: { session: actingSession(io, ctx) },
  });
  await c.close();
  if (result.status === 'held') {
    if (out.json)
      out.document({
        status: 'held',
        name: result.current.name,
        holder: result.current.holder,
        fence: result.current.fence,
        expires_at: new Date(result.current.expiresAt).toISOString(),
      });
    else out.line(`HELD: ${name} by ${describe(result.current)}`);
    return 4;
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
    return 0;
  }
  out.line(`LOCK: ${lease.name}`);
  out.line(`TOKEN: ${lease.token}`);
  out.line(`FENCE: ${lease.fence}`);
  out.line(`EXPIRES: ${new Date(lease.expiresAt).toISOString()}`);
  return 0;
}

/** `wfs lock release NAME --token T`: exit 0 only for `released`. */
export async function release(
  io: CliIo,
  out: Output,
  values: OptionValues,
  [name]: string[],
): Promise<number> {
  validateLeaseName(name!);
  const token = stringOption(values, 'token');
  if (token === undefined || token === '')
    throw new WfsError('E_USAGE', 'wfs lock release NAME --token T: the token printed by wfs lock acquire');
  const c = coordinator(project(io, values));
  const result = await c.release({ name: name!, token });
  await c.close();
  if (out.json) out.document({ result });
  else out.line(`RESULT: ${result}`);
  return result === 'released' ? 0 : 1;
}

/** `wfs lock list`: live locks of the project (tokens are never shown). */
export async function list(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const c = coordinator(project(io, values));
  const locks = await c.list();
  await c.close();
  if (out.json) {
    out.document({
      locks: locks.map((l) => ({
        name: l.name,
        fence: l.fence,
        expires_at: new Date(l.expiresAt).toISOString(),
        holder: l.holder,
      })),
    });
    return 0;
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
  return 0;
}
