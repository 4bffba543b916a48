import * as z from 'zod/mini';
import { describeIssues } from '../core/schema-errors.js';

export const PROJECT_TECH_VERSION = '1.0';

const language = z.object({ name: z.string(), files: z.int(), extensions: z.array(z.string()) });
const nullableString = z.nullable(z.string());

export const projectTechSchema = z.looseObject({
  schema_version: z.string(),
  project_name: z.string(),
  analyzed_at: z.string(),
  languages: z.array(language),
  primary_language: nullableString,
  package_managers: z.array(z.object({ name: z.string(), manifest: z.string(), lockfile: nullableString })),
  manifests: z.array(z.string()),
  frameworks: z.array(z.string()),
  test_frameworks: z.array(z.string()),
  commands: z.looseObject({
    build: nullableString,
    test: nullableString,
    lint: nullableString,
    dev: nullableString,
  }),
  key_directories: z.array(z.object({ path: z.string(), role: z.string(), files: z.int() })),
  entry_points: z.array(z.string()),
  workspaces: z.array(z.string()),
  file_count: z.int(),
  scan: z.looseObject({ source: z.enum(['git', 'walk']), truncated: z.boolean(), limit: z.int() }),
});
export type ProjectTech = z.infer<typeof projectTechSchema>;

export const projectGuidelinesSchema = z.looseObject({
  schema_version: z.string(),
  project_name: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  conventions: z.looseObject({
    coding_style: z.array(z.unknown()),
    naming_patterns: z.array(z.unknown()),
    file_structure: z.array(z.unknown()),
    documentation: z.array(z.unknown()),
  }),
  constraints: z.looseObject({
    architecture: z.array(z.unknown()),
    tech_stack: z.array(z.unknown()),
    performance: z.array(z.unknown()),
    security: z.array(z.unknown()),
  }),
  quality_rules: z.array(z.unknown()),
  learnings: z.array(z.unknown()),
});
export type ProjectGuidelines = z.infer<typeof projectGuidelinesSchema>;

export function guidelinesScaffold(projectName: string, now: string): ProjectGuidelines {
  return {
    schema_version: PROJECT_TECH_VERSION,
    project_name: projectName,
    created_at: now,
    updated_at: now,
    conventions: { coding_style: [], naming_patterns: [], file_structure: [], documentation: [] },
    constraints: { architecture: [], tech_stack: [], performance: [], security: [] },
    quality_rules: [],
    learnings: [],
  };
}

/** Parses a project file's text; returns the reason it is unusable, or the value. */
export function checkProjectFile<T>(
  schema: z.ZodMiniType<T>,
  text: string,
): { ok: true; value: T } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, reason: `schema: ${describeIssues(result.error)}` };
}
