import { WfsError } from './errors.js';

/**
 * JSON that arrives from outside (options, stdin, hook payloads) is bounded before memory grows
 * with it (SPEC 4): its size first, then its nesting, then it is parsed. Deep nesting is checked by
 * a scan of the text, not by the parser: JSON.parse builds what it reads, and what wfs does with
 * the value afterwards (validation, printing) recurses, which is where 20,000 levels ran out of
 * stack as an internal error.
 */
export interface JsonBounds {
  /** How the input is named in errors: `--data`, `the todo list on stdin`. */
  what: string;
  maxBytes: number;
  /** Arrays and objects inside one another. */
  maxDepth: number;
}

/** Far deeper than any real option or payload: TodoWrite lists are 3 deep, hook payloads under 10. */
export const DEFAULT_MAX_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of the text, stopping as soon as it passes `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** 1234567 -> "1,234,567" (not toLocaleString: its first call loads ICU data, milliseconds of a CLI start). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function checkJsonBounds(text: string, bounds: JsonBounds): void {
  // Length in UTF-16 units first: a string can only be longer in bytes, so this is a cheap reject.
  if (text.length > bounds.maxBytes || Buffer.byteLength(text) > bounds.maxBytes)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${bounds.what} is too large: at most ${groupDigits(bounds.maxBytes)} bytes`,
    );
  if (nestingDepth(text, bounds.maxDepth) > bounds.maxDepth)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${bounds.what} is nested too deeply: at most ${bounds.maxDepth} levels of arrays and objects`,
    );
}

/** Parses JSON from outside within its bounds; every failure is an E_INVALID_INPUT naming it. */
export function parseBoundedJson(text: string, bounds: JsonBounds): unknown {
  checkJsonBounds(text, bounds);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WfsError('E_INVALID_INPUT', `${bounds.what} is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The same bounds for a value handed over in-process (a library caller's object): its JSON text is
 * what gets stored. Too deep a value makes JSON.stringify run out of stack: that is bad input too.
 */
export function checkValueBounds(value: unknown, bounds: JsonBounds): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new WfsError(
      'E_INVALID_INPUT',
      error instanceof RangeError
        ? `${bounds.what} is nested too deeply: at most ${bounds.maxDepth} levels of arrays and objects`
        : `${bounds.what} cannot be stored as JSON (${(error as Error).message})`,
    );
  }
  if (text !== undefined) checkJsonBounds(text, bounds);
}
