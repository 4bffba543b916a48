import fs from 'node:fs';
import { type Layout, layoutFor } from './layout.js';
import { findRoot, type RootSource } from './root.js';

/** Everything a session operation needs to know about where it runs. */
export interface ProjectContext {
  layout: Layout;
  rootSource: RootSource;
  /** Injected so tests can control time; the CLI uses the wall clock. */
  clock: () => Date;
  /** The environment that chooses the coordination backend (SPEC 5). */
  env: NodeJS.ProcessEnv;
}

export interface ProjectOptions {
  /** `--root DIR`. */
  root?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  clock?: () => Date;
}

export function openProject(options: ProjectOptions = {}): ProjectContext {
  const found = findRoot({
    root: options.root,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
  });
  // Canonical (links resolved once, here): writes below the root are checked for symbolic links,
  // which must not be confused with a link in the path the user typed (store/safe-path.ts).
  return {
    layout: layoutFor(fs.realpathSync.native(found.root)),
    rootSource: found.source,
    clock: options.clock ?? (() => new Date()),
    env: options.env ?? process.env,
  };
}

export function nowIso(ctx: ProjectContext): string {
  return ctx.clock().toISOString();
}
