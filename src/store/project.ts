import fs from 'node:fs';
import type { WfsConfig } from '../core/config.js';
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
  /**
   * What the context reads once and keeps for its life: `.workflow/config.json`, read on first use
   * (coord/open.ts), so one command sees one configuration and pays for one read, however many of
   * its parts ask (the backend, the project identity, the policy). Copies of the context
   * (`{ ...ctx, env }`) share it. A holder that outlives a command and must see the file change
   * takes `reloadProject(ctx)`.
   */
  readonly memo: ProjectMemo;
}

/** The parsed config.json, or why it could not be read (given again to each who asks). */
export interface ProjectMemo {
  config?: { value: WfsConfig } | { error: unknown };
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
    memo: {},
  };
}

/** The same project, its files to be read afresh (the dashboard, when config.json changes). */
export function reloadProject(ctx: ProjectContext): ProjectContext {
  return { ...ctx, memo: {} };
}

export function nowIso(ctx: ProjectContext): string {
  return ctx.clock().toISOString();
}
