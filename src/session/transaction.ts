import path from 'node:path';
import { compareText } from '../core/ids.js';
import * as lifecycle from '../core/lifecycle.js';
import type { SessionState } from '../core/session.js';
import { readActivePointer, writeActivePointer } from '../store/active-pointer.js';
import type { SessionLocation } from '../store/layout.js';
import { type LockOptions, withProjectLock } from '../store/lock.js';
import { nowIso, type ProjectContext } from '../store/project.js';
import {
  entryFromState,
  type Fingerprint,
  locateRegistryLines,
  Registry,
  type RegistryEntry,
  readRegistry,
  updateRegistry,
  writeRegistry,
} from '../store/registry.js';
import { ensureDirectory } from '../store/safe-path.js';
import {
  type LoadedSession,
  listSessionFolders,
  loadSession,
  type Restored,
  readSession,
  readSessionAt,
  restoreFromBackup,
  saveSession,
} from '../store/session-files.js';
import { activeSessions as findActiveSessions } from './show.js';

/**
 * One read-modify-write of the project's sessions, under the project lock. It owns the registry
 * (rebuilt from the folders when missing or damaged), saves sessions, and enforces the single active
 * rule: `activate` pauses every other active session first. `commit` writes the registry last, so
 * the session files (the truth) are always at least as new as the index.
 */
export class SessionTransaction {
  readonly now: string;
  readonly warnings: string[] = [];
  /** Entries of the sessions this transaction changed: written into the registry on commit. */
  private readonly changedEntries = new Map<string, RegistryEntry>();
  /** A registry to write whole instead (doctor's rebuild). */
  private replacement: Registry | undefined;
  /** The registry as read, for a lookup (read when first needed: most changes never read it). */
  private readRegistryOnce: Registry | undefined;
  /** Sessions this transaction restored from a backup (their latest changes are lost). */
  readonly restored = new Set<string>();
  /** Sessions created by this transaction. */
  private readonly created = new Set<string>();
  /** What the active-session pointer says now (undefined: not read yet, or no pointer file). */
  private pointer: string | null | undefined;

  constructor(private readonly ctx: ProjectContext) {
    this.now = nowIso(ctx);
  }

  /** What the registry says of a session, this transaction's changes included. */
  private registryEntry(id: string): RegistryEntry | undefined {
    const changed = this.changedEntries.get(id);
    if (changed !== undefined) return changed;
    if (this.replacement !== undefined) return this.replacement.get(id);
    this.readRegistryOnce ??= readRegistry(this.ctx.layout.registryPath);
    return this.readRegistryOnce.get(id);
  }

  private hasSessionFolders(): boolean {
    return (
      listSessionFolders(this.ctx.layout, 'active').length +
        listSessionFolders(this.ctx.layout, 'archives').length >
      0
    );
  }

  get layout() {
    return this.ctx.layout;
  }

  /** Saves a session and records it in the registry (written on commit). */
  save(
    dir: string,
    location: SessionLocation,
    state: SessionState,
    options?: { created?: boolean; index?: boolean },
  ): SessionState {
    const id = state.session_id;
    // The pointer moves before an activation, never after (see active-pointer.ts for why).
    if (state.status === 'active') this.setPointer(id);
    const saved = saveSession(dir, state, this.now);
    if (options?.created) this.created.add(id);
    // `index: false` for saves that change nothing the registry lists (todos, checkpoints): its
    // line then no longer matches the file, and `session list` reads that one file instead.
    if (options?.index !== false) {
      this.record(entryFromState(saved.state, location, saved.fingerprint));
    }
    return saved.state;
  }

  private currentPointer(): string | null | undefined {
    if (this.pointer === undefined) {
      const read = readActivePointer(this.ctx.layout);
      if (read.present) this.pointer = read.id;
    }
    return this.pointer;
  }

  /**
   * Names `id` in the active-session pointer ahead of its activation on disk (see
   * active-pointer.ts); `save` does it for a session it saves as active.
   */
  pointActiveTo(id: string): void {
    this.setPointer(id);
  }

