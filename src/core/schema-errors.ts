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
    // A refinement's own message says what was expected; zod's generic ones do not.
    const custom = issue.code === 'custom' && issue.message ? issue.message : undefined;
    const size =
      issue.code === 'too_small' || issue.code === 'too_big'
        ? `${issue.code === 'too_small' ? 'at least' : 'at most'} ${String('minimum' in issue ? issue.minimum : issue.maximum)}`
        : undefined;
    return `${where}: ${custom ?? expected ?? values ?? keys ?? size ?? issue.code}`;
  });
  const more = error.issues.length > limit ? ` (+${error.issues.length - limit} more)` : '';
  return parts.join('; ') + more;
}
