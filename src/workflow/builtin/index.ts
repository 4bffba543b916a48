import type { BaseWorkflow } from '../base.js';
import type { WorkflowOptions } from '../types.js';

/**
 * The built-in workflows (SPEC 6), cross-session unless told otherwise. Each is loaded when it is
 * run: they bring the Markdown parser, semver and the Conventional Commits parser with them, which
 * neither `wfs workflow list` nor `import 'wfs'` should pay for.
 */
export interface Builtin {
  description: string;
  create(options?: WorkflowOptions): Promise<BaseWorkflow<void, unknown>>;
}

export const BUILTINS: Record<string, Builtin> = {
  'docs-check': {
    description:
      'broken links and anchors in the Markdown, by the rules of its docs site (VitePress, Docusaurus, MkDocs) or GitHub, with file and line',
    create: async (options) =>
      new (await import('./docs-check.js')).DocsCheck({ enableCrossSession: true, ...options }),
  },
  'test-coverage': {
    description: "the project's tests with coverage: totals and the least-covered files",
    create: async (options) =>
      new (await import('./test-coverage.js')).TestCoverage({ enableCrossSession: true, ...options }),
  },
  'release-prep': {
    description:
      "clean tree, tests and build, next version from Conventional Commits, the changelog's section and version (dry run unless --apply)",
    create: async (options) =>
      new (await import('./release-prep.js')).ReleasePrep({ enableCrossSession: true, ...options }),
  },
};
