import * as z from 'zod/mini';
import { describeIssues } from '../core/schema-errors.js';
import { readTextIfExists } from '../store/atomic.js';
import type { CheckReporter } from '../store/checks.js';
import type { Layout } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';

/**
 * 1.1: CCW's field names beside wfs's own (`overview`, `initialized_at`, `_metadata`), frameworks
 * split into runtime and dev-only, workspace packages, entry points as objects with their source,
 * the coverage command and what the language count left out.
 */
export const PROJECT_TECH_VERSION = '1.1';
/** Versions of project-tech.json an older wfs wrote: re-analysed without calling them damaged. */
export const OLDER_PROJECT_TECH_VERSIONS: readonly string[] = ['1.0'];
export const PROJECT_GUIDELINES_VERSION = '1.0';

const nullableString = z.nullable(z.string());
const strings = z.array(z.string());

const language = z.object({ name: z.string(), files: z.int(), extensions: strings });
export type LanguageStat = z.infer<typeof language>;

const leftOut = z.object({ path: z.string(), reason: z.string(), files: z.int() });
const languageScope = z.object({
  /** Files with a language that were counted. */
  counted_files: z.int(),
  /** Files with a language that were not: fixtures, examples, playgrounds, vendored or generated code. */
  left_out_files: z.int(),
  /** The biggest of the folders and patterns left out (at most 25). */
  left_out: z.array(leftOut),
  note: z.optional(z.string()),
});
export type LanguageScope = z.infer<typeof languageScope>;

const packageManager = z.object({ name: z.string(), manifest: z.string(), lockfile: nullableString });
export type PackageManager = z.infer<typeof packageManager>;

const commands = z.looseObject({
  build: nullableString,
  test: nullableString,
  lint: nullableString,
  dev: nullableString,
  coverage: nullableString,
});
export type ProjectCommands = {
  build: string | null;
  test: string | null;
  lint: string | null;
  dev: string | null;
  coverage: string | null;
};

const keyDirectory = z.object({ path: z.string(), role: z.string(), files: z.int() });
export type KeyDirectory = z.infer<typeof keyDirectory>;

const entryPoint = z.object({
  kind: z.enum(['exports', 'main', 'module', 'bin', 'script', 'conventional']),
  /** As declared, relative to the repository (`dist/source/index.js`), or a target (`svc.cli:main`). */
  path: z.string(),
  /** The file in the repository it comes from (`source/index.ts`), or null where none was found. */
  source: nullableString,
  /** `exports` only: the subpath (`.`, `./client`) and the condition chains (`node/import`, `default`). */
  subpath: z.optional(z.string()),
  conditions: z.optional(strings),
  /** `bin` and `script`: the command's name. */
  name: z.optional(z.string()),
  /** The workspace package (its folder) that declares it; absent for the root. */
  package: z.optional(z.string()),
});
export type EntryPoint = z.infer<typeof entryPoint>;

const workspaceDeclaration = z.object({ tool: z.string(), manifest: z.string(), patterns: strings });
export type WorkspaceDeclaration = z.infer<typeof workspaceDeclaration>;

const workspacePackage = z.object({
  name: nullableString,
  path: z.string(),
  /** `fixture`: in a playground, fixtures, examples or test folder; `docs`: a documentation site. */
  role: z.enum(['package', 'fixture', 'docs']),
  description: z.optional(z.string()),
});
export type WorkspacePackage = z.infer<typeof workspacePackage>;

/** CCW's `overview` (its dashboard reads these names); objects are loose so another tool's keys stay. */
const overview = z.looseObject({
  description: z.string(),
  technology_stack: z.looseObject({
    languages: z.array(z.object({ name: z.string(), file_count: z.int(), primary: z.boolean() })),
    frameworks: strings,
    build_tools: strings,
    test_frameworks: strings,
  }),
  architecture: z.looseObject({ style: z.string(), layers: strings, patterns: strings }),
  key_components: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      description: z.string(),
      importance: z.enum(['high', 'medium', 'low']),
    }),
  ),
});
export type Overview = z.infer<typeof overview>;

/**
 * The analysis. Loose at the top: keys another tool keeps in the same file (CCW's
 * `development_index`, `features`, `statistics`, ...) are valid and carried over by re-analysis.
 */
