import { describe, expect, it } from 'vitest';
import { analyzeRepository } from '../../src/project/analyze.js';
import { PROJECT_TECH_VERSION, type ProjectTech, projectTechSchema } from '../../src/project/schema.js';
import { ccwProjectTech, gotLike } from './fixtures.js';

function freshTech(): ProjectTech {
  const files = gotLike();
  const analysis = analyzeRepository({ files: Object.keys(files), read: (f) => files[f], fallbackName: 'x' });
  const now = '2026-11-21T10:00:00.000Z';
  return {
    schema_version: PROJECT_TECH_VERSION,
    analyzed_at: now,
    initialized_at: now,
    ...analysis,
    scan: { source: 'git', truncated: false, limit: 50_000 },
    _metadata: { initialized_by: 'wfs', analysis_timestamp: now, analysis_mode: 'quick-scan' },
  };
}

describe('project-tech.json shape', () => {
  it('an analysis is valid, and so is one with keys of another tool', () => {
    const tech = freshTech();
    expect(projectTechSchema.safeParse(tech).success).toBe(true);
    const parsed = projectTechSchema.safeParse({ ...tech, development_index: { feature: [] }, mine: 1 });
    expect(parsed.success && parsed.data.mine).toBe(1);
  });

  it("a CCW file alone is not wfs's analysis", () => {
    expect(projectTechSchema.safeParse(ccwProjectTech()).success).toBe(false);
  });
});
