import type { BaseWorkflow, RunOptions } from '../base.js';
import type { WorkflowOptions } from '../types.js';
import { DocsCheck } from './docs-check.js';
import { ReleasePrep } from './release-prep.js';
import { TestCoverage } from './test-coverage.js';

/** The built-in workflows (SPEC 6). They are cross-session unless told otherwise. */
export const BUILTINS: Record<
  string,
  (options: WorkflowOptions & RunOptions) => BaseWorkflow<void, unknown>
> = {
  'docs-check': (options) => new DocsCheck({ enableCrossSession: true, ...options }),
  'test-coverage': (options) => new TestCoverage({ enableCrossSession: true, ...options }),
  'release-prep': (options) => new ReleasePrep({ enableCrossSession: true, ...options }),
};
