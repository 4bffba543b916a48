import { WfsError } from './errors.js';

/** Long enough for any real task statement; short enough that the registry stays an index. */
export const DESCRIPTION_MAX_LENGTH = 10_000;

// C0 controls, DEL and C1 controls, except tab, line feed and carriage return: they would corrupt a
// terminal when the description is printed (escape sequences) or a file when it is written (NUL).
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export function validateDescription(description: string | undefined): string {
  if (description === undefined || description.trim() === '') {
    throw new WfsError(
      'E_INVALID_INPUT',
      'A session description is required (e.g. wfs session start --new "add login page")',
    );
  }
  if (description.length > DESCRIPTION_MAX_LENGTH) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `Description too long: ${description.length} characters (at most ${DESCRIPTION_MAX_LENGTH})`,
    );
  }
  const control = FORBIDDEN_CONTROL.exec(description);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new WfsError(
      'E_INVALID_INPUT',
      `Description contains a control character (U+${code}) at position ${control.index}; only tab and newline are allowed`,
    );
  }
  return description.trim();
}

/** Makes text safe to print on a terminal: control characters are shown as escapes, not executed. */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A short text given with an option (`--tag`, `--lesson`): the rules of descriptions (no control
 * characters, which would drive a terminal when printed), one line, and a bound of its own.
 */
export function validateLabel(text: string, what: string, maxLength: number): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new WfsError('E_INVALID_INPUT', `${what} is empty`);
  if (trimmed.length > maxLength)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${what} is too long: ${trimmed.length} characters (at most ${maxLength})`,
    );
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(trimmed);
  if (control)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${what} contains a control character (U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')}) at position ${control.index}`,
    );
  return trimmed;
}