  /** Records a session this transaction created (saved elsewhere and moved into place). */
  recordCreated(saved: { state: SessionState; fingerprint: Fingerprint }): void {
    this.created.add(saved.state.session_id);
    this.record(entryFromState(saved.state, 'active', saved.fingerprint));
  }

  private setPointer(id: string): void {
    if (this.currentPointer() === id) return;
    writeActivePointer(this.ctx.layout, id, this.now);
    this.pointer = id;
  }

  record(entry: RegistryEntry): void {
    if (this.replacement !== undefined) this.replacement.set(entry);
    else this.changedEntries.set(entry.id, entry);
  }

  /**
   * Loads a session for a change. A damaged state file is restored from the session's newest good
   * backup (with a WARNING, the damaged file kept aside); without one, or for a file written by a
   * newer wfs, the error says so and nothing is written.
   */
  load(id: string): LoadedSession {
    const read = readSession(this.ctx.layout, id);
    if (read.kind === 'ok') return this.noticed(read);
    if (read.kind === 'corrupt' && read.futureVersion === undefined) {
      const restored = restoreFromBackup(read.dir, id, read.reason, this.now);
      if (restored !== undefined) {
        const again = readSessionAt(this.ctx.layout, id, read.location);
        if (again.kind === 'ok') {
          this.warnings.push(describeRestore(this.ctx, restored));
          this.restored.add(id);
          this.record(entryFromState(again.state, again.location, again.fingerprint));
          return again;
        }
      }
    }
    return loadSession(this.ctx.layout, id);
  }

  /**
   * A session of `active/` loaded for a change in one read, or undefined when it is not there; a
   * damaged one is restored as by `load`.
   */
  loadOpen(id: string): LoadedSession | undefined {
    const read = readSessionAt(this.ctx.layout, id, 'active');
    if (read.kind === 'ok') return this.noticed(read);
    return read.kind === 'missing' ? undefined : this.load(id);
  }

  /** A file another tool wrote into is read as 2.0 (core/migrate.ts) with a WARNING, once per command. */
  private noticed(read: LoadedSession): LoadedSession {
    if (read.notice !== undefined && !this.warnings.includes(read.notice)) this.warnings.push(read.notice);
    return read;
  }

  /** Sessions whose file says `active` (found through the active-session pointer; repaired if damaged). */
  activeSessions(): LoadedSession[] {
    const pointer = readActivePointer(this.ctx.layout);
    if (pointer.present && pointer.id !== null) {
      const read = readSessionAt(this.ctx.layout, pointer.id, 'active');
      // Unreadable: repair it, or fail with the reason (a newer wfs wrote it, no backup, ...).
      if (read.kind === 'corrupt') {
        const loaded = this.load(pointer.id);
        if (loaded.state.status === 'active') return [loaded];
        // The backup predates the session's activation, which the pointer records (it is written
        // before a session becomes active, and names no other): the session was the active one,
        // and is made so again rather than leave the project with none.
        if (loaded.state.status === 'paused' && this.restored.has(loaded.id)) {
          const state = this.save(loaded.dir, loaded.location, lifecycle.activate(loaded.state, this.now));
          this.warnings.push(`Session ${loaded.id} is active again, as the active-session pointer records`);
          return [{ ...loaded, state }];
        }
        return [];
      }
      // Read once: what findActiveSessions would read again, and decide the same way.
      if (read.kind === 'ok') return read.state.status === 'active' ? [this.noticed(read)] : [];
    }
    return findActiveSessions(this.ctx).map((read) => this.noticed(read));
  }

  /** Pauses every active session except `keepId`; returns the IDs it paused. */
  pauseActive(keepId?: string): string[] {
    // The pointer names the one active session (see activeSessions): when that is the one to keep,
    // there is none to pause, and the kept one is not read here. Its caller has it already, or is
    // about to rewrite it: a migration finished after a kill between the pointer's write and the
    // session's (the file still in the old schema) must not fail on it.
    if (keepId !== undefined && this.currentPointer() === keepId) return [];
    const paused: string[] = [];
    for (const session of this.activeSessions()) {
      if (session.id === keepId) continue;
      this.save(session.dir, 'active', lifecycle.pause(session.state, this.now));
      paused.push(session.id);
    }
    return paused;
  }

