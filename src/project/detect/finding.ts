import type {
  EntryPoint,
  KeyDirectory,
  LanguageScope,
  LanguageStat,
  PackageManager,
  ProjectCommands,
  WorkspaceDeclaration,
  WorkspacePackage,
} from '../schema.js';
import type { Repo } from './repo.js';

/**
 * What one detector found. Lists from all detectors are joined; a single value (a name, a command)
 * is taken from the first detector in the table that gives one, so the table's order is the
 * precedence (a language's manifest before a Makefile).
 */
export interface Finding {
  project_name?: string;
  description?: string;
  languages?: LanguageStat[];
  primary_language?: string | null;
  language_scope?: LanguageScope;
  package_managers?: PackageManager[];
  manifests?: string[];
  /** From runtime dependencies (dependencies, peer and optional ones). */
  frameworks?: string[];
  /** Declared only as development dependencies (a test server, a docs site's framework). */
  dev_frameworks?: string[];
  test_frameworks?: string[];
  /** Package managers and build tools (CCW's `build_tools`). */
  build_tools?: string[];
  coverage_tools?: string[];
  commands?: Partial<ProjectCommands>;
  key_directories?: KeyDirectory[];
  entry_points?: EntryPoint[];
  workspaces?: WorkspaceDeclaration[];
  workspace_packages?: WorkspacePackage[];
}

/** A pure function of the repository as the Reader seam shows it. */
export type Detector = (repo: Repo) => Finding;
