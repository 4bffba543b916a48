import { describe, expect, it } from 'vitest';
import { leastCovered, parseIstanbulSummary, parseLcov } from '../../src/workflow/builtin/coverage-report.js';

describe('coverage reports', () => {
  it('LCOV: totals summed over records, per-file lines, paths made relative', () => {
    const report = parseLcov(
      [
        'TN:',
        'SF:/repo/src/a.js',
        'FNF:3',
        'FNH:1',
        'BRF:2',
        'BRH:1',
        'LF:10',
        'LH:5',
        'end_of_record',
        'SF:src/b.js',
        'FNF:1',
        'FNH:1',
        'LF:4',
        'LH:4',
        'end_of_record',
        '',
      ].join('\n'),
      '/repo',
    );
    expect(report.totals).toEqual({
      lines: { covered: 9, total: 14, pct: 64.29 },
      functions: { covered: 2, total: 4, pct: 50 },
      branches: { covered: 1, total: 2, pct: 50 },
    });
    expect(leastCovered(report).map((f) => [f.file, f.lines.pct])).toEqual([
      ['src/a.js', 50],
      ['src/b.js', 100],
    ]);
    expect(() => parseLcov('garbage', '/repo')).toThrow(/no records/);
  });

  it('istanbul json-summary: the total entry and one entry per file', () => {
    const c = (covered: number, total: number) => ({ covered, total, skipped: 0, pct: 0 });
    const report = parseIstanbulSummary(
      JSON.stringify({
        total: { lines: c(3, 4), statements: c(3, 4), functions: c(0, 0), branches: c(1, 2) },
        '/repo/x.ts': { lines: c(3, 4), statements: c(3, 4), functions: c(0, 0), branches: c(1, 2) },
      }),
      '/repo',
    );
    expect(report.totals.functions).toEqual({ covered: 0, total: 0, pct: 100 });
    expect(report.files).toEqual([{ file: 'x.ts', lines: { covered: 3, total: 4, pct: 75 } }]);
    expect(() => parseIstanbulSummary('{"x": {}}', '/repo')).toThrow(/not a coverage-summary\.json/);
  });
});
