import type { ProjectContext } from '../session/context.js';
import { publish } from './local/events.js';
import { LocalCoordinator } from './local/leases.js';
import { coordinationDir } from './location.js';

/**
 * Publishes a session event after the change it reports is committed. The change stands whatever
 * happens here; if the announcement fails, the caller gets a warning to print, never silence.
 */
export async function announce(
  ctx: ProjectContext,
  type: string,
  session: string | null,
  data: Record<string, unknown> = {},
): Promise<string | undefined> {
  try {
    const coordinator = new LocalCoordinator(coordinationDir(ctx.layout.root));
    await publish(coordinator, { type, session, data });
    await coordinator.close();
    return undefined;
  } catch (error) {
    return `Could not announce ${type} for ${session ?? 'the project'}: ${(error as Error).message}`;
  }
}
