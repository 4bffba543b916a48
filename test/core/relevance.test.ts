import { describe, expect, it } from 'vitest';
import { judgeRelevance, keywords, shouldReuse } from '../../src/core/relevance.js';

describe('relevance', () => {
  it('stems and drops stop words', () => {
    expect([...keywords('Please add the tests for logging in')].sort()).toEqual(['log', 'test']);
  });

  it('judges high when most task keywords occur in the session', () => {
    const j = judgeRelevance('login page styling', 'Add login page\nThe login page needs a form');
    expect(j.relevance).toBe('high');
    expect(j.shared).toEqual(['login', 'page']);
    expect(shouldReuse(j.relevance)).toBe(true);
  });

  it('judges medium on a partial overlap', () => {
    const j = judgeRelevance('database migration for the login table', 'Add login page');
    expect(j.relevance).toBe('medium');
  });

  it('judges low for an unrelated task, which gets a new session', () => {
    const j = judgeRelevance('upgrade the CI pipeline', 'Add login page');
    expect(j.relevance).toBe('low');
    expect(shouldReuse(j.relevance)).toBe(false);
  });

  it('is deterministic and treats a task without keywords as low', () => {
    expect(judgeRelevance('x y z', 'anything')).toEqual(judgeRelevance('x y z', 'anything'));
    expect(judgeRelevance('the a an', 'the a an').relevance).toBe('low');
  });
});
