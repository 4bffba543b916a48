import type { ProjectContext } from '../store/project.js';

/**
 * The name a session has in coordination (presence, claims, lock holders, events). One place, so
 * that naming sessions per workspace (SPEC 2: an ID plus its workspace) changes only here.
 */
export function coordinationName(_ctx: ProjectContext, sessionId: string): string {
  return sessionId;
}
