import { describe, expect, it } from 'vitest';
import { analyzeRepository } from '../../src/project/analyze.js';
import {
  carryOver,
  PROJECT_TECH_VERSION,
  type ProjectTech,
  projectTechSchema,
} from '../../src/project/schema.js';
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

  it("re-analysis keeps another tool's keys, at the top and inside the shared objects, and replaces wfs's own", () => {
    const ccw = ccwProjectTech();
    const { tech, kept } = carryOver(ccw, freshTech());
    expect(kept).toEqual(['features', 'development_index', 'statistics', 'team_notes']);
    expect(tech.development_index).toEqual(ccw.development_index);
    expect(tech.features).toEqual(ccw.features);
    expect(tech.statistics).toEqual(ccw.statistics);
    expect(tech.team_notes).toEqual(ccw.team_notes);
    expect(tech.initialized_at).toBe('2025-01-02T03:04:05.000Z');
    // CCW's own keys inside the objects both write.
    expect(tech.overview.glossary).toEqual({ sku: 'stock keeping unit' });
    expect(tech.overview.technology_stack.notes_by_ccw).toBe('kept');
    expect(tech._metadata.last_updated).toBe('2025-02-01T00:00:00Z');
    // What wfs writes is the new analysis.
    expect(tech.project_name).toBe('got');
    expect(tech._metadata).toMatchObject({ initialized_by: 'wfs', analysis_mode: 'quick-scan' });
    expect(tech.overview.architecture).toEqual({ style: 'library', layers: [], patterns: [] });
    expect(tech.overview.technology_stack.languages).toEqual([
      { name: 'TypeScript', file_count: 5, primary: true },
    ]);
    expect(projectTechSchema.safeParse(tech).success).toBe(true);
  });

  it('an old value of a key wfs owns is replaced whole, never merged', () => {
    const next = freshTech();
    const { tech } = carryOver(
      { ...next, scan: { source: 'walk', truncated: true, limit: 1, note: 'stale' } },
      next,
    );
    expect(tech.scan).toEqual(next.scan);
  });
});
