import { announce } from '../coord/announce.js';
import type { ProjectContext } from './context.js';

export interface Announcement {
  type: string;
  session: string;
  data?: Record<string, unknown>;
}

/** Publishes what a committed change did; a failure becomes a warning in `warnings`. */
export async function announceAll(
  ctx: ProjectContext,
  warnings: string[],
  events: readonly Announcement[],
): Promise<void> {
  for (const event of events) {
    const warning = await announce(ctx, event.type, event.session, event.data ?? {});
    if (warning !== undefined) warnings.push(warning);
  }
}
