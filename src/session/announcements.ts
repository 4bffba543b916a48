import { openCoordinator } from '../coord/open.js';
import type { Coordinator, Workspace } from '../coord/types.js';
import type { ProjectContext } from '../store/project.js';
import { readSessionAt } from '../store/session-files.js';
import { workspaceOf } from '../store/workspace.js';
import { liveConversationsOn } from './binding.js';

export interface Announcement {
  type: string;
  session: string;
  data?: Record<string, unknown>;
}

/**
 * How long a session counts as live after its last heartbeat. The CLI is not a daemon: a session
 * says it is alive whenever it starts, is resumed or activated, and whenever `wfs context` runs
 * for it (an agent calls that every turn), and `wfs exec` keeps it alive while its command runs.
 * Half an hour without any of these and the session is shown as gone.
 */
export const SESSION_PRESENCE_TTL_MS = 30 * 60 * 1000;

/** Events after which a session is live, and after which it is not (its claims go with it). */
const MAKES_LIVE = new Set(['session.started', 'session.resumed', 'session.activated']);
const ENDS_LIVE = new Set(['session.paused', 'session.completed', 'session.archived']);

/** What the presence of a session run from the shell names as its process: the one that ran wfs. */
export function callerPid(): number {
  return process.ppid;
}

/**
 * A paused session that an agent conversation is still working on (another conversation started or
 * activated a session, which pauses the active one: SPEC 2's single active rule) stays live, with
 * its claims: that conversation's edits still collide with the others'.
 */
function stillWorkedOn(ctx: ProjectContext, event: Announcement): boolean {
  if (event.type !== 'session.paused') return false;
  const read = readSessionAt(ctx.layout, event.session, 'active');
  return read.kind === 'ok' && liveConversationsOn(ctx.layout, read.state, ctx.clock().getTime()).length > 0;
}

async function keepPresence(
  ctx: ProjectContext,
  c: Coordinator,
  event: Announcement,
  workspace: Workspace,
): Promise<void> {
  if (MAKES_LIVE.has(event.type))
    await c.heartbeat({
      session: event.session,
      workspace,
      ttlMs: SESSION_PRESENCE_TTL_MS,
      pid: callerPid(),
    });
  else if (ENDS_LIVE.has(event.type) && !stillWorkedOn(ctx, event)) await c.leave(event.session, workspace);
}

/**
 * Publishes what a committed change did, and keeps the sessions' presence in step with it. The
 * change stands whatever happens here: a failure (the backend cannot be reached, say) becomes a
 * warning in `warnings` for the caller to print, never silence.
 */
export async function announceAll(
  ctx: ProjectContext,
  warnings: string[],
  events: readonly Announcement[],
): Promise<void> {
  if (events.length === 0) return;
  const all = events.map((e) => `${e.type} for ${e.session}`).join(', ');
  let c: Coordinator;
  try {
    c = await openCoordinator(ctx);
  } catch (error) {
    warnings.push(`Could not announce ${all}: ${(error as Error).message}`);
    return;
  }
  // A session in coordination is its ID in this workspace (SPEC 2).
  const workspace = workspaceOf(ctx.layout);
  try {
    // One lock cycle for all of it on the embedded backend: session start runs this every time.
    await c.batch(async () => {
      for (const event of events) {
        try {
          await c.publish({ type: event.type, session: event.session, workspace, data: event.data ?? {} });
          await keepPresence(ctx, c, event, workspace);
        } catch (error) {
          warnings.push(`Could not announce ${event.type} for ${event.session}: ${(error as Error).message}`);
        }
      }
    });
  } catch (error) {
    warnings.push(`Could not announce ${all}: ${(error as Error).message}`);
  } finally {
    await c.close();
  }
}

/**
 * Keeps a session live while a long command runs for it (`wfs exec`): a heartbeat now and every
 * third of the TTL, so one late timer never lets it drop out. A failure is reported through
 * `warn` once, never silently ignored. Returns the function that stops it.
 */
export async function keepPresent(
  ctx: ProjectContext,
  session: string,
  warn: (message: string) => void,
): Promise<() => Promise<void>> {
  let c: Coordinator;
  try {
    c = await openCoordinator(ctx);
  } catch (error) {
    warn(`Could not keep ${session} among the live sessions: ${(error as Error).message}`);
    return async () => {};
  }
  let warned = false;
  const beat = async () => {
    try {
      await c.heartbeat({
        session,
        workspace: workspaceOf(ctx.layout),
        ttlMs: SESSION_PRESENCE_TTL_MS,
        pid: process.pid,
      });
    } catch (error) {
      if (!warned) warn(`Could not keep ${session} among the live sessions: ${(error as Error).message}`);
      warned = true;
    }
  };
  await beat();
  const timer = setInterval(beat, SESSION_PRESENCE_TTL_MS / 3);
  return async () => {
    clearInterval(timer);
    await c.close();
  };
}