export const projectTechSchema = z.looseObject({
  schema_version: z.string(),
  project_name: z.string(),
  description: nullableString,
  analyzed_at: z.string(),
  initialized_at: z.string(),
  languages: z.array(language),
  primary_language: nullableString,
  language_scope: languageScope,
  package_managers: z.array(packageManager),
  manifests: strings,
  frameworks: strings,
  dev_frameworks: strings,
  test_frameworks: strings,
  build_tools: strings,
  coverage_tools: strings,
  commands,
  key_directories: z.array(keyDirectory),
  entry_points: z.array(entryPoint),
  workspaces: z.array(workspaceDeclaration),
  workspace_packages: z.array(workspacePackage),
  file_count: z.int(),
  scan: z.looseObject({ source: z.enum(['git', 'walk']), truncated: z.boolean(), limit: z.int() }),
  overview,
  _metadata: z.looseObject({
    initialized_by: z.string(),
    analysis_timestamp: z.string(),
    analysis_mode: z.string(),
  }),
});
export type ProjectTech = z.infer<typeof projectTechSchema>;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Objects wfs writes into that another tool shares: CCW (or a person) may keep keys of its own in
 * them (`_metadata.last_updated`, `overview.description` extras), and re-analysis keeps those.
 * Everything else wfs writes it owns whole: an old value of one of its keys is replaced, never merged.
 */
const SHARED_OBJECTS: readonly (readonly string[])[] = [
  ['overview'],
  ['overview', 'technology_stack'],
  ['overview', 'architecture'],
  ['_metadata'],
];

function keepForeign(previous: Json, next: Json, at: readonly string[]): Json {
  const merged: Json = { ...next };
  for (const [key, value] of Object.entries(previous)) {
    const path = [...at, key];
    const shared = SHARED_OBJECTS.some(
      (p) => p.length === path.length && p.every((part, i) => part === path[i]),
    );
    if (!(key in next)) merged[key] = value;
    else if (shared && isRecord(value) && isRecord(next[key]))
      merged[key] = keepForeign(value, next[key] as Json, path);
  }
  return merged;
}

/**
 * A re-analysis (`init --force`, or init over a file another tool wrote) in the file as it will be
 * written: every key the analysis writes is the new value, every other key of the previous file
 * (at the top and inside the shared objects) is kept as it was. `initialized_at` keeps the first
 * initialisation's time. Returns the keys kept, for the report.
 */
export function carryOver(previous: unknown, next: ProjectTech): { tech: ProjectTech; kept: string[] } {
  if (!isRecord(previous)) return { tech: next, kept: [] };
  const tech = keepForeign(previous, next, []) as ProjectTech;
  if (typeof previous.initialized_at === 'string') tech.initialized_at = previous.initialized_at;
  const kept = Object.keys(previous).filter((key) => !(key in next));
  return { tech, kept };
}

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
    schema_version: PROJECT_GUIDELINES_VERSION,
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

/** A project file as read: missing (not written yet), damaged (with why), or its value. */
export type ProjectFileRead<T> =
  | { file: string; status: 'missing' }
  | { file: string; status: 'damaged'; reason: string }
  | { file: string; status: 'ok'; value: T };

function readProjectFile<T>(file: string, schema: z.ZodMiniType<T>): ProjectFileRead<T> {
  const text = readTextIfExists(file);
  if (text === undefined) return { file, status: 'missing' };
  const checked = checkProjectFile(schema, text);
  return checked.ok
    ? { file, status: 'ok', value: checked.value }
    : { file, status: 'damaged', reason: checked.reason };
}

/**
 * The project's own files, each validated: what a viewer shows of the project (a damaged file is
 * said to be damaged, with the reason, never read as empty or "unknown"), and what `wfs doctor`
 * checks.
 */
export function readProjectFiles(ctx: ProjectContext): ProjectFiles {
  return projectFilesAt(ctx.layout);
}

export interface ProjectFiles {
  tech: ProjectFileRead<ProjectTech>;
  guidelines: ProjectFileRead<ProjectGuidelines>;
}

function projectFilesAt(layout: Layout): ProjectFiles {
  return {
    tech: readProjectFile(layout.techPath, projectTechSchema),
    guidelines: readProjectFile(layout.guidelinesPath, projectGuidelinesSchema),
  };
}

export function checkProjectFiles(report: CheckReporter): void {
  const files = projectFilesAt(report.layout);
  for (const [read, name] of [
    [files.tech, 'project-tech.json'],
    [files.guidelines, 'project-guidelines.json'],
  ] as const) {
    if (read.status === 'missing') report.info('project', `${name} does not exist yet (wfs init writes it)`);
    else if (read.status === 'damaged')
      report.problem(
        'project',
        `${name} is damaged: ${read.reason}`,
        undefined,
        'run wfs init, which keeps the damaged file aside and writes a new one',
      );
  }
  // config.json is checked with the coordination settings it holds (coordinationFindings).
}
