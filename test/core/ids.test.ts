import { describe, expect, it } from 'vitest';
import { WfsError } from '../../src/core/errors.js';
import { nextFreeSessionId, parseSessionId, slugify } from '../../src/core/ids.js';

describe('slugify (SPEC 2)', () => {
  it.each([
    ['Add login page', 'add-login-page'],
    ['  Fix: the   API -- v2!! ', 'fix-the-api-v2'],
    ['UPPER_case.and/slashes\\too', 'upper-case-and-slashes-too'],
    ['---', 'session'],
    ['', 'session'],
    ['日本語のタスク', 'session'],
    ['café au lait', 'caf-au-lait'],
    ['tab\tand\nnewline', 'tab-and-newline'],
    ['../../etc/passwd', 'etc-passwd'],
  ])('%j -> %s', (description, slug) => {
    expect(slugify(description)).toBe(slug);
  });

  it('cuts to 50 characters and drops a trailing dash again', () => {
    const description = `${'a'.repeat(49)} bcd`;
    expect(slugify(description)).toBe('a'.repeat(49));
    expect(slugify('x'.repeat(80))).toHaveLength(50);
  });

  it('handles a megabyte of input', () => {
    expect(slugify('word '.repeat(200_000))).toHaveLength(49);
  });
});

describe('nextFreeSessionId', () => {
  it('uses the bare slug first, then -2, -3 above the highest taken', () => {
    expect(nextFreeSessionId('a', [])).toBe('WFS-a');
    expect(nextFreeSessionId('a', ['WFS-a'])).toBe('WFS-a-2');
    expect(nextFreeSessionId('a', ['WFS-a', 'WFS-a-2', 'WFS-a-7'])).toBe('WFS-a-8');
    expect(nextFreeSessionId('a', ['WFS-a-2'])).toBe('WFS-a');
    expect(nextFreeSessionId('a', ['WFS-a', 'WFS-ab', 'WFS-a-b'])).toBe('WFS-a-2');
  });
});

describe('parseSessionId', () => {
  it('accepts IDs and bare slugs', () => {
    expect(parseSessionId('WFS-add-login')).toBe('WFS-add-login');
    expect(parseSessionId('add-login')).toBe('WFS-add-login');
    expect(parseSessionId('WFS-Old_Style.v1')).toBe('WFS-Old_Style.v1');
  });

  it.each([
    '../x',
    'WFS-../x',
    'WFS-a/b',
    'WFS-a\\b',
    'WFS-a\0b',
    '',
    'WFS-',
    'WFS-..',
    '/etc',
    'WFS-a b',
    `WFS-${'a'.repeat(200)}`,
  ])('refuses %j', (input) => {
    expect(() => parseSessionId(input)).toThrow(WfsError);
    try {
      parseSessionId(input);
    } catch (error) {
      expect((error as WfsError).code).toBe('E_INVALID_ID');
      expect((error as WfsError).exitCode).toBe(2);
    }
  });
});
