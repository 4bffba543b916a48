import {
  type CoordinationSettings,
  parseConfig,
  resolveCoordination,
  type WfsConfig,
} from '../core/config.js';
import { readTextIfExists } from '../store/atomic.js';
import { type ProjectIdentity, projectIdentity } from '../store/identity.js';
import type { ProjectContext } from '../store/project.js';
import { LocalCoordinator } from './local/leases.js';
import { coordinationDir } from './location.js';
import type { Coordinator } from './types.js';

/** `.workflow/config.json`, read once per context (its memo): a bad file is the same error each time. */
export function readConfig(ctx: ProjectContext): WfsConfig {
  const { memo } = ctx;
  if (memo.config === undefined) {
    try {
      memo.config = { value: parseConfig(readTextIfExists(ctx.layout.configPath)) };
    } catch (error) {
      memo.config = { error };
    }
  }
  if ('error' in memo.config) throw memo.config.error;
  return memo.config.value;
}

/** Which backend this project uses, and how (SPEC 5); a bad setting is an E_INVALID_INPUT. */
export function coordinationSettings(ctx: ProjectContext): CoordinationSettings {
  return resolveCoordination(readConfig(ctx), ctx.env);
}

/** `fresh`: look the root commit up again rather than trust the one kept (wfs doctor). */
export function identityOf(ctx: ProjectContext, options: { fresh?: boolean } = {}): ProjectIdentity {
  return projectIdentity(ctx.layout.root, readConfig(ctx), ctx.env, options);
}

/**
 * The project's coordinator on the chosen backend. Redis (and ioredis with it) is loaded only when
 * chosen. A server that cannot be reached is an E_UNREACHABLE within the timeout; what to do then
 * is the caller's choice, by the project's policy (see policy.ts), never a silent fallback. A
 * refused password is an E_AUTH and a TLS failure an E_CONFIG: settings to correct, to which the
 * policy never applies.
 */
export async function openCoordinator(ctx: ProjectContext): Promise<Coordinator> {
  const settings = coordinationSettings(ctx);
  // The embedded backend is in the bundle: the lifecycle commands and `wfs context` use it on
  // every call, and loading it as a file of its own measured 4-6% slower for them.
  if (settings.backend === 'local') return new LocalCoordinator(coordinationDir(ctx.layout.root));
  const { RedisCoordinator } = await import('./redis/coordinator.js');
  return RedisCoordinator.connect({
    url: settings.redisUrl!,
    projectId: identityOf(ctx).id,
    timeoutMs: settings.timeoutMs,
    ...(settings.redisCluster === undefined ? {} : { cluster: settings.redisCluster }),
  });
}

/** Runs `fn` with the project's coordinator, closing it whatever happens. */
export async function withCoordinator<T>(
  ctx: ProjectContext,
  fn: (c: Coordinator) => Promise<T>,
): Promise<T> {
  const c = await openCoordinator(ctx);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
