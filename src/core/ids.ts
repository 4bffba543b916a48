import { WfsError } from './errors.js';

export const SESSION_ID_PREFIX = 'WFS-';
const SLUG_MAX_LENGTH = 50;
const EMPTY_SLUG = 'session';

/**
 * SPEC 2: lower-case, every run of characters outside a-z0-9 becomes one `-`, leading and trailing
 * `-` dropped, cut to 50 characters (and a trailing `-` dropped again); empty becomes `session`.
 * Deliberately no Unicode folding: the contract says "outside a-z0-9", so `café` gives `caf`.
 */
export function slugify(description: string): string {
  const slug = description
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX_LENGTH)
    .replace(/-+$/g, '');
  return slug === '' ? EMPTY_SLUG : slug;
}

/** `WFS-<slug>` for the first session of a slug, then `WFS-<slug>-2`, `-3`, ... */
export function sessionIdFor(slug: string, ordinal: number): string {
  return ordinal <= 1 ? `${SESSION_ID_PREFIX}${slug}` : `${SESSION_ID_PREFIX}${slug}-${ordinal}`;
}

/**
 * Given the IDs that exist (open and archived), the first free ID for a slug. Existing IDs of the
 * form `WFS-<slug>-<n>` raise the next ordinal above the highest `n`, so a probe never walks
 * thousands of taken names one by one.
 */
export function nextFreeSessionId(slug: string, existing: Iterable<string>): string {
  const base = `${SESSION_ID_PREFIX}${slug}`;
  let baseTaken = false;
  let highest = 1;
  for (const id of existing) {
    if (id === base) {
      baseTaken = true;
    } else if (id.startsWith(`${base}-`)) {
      const rest = id.slice(base.length + 1);
      if (/^[0-9]{1,9}$/.test(rest)) highest = Math.max(highest, Number(rest));
    }
  }
  if (!baseTaken) return base;
  return sessionIdFor(slug, highest + 1);
}

// New IDs come from slugify (SPEC 2). Existing sessions may carry IDs other tools made, and must be
// usable in place: CCW's slug rule turns every character outside a-z0-9 into a `-` of its own and
// trims nothing (`WFS-redesign--settings-ui-`), older tools used upper case, `_` or `.`. Any of these
// names an existing session, as long as it cannot leave the session folder: only letters, digits,
// `-`, `_` and `.` (no `/`, `\`, NUL or space), no `..`, and no `.` first or last (a hidden name, or
// one Windows would trim into another).
const SESSION_ID_PATTERN = /^WFS-[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,118}[A-Za-z0-9_-])?$/;

/**
 * Validates a session ID typed by a user or an agent. Accepts the bare slug too (`my-task` means
 * `WFS-my-task`). Anything that could escape the session folder is refused before any file is touched.
 */
export function parseSessionId(input: string, source?: string): string {
  const candidate = input.startsWith(SESSION_ID_PREFIX) ? input : `${SESSION_ID_PREFIX}${input}`;
  // `WFS` alone is the prefix typed without a slug, not the slug "WFS".
  const bare = input.toUpperCase() === 'WFS' || input.toUpperCase() === SESSION_ID_PREFIX;
  if (bare || !isSessionFolderName(candidate)) {
    throw new WfsError(
      'E_INVALID_ID',
      `Invalid session ID ${JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}...` : input)}${source ? ` in ${source}` : ''}: expected WFS-<slug> (letters, digits and -)`,
    );
  }
  return candidate;
}

/** True for the name of an existing session's folder that every command can use (see above). */
export function isSessionFolderName(name: string): boolean {
  return SESSION_ID_PATTERN.test(name) && !name.includes('..');
}

/**
 * Ordinal comparison for IDs and ISO timestamps (ASCII). Not localeCompare: its first call loads
 * ICU collation data, ~15 ms of a CLI start.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
