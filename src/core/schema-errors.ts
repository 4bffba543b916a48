import type * as z from 'zod/mini';

/**
 * zod/mini ships without its message locale (that is what keeps it small on the hot path), so its
 * issues read "Invalid input". This turns them into one line that says where and what was expected.
 */
export function describeIssues(error: z.core.$ZodError, limit = 3): string {
  const parts = error.issues.slice(0, limit).map((issue) => {
    const where = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    const expected = 'expected' in issue && issue.expected ? `expected ${String(issue.expected)}` : undefined;
    const values =
      'values' in issue && Array.isArray(issue.values)
        ? `expected one of ${issue.values.join('|')}`
        : undefined;
    const keys =
      'keys' in issue && Array.isArray(issue.keys) ? `unexpected ${issue.keys.join(', ')}` : undefined;
    return `${where}: ${expected ?? values ?? keys ?? issue.code}`;
  });
  const more = error.issues.length > limit ? ` (+${error.issues.length - limit} more)` : '';
  return parts.join('; ') + more;
}
