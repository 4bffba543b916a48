import { WfsError } from './errors.js';
import type { SessionState, SessionStatus } from './session.js';

/**
 * The lifecycle rules of SPEC 2 as pure functions: each takes a state and the time, and returns the
 * next state or throws E_INVALID_STATE. The single active rule is enforced by the service, which
 * pauses the active session under the project lock before it activates another.
 */

function refuse(state: SessionState, action: string, allowed: readonly SessionStatus[]): never {
  throw new WfsError(
    'E_INVALID_STATE',
    `Cannot ${action} ${state.session_id}: it is ${state.status} (only ${allowed.join(' or ')} sessions can be ${action === 'archive' ? 'archived' : `${action}d`})`,
  );
}

export function activate(state: SessionState, now: string): SessionState {
  if (state.status === 'active') return state;
  if (state.status !== 'paused') refuse(state, 'activate', ['paused']);
  return { ...state, status: 'active', activated_at: now, resumed_at: now };
}

export function pause(state: SessionState, now: string): SessionState {
  if (state.status === 'paused') return state;
  if (state.status !== 'active') refuse(state, 'pause', ['active']);
  return { ...state, status: 'paused', paused_at: now };
}

export function complete(state: SessionState, now: string): SessionState {
  if (state.status === 'completed') return state;
  if (state.status !== 'active' && state.status !== 'paused') refuse(state, 'complete', ['active', 'paused']);
  return { ...state, status: 'completed', completed_at: now };
}

export function markArchived(state: SessionState, now: string): SessionState {
  if (state.status === 'archived') return state;
  if (state.status !== 'completed') refuse(state, 'archive', ['completed']);
  return { ...state, status: 'archived', archived_at: state.archived_at ?? now };
}

/** Open sessions live in `active/`: everything but archived. */
export function isOpen(status: SessionStatus): boolean {
  return status !== 'archived';
}
