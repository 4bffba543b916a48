import { WfsError } from './errors.js';
import { groupDigits } from './json-input.js';

/**
 * The one parser of the numbers people type into options: durations (`--ttl`, `--wait`,
 * `--lock-ttl`) in milliseconds, or with a unit (`500ms`, `30s`, `5m`, `2h`, `1d`), and counts
 * (`--limit`, `--since`). Every option of a kind says the same things in the same words: what it
 * takes, and, for a number that is one but out of range, the range.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface NumberBounds {
  /** How the value is named in errors: `--ttl`. */
  what: string;
  min: number;
  max: number;
}

function outOfRange(bounds: NumberBounds, unit: string): WfsError {
  return new WfsError(
    'E_INVALID_INPUT',
    `${bounds.what} is out of range: from ${groupDigits(bounds.min)} to ${groupDigits(bounds.max)}${unit}`,
  );
}

export function parseDuration(text: string, bounds: NumberBounds): number {
  const match = /^([0-9]+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null)
    throw new WfsError(
      'E_INVALID_INPUT',
      `${bounds.what} takes a whole number of milliseconds (or with a unit: 500ms, 30s, 5m, 2h, 1d), not ${JSON.stringify(text)}`,
    );
  const value = Number(match[1]) * UNITS[match[2] ?? 'ms']!;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max)
    throw outOfRange(bounds, ' ms');
  return value;
}

export function parseCount(text: string, bounds: NumberBounds): number {
  if (!/^[0-9]+$/.test(text.trim()))
    throw new WfsError('E_INVALID_INPUT', `${bounds.what} takes a whole number, not ${JSON.stringify(text)}`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) throw outOfRange(bounds, '');
  return value;
}