  /** Makes `session` the one active session (single active rule). */
  activate(session: LoadedSession): { state: SessionState; paused: string[] } {
    const paused = this.pauseActive(session.id);
    if (session.state.status === 'active') {
      // Already active: nothing to save; the index is written only if it disagrees.
      if (this.registryEntry(session.id)?.status !== 'active') {
        this.record(entryFromState(session.state, session.location, session.fingerprint));
      }
      return { state: session.state, paused };
    }
    const state = this.save(session.dir, session.location, lifecycle.activate(session.state, this.now));
    return { state, paused };
  }

  /** Replaces the whole registry (doctor's rebuild); written on commit like every other change. */
  replaceRegistry(entries: readonly RegistryEntry[]): void {
    this.replacement = Registry.fromEntries(entries);
    this.changedEntries.clear();
  }

  /**
   * Writes the registry: the changed sessions' lines overwritten in place or appended (reading the
   * file once, parsing no other line), or the whole file for a rebuild. Damaged lines are not
   * looked for here (that would parse 3 MB on every change): readers skip them, and `wfs doctor`
   * rebuilds the file.
   */
  commit(): void {
    const file = this.ctx.layout.registryPath;
    if (this.replacement !== undefined) {
      writeRegistry(file, this.replacement);
      return;
    }
    if (this.changedEntries.size === 0) return;
    // Read under the project lock, like a lookup's read before it: the offsets stay true. When no
    // lookup read the file whole, only the changed sessions' lines are looked for, chunk by chunk.
    const read = this.readRegistryOnce ?? locateRegistryLines(file, [...this.changedEntries.keys()]);
    // No registry beside session folders: a fresh clone of a committed .workflow/ (the registry is
    // ignored by git, see store/gitignore.ts) or a deleted index. The folders are the truth and the
    // index is rebuilt from them (which already holds this transaction's saves), losing nothing:
    // no warning.
    if (!read.exists && this.hasSessionFolders()) {
      const rebuilt = Registry.fromEntries(rebuildRegistryEntries(this.ctx));
      for (const entry of this.changedEntries.values()) rebuilt.set(entry);
      writeRegistry(file, rebuilt);
      return;
    }
    updateRegistry(file, read, this.changedEntries.values());
  }
}

export function describeRestore(ctx: ProjectContext, restored: Restored): string {
  const aside =
    restored.keptAside === undefined
      ? ''
      : `; the damaged file is kept as ${path.relative(ctx.layout.root, restored.keptAside)}`;
  return `Session ${restored.id} was damaged (${restored.reason}); restored revision ${restored.revision} from its backup${aside}`;
}

export async function inTransaction<T>(
  ctx: ProjectContext,
  fn: (tx: SessionTransaction) => T | Promise<T>,
  options?: LockOptions,
): Promise<T> {
  ensureDirectory(ctx.layout.workflowDir);
  return withProjectLock(
    ctx.layout,
    async () => {
      const tx = new SessionTransaction(ctx);
      const result = await fn(tx);
      tx.commit();
      return result;
    },
    options,
  );
}

/** The registry as the folders say it should be: used when it is missing or damaged. */
export function rebuildRegistryEntries(ctx: ProjectContext): RegistryEntry[] {
  const entries: RegistryEntry[] = [];
  for (const location of ['active', 'archives'] as const) {
    for (const id of listSessionFolders(ctx.layout, location)) {
      const read = readSessionAt(ctx.layout, id, location);
      if (read.kind === 'ok') entries.push(entryFromState(read.state, location, read.fingerprint));
    }
  }
  return entries.sort((a, b) => compareText(a.created, b.created) || compareText(a.id, b.id));
}
