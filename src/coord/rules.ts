import os from 'node:os';
import { WfsError } from '../core/errors.js';
import type { Holder, Workspace } from './types.js';

/** Input rules shared by every coordination backend, so the embedded one and Redis agree. */

export const LEASE_MAX_TTL_MS = 24 * 60 * 60 * 1000;
const LEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9:._/@+-]{0,199}$/;

export function validateLeaseName(name: string): string {
  if (!LEASE_NAME.test(name) || name.includes('..')) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid lock name ${JSON.stringify(name.slice(0, 80))}: letters, digits and : . _ / @ + - (at most 200)`,
    );
  }
  return name;
}

export function validateTtl(ttlMs: number, max = LEASE_MAX_TTL_MS): number {
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > max) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid TTL ${ttlMs}: a whole number of milliseconds from 1 to ${max}`,
    );
  }
  return ttlMs;
}

/** This process's part of every lease token: pid, start time and random digits (other hosts share the server). */
let tokenPrefix: string | undefined;
let tokens = 0;

/**
 * A new lease token, never the same as another process's or call's: this process's part, a
 * counter, and 32 random bits. Integers in base 36, not random fractions: those cost ~1.5 µs a
 * token, a few per cent of a Redis acquire+release on loopback.
 */
export function leaseToken(): string {
  tokenPrefix ??= `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  tokens++;
  return `${tokenPrefix}${tokens.toString(36)}${((Math.random() * 0x100000000) >>> 0).toString(36)}`;
}

/**
 * How long an `acquire` with `waitMs` sleeps before asking again: backoff from 5 ms, never past
 * its deadline, and not much past the moment the holder's lease runs out.
 */
export function waitBeforeRetry(attempt: number, remainingMs: number, untilExpiryMs: number): Promise<void> {
  const delay = Math.max(1, Math.min(remainingMs, 5 * 1.5 ** Math.min(attempt, 8), untilExpiryMs + 1));
  return new Promise((resolve) => setTimeout(resolve, delay));
}

/** Results, presence and claims live at most a month: nothing shared should outlive that. */
export const ENTRY_MAX_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const RESULT_MAX_BYTES = 8 * 1024 * 1024;
const ENTRY_KEY = /^[A-Za-z0-9][A-Za-z0-9:._/@+=-]{0,299}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** An event is at most this many bytes of JSON; larger data is replaced by `{truncated: true}`. */
export const EVENT_MAX_BYTES = 4000;

/** A result key or a session name in presence and claims. */
export function validateEntryKey(value: string, what: string): string {
  if (!ENTRY_KEY.test(value) || value.includes('..')) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid ${what} ${JSON.stringify(value.slice(0, 80))}: letters, digits and : . _ / @ + = - (at most 300)`,
    );
  }
  return value;
}

/** A lone surrogate (half of a pair): the `u` flag makes a whole pair one code point, never matched. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * A result's value as the bytes that are stored: bytes as given, text as its UTF-8. The bound
 * counts bytes. Text with a lone surrogate has no UTF-8 form (encoding it would replace the
 * surrogate with U+FFFD, silently storing something else): refused, so the caller passes bytes.
 */
export function validateResultValue(value: string | Uint8Array): Buffer {
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
  if (size > RESULT_MAX_BYTES)
    throw new WfsError(
      'E_INVALID_INPUT',
      `A result is at most ${RESULT_MAX_BYTES} bytes (this one: ${size})`,
    );
  if (typeof value !== 'string') return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (LONE_SURROGATE.test(value))
    throw new WfsError(
      'E_INVALID_INPUT',
      'A result given as text must be well-formed Unicode (it has a lone surrogate, which has no UTF-8 bytes): pass its bytes instead',
    );
  return Buffer.from(value, 'utf8');
}

export function validateClaimPaths(paths: string[]): string[] {
  if (paths.length === 0 || paths.some((p) => p.trim() === '' || p.includes('\0') || p.length > 1_000)) {
    throw new WfsError('E_INVALID_INPUT', 'A claim needs at least one path or glob, none empty');
  }
  return paths;
}

/**
 * The event as it will be stored, without its ID (the backend assigns that). Data that would make
 * it longer than EVENT_MAX_BYTES is replaced by `{truncated: true}`, on both backends alike.
 */
export function shapeEvent(
  input: { type: string; session?: string | null; workspace?: Workspace; data?: Record<string, unknown> },
  host: string,
  at: Date,
): Omit<import('./types.js').WfsEvent, 'id'> {
  if (!EVENT_TYPE.test(input.type)) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid event type ${JSON.stringify(input.type)}: words joined by dots, e.g. session.started`,
    );
  }
  if (input.session != null) validateEntryKey(input.session, 'session');
  const workspace = validateWorkspace(input.workspace);
  const event = {
    type: input.type,
    at: at.toISOString(),
    session: input.session ?? null,
    ...(workspace ? { workspace } : {}),
    host,
    data: input.data ?? {},
  };
  // 40 bytes left for `"id":<16 digits>,` and the newline.
  if (Buffer.byteLength(JSON.stringify(event)) > EVENT_MAX_BYTES - 40) event.data = { truncated: true };
  return event;
}

let host: string | undefined;
/** This machine's name, asked once (os.hostname() is a system call; acquire runs thousands a second). */
export function thisHost(): string {
  host ??= os.hostname();
  return host;
}

/** A lease's holder: what the caller gave, this session-less process on this host otherwise. */
export function holderOf(given: Partial<Holder> | undefined): Holder {
  if (given?.session != null) validateEntryKey(given.session, 'session');
  const workspace = validateWorkspace(given?.workspace);
  return {
    session: given?.session ?? null,
    ...(workspace ? { workspace } : {}),
    host: given?.host ?? thisHost(),
    pid: given?.pid ?? process.pid,
  };
}

const WORKSPACE_ID = /^ws-[a-z0-9]{4,40}$/;
const NAME_MAX = 100;

/** A workspace given by a caller, checked: its ID has a fixed form, its name is printable and short. */
export function validateWorkspace(workspace: Workspace | undefined): Workspace | undefined {
  if (workspace === undefined) return undefined;
  if (!WORKSPACE_ID.test(workspace.id))
    throw new WfsError(
      'E_INVALID_INPUT',
      `Invalid workspace ID ${JSON.stringify(String(workspace.id).slice(0, 60))}`,
    );
  const name = String(workspace.name);
  if (name.length > NAME_MAX || /[\u0000-\u001f\u007f-\u009f]/.test(name))
    throw new WfsError('E_INVALID_INPUT', 'A workspace name is at most 100 printable characters');
  return { id: workspace.id, name };
}
