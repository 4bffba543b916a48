/**
 * Coverage reports, as test tools write them: istanbul's `coverage-summary.json` (the
 * `json-summary` reporter of jest, vitest, c8 and nyc) and LCOV (`lcov.info`: istanbul's `lcov`
 * reporter, Node's own `--test-reporter=lcov`, and most other languages' tools). Parsed here
 * without a library: the LCOV parsers on npm are callback-based and unmaintained for years, and
 * the format is a handful of line records.
 */
export interface Counts {
  covered: number;
  total: number;
  /** Percent, 2 decimals; 100 when there is nothing to cover. */
  pct: number;
}

export interface FileCoverage {
  file: string;
  lines: Counts;
}

export interface CoverageReport {
  source: 'istanbul-summary' | 'lcov';
  totals: { lines: Counts; functions: Counts; branches: Counts; statements?: Counts };
  files: FileCoverage[];
}

function counts(covered: number, total: number): Counts {
  return { covered, total, pct: total === 0 ? 100 : Math.round((covered / total) * 10_000) / 100 };
}

export function parseLcov(text: string, root: string): CoverageReport {
  const files: FileCoverage[] = [];
  const sum = { lh: 0, lf: 0, fnh: 0, fnf: 0, brh: 0, brf: 0 };
  let current: { file: string; lh: number; lf: number } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    const n = Number(value) || 0;
    switch (tag) {
      case 'SF':
        current = { file: relative(value, root), lh: 0, lf: 0 };
        break;
      case 'LH':
        if (current) current.lh = n;
        sum.lh += n;
        break;
      case 'LF':
        if (current) current.lf = n;
        sum.lf += n;
        break;
      case 'FNH':
        sum.fnh += n;
        break;
      case 'FNF':
        sum.fnf += n;
        break;
      case 'BRH':
        sum.brh += n;
        break;
      case 'BRF':
        sum.brf += n;
        break;
      case 'end_of_record':
        if (current) files.push({ file: current.file, lines: counts(current.lh, current.lf) });
        current = undefined;
        break;
    }
  }
  if (files.length === 0) throw new Error('no records (SF: ... end_of_record) in the LCOV file');
  return {
    source: 'lcov',
    totals: {
      lines: counts(sum.lh, sum.lf),
      functions: counts(sum.fnh, sum.fnf),
      branches: counts(sum.brh, sum.brf),
    },
    files,
  };
}

type IstanbulCounts = { total: number; covered: number };

export function parseIstanbulSummary(text: string, root: string): CoverageReport {
  const data = JSON.parse(text) as Record<string, Record<string, IstanbulCounts>>;
  const total = data.total;
  if (!total?.lines) throw new Error('no "total" entry with "lines": not a coverage-summary.json');
  const of = (c: IstanbulCounts | undefined) => counts(c?.covered ?? 0, c?.total ?? 0);
  return {
    source: 'istanbul-summary',
    totals: {
      lines: of(total.lines),
      functions: of(total.functions),
      branches: of(total.branches),
      statements: of(total.statements),
    },
    files: Object.entries(data)
      .filter(([name]) => name !== 'total')
      .map(([name, c]) => ({ file: relative(name, root), lines: of(c.lines) })),
  };
}

function relative(file: string, root: string): string {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

/** The files with the lowest line coverage, worst first (ties by name). */
export function leastCovered(report: CoverageReport, count = 5): FileCoverage[] {
  return [...report.files]
    .filter((f) => f.lines.total > 0)
    .sort((a, b) => a.lines.pct - b.lines.pct || (a.file < b.file ? -1 : 1))
    .slice(0, count);
}
