import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, WfsError } from '../core/errors.js';
import type { AgentName } from '../session/binding.js';
import { writeFileAtomic } from '../store/atomic.js';
import { layoutFor } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import {
  addJson,
  appendBlockText,
  appendJson,
  findMarkedBlock,
  nodeAt,
  plainValue,
  readJson,
  readToml,
  removeBlockText,
  removeJson,
  tomlTable,
} from './edits.js';
import {
  type ExcludeRecord,
  excludePattern,
  excludeTarget,
  readExclude,
  withBlock,
  withoutBlock,
  worktreesOf,
} from './exclude.js';
import { isWfsGroup, type Piece, type Plan, planFor, type Scope } from './targets.js';

/**
 * `wfs install AGENT` / `wfs uninstall AGENT` (SPEC 7). An install edits only what it adds, never
 * adds a second copy (a re-install that finds everything in place writes nothing), refuses a file it
 * cannot parse (with its line and column, untouched), and records in
 * `.workflow/.install/manifest.json` (`~/.wfs/install/` for `--user`) what it did to each file: its
 * digest before and after, and the original bytes (in `originals/` beside it). An uninstall restores a file nobody changed
 * since byte for byte, and takes only wfs's entries out of a file that was changed.
 */

export interface FileChange {
  path: string;
  action: 'created' | 'changed' | 'unchanged' | 'removed' | 'restored';
  /** What of wfs's it concerns (hooks, mcpServers.wfs, ...). */
  what: string[];
  before: string | undefined;
  after: string | undefined;
}

export interface InstallResult {
  agent: AgentName;
  scope: Scope;
  dry_run: boolean;
  files: FileChange[];
  commands: { argv: string[]; ran: boolean; output?: string }[];
  notes: string[];
  warnings: string[];
}

interface ManifestFile {
  path: string;
  created: boolean;
  /** sha256 of the bytes before wfs's first edit (null: the file did not exist), and after the last. */
  before: string | null;
  after: string | null;
  /** Array items wfs added (it removes only those). */
  items: { path: string[]; value: string }[];
  /**
   * The single entries wfs added (`mcpServers.wfs`, `[mcp_servers.wfs]`): it removes only those, so a
   * user's own identical entry stays. Absent in a record of an older wfs, which removed them all.
   */
  added?: string[];
}

/** What wfs knows of a file when it takes its entries out: what it added, and the file before wfs. */
interface Known {
  items: ManifestFile['items'];
  added: string[] | undefined;
  /** The file's text before wfs (kept at install): what was there before stays, an empty list too. */
  original: string | undefined;
}

interface ManifestInstall {
  agent: AgentName;
  scope: Scope;
  guard: boolean;
  installed_at: string;
  files: ManifestFile[];
  dirs: string[];
  commands: { argv: string[]; undo: string[] }[];
}

interface Manifest {
  version: 1;
  installs: ManifestInstall[];
  /** Folders the record itself needed that were not there (`.workflow/`, `~/.wfs/`): they go with it. */
  dirs?: string[];
  /** The block of git's exclude list the installs of the project keep (agents/exclude.ts). */
  exclude?: ExcludeRecord;
}

/**
 * Where installs of a scope are recorded: a project's in its `.workflow/.install/`; the user's own
 * (`--user`), which belong to no project, in `~/.wfs/install/`, so that an uninstall or a doctor run
 * from any folder finds them (and no `.workflow/` is made where `wfs install --user` happened to run).
 */
export function installDir(ctx: ProjectContext, scope: Scope): string {
  return scope === 'user' ? userInstallDir(ctx.env) : path.join(ctx.layout.workflowDir, '.install');
}

function userInstallDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.HOME || os.homedir(), '.wfs', 'install');
}

export function manifestPath(ctx: ProjectContext, scope: Scope): string {
  return path.join(installDir(ctx, scope), 'manifest.json');
}

function sha(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function readManifest(ctx: ProjectContext, scope: Scope): Manifest {
  return readManifestFile(manifestPath(ctx, scope));
}

/** The install record at `file` (one of another worktree's too); none there: no install. */
function readManifestFile(file: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { version: 1, installs: [] };
    throw error;
  }
  try {
    const value = JSON.parse(text) as Manifest;
    if (value?.version !== 1 || !Array.isArray(value.installs))
      throw new Error('not a manifest of version 1');
    return value;
  } catch (error) {
    throw new WfsError(
      'E_CORRUPT',
      `${file} is damaged (${(error as Error).message}): wfs doctor reports it; an uninstall takes wfs's entries out without it`,
    );
  }
}

function readText(file: string): string | undefined {
  try {
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink())
      throw new WfsError(
        'E_SYMLINK',
        `${file} is a symbolic link: wfs does not edit through links; nothing was written`,
      );
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The EOL a file uses. */
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

// ---------------------------------------------------------------- applying pieces to a file's text

interface Applied {
  text: string;
  what: string[];
  warnings: string[];
  items: { path: string[]; value: string }[];
  added: string[];
}

function newApplied(text: string): Applied {
  return { text, what: [], warnings: [], items: [], added: [] };
}

/** The key a single entry of wfs is recorded by. */
function entryKey(piece: Extract<Piece, { kind: 'json-value' | 'toml-table' }>): string {
  return piece.kind === 'json-value' ? piece.path.join('.') : `[${piece.name}]`;
}

async function addPiece(file: string, text: string, piece: Piece, applied: Applied): Promise<string> {
  switch (piece.kind) {
    case 'hooks': {
      let current = text;
      // Every event wfs no longer installs (the guard turned off) loses its wfs group.
      const doc0 = readJson(file, current);
      const hooksNode = nodeAt(doc0, ['hooks']);
      const existing =
        hooksNode?.type === 'object'
          ? (hooksNode.children ?? []).map((p) => String(p.children![0]!.value))
          : [];
      for (const event of existing.filter((e) => !(e in piece.groups)))
        current = removeWfsGroups(file, current, event);
      for (const [event, group] of Object.entries(piece.groups)) {
        const doc = readJson(file, current);
        const groups = nodeAt(doc, ['hooks', event]);
        const ours = (groups?.type === 'array' ? (groups.children ?? []) : []).filter((g) =>
          isWfsGroup(plainValue(g)),
        );
        if (ours.length === 1 && sameValue(plainValue(ours[0]), group)) continue;
        // An older wfs group (another matcher), or duplicates: out, then the one group in.
        if (ours.length > 0) current = removeWfsGroups(file, current, event);
        current = appendJson(readJson(file, current), ['hooks', event], group);
        applied.what.push(`hooks.${event}`);
      }
      return current;
    }
    case 'json-value': {
      const doc = readJson(file, text);
      const node = nodeAt(doc, piece.path);
      if (node === undefined) {
        applied.what.push(piece.what);
        applied.added.push(entryKey(piece));
        return addJson(doc, piece.path, piece.value);
      }
      if (!sameValue(plainValue(node), piece.value))
        applied.warnings.push(`${file} already has a ${piece.what} of its own: left as it is`);
      return text;
    }
    case 'json-item': {
      const doc = readJson(file, text);
      const node = nodeAt(doc, piece.path);
      if (node !== undefined && node.type !== 'array') {
        applied.warnings.push(`${file}: ${piece.path.join('.')} is not a list: ${piece.what} not added`);
        return text;
      }
      if (Array.isArray(plainValue(node)) && (plainValue(node) as unknown[]).includes(piece.value))
        return text;
      applied.what.push(piece.what);
      applied.items.push({ path: piece.path, value: piece.value });
      return appendJson(doc, piece.path, piece.value);
    }
    case 'toml-table': {
      const values = await readToml(file, text);
      const eol = eolOf(text);
      const table = tomlTable(piece.name, piece.values, eol);
      const [group, key] = piece.name.split('.') as [string, string];
      const defined = (values[group] as Record<string, unknown> | undefined)?.[key];
      if (defined === undefined) {
        const after = appendBlockText(text, table, eol);
        // The table is appended as text: where the file already defines its parent another way (an
        // inline `mcp_servers = {...}`, an array of tables), the result would not parse, or would
        // not say what wfs means, and the agent could not read its configuration.
        const refused = (reason: string) =>
          new WfsError(
            'E_INVALID_INPUT',
            `${file}: a [${piece.name}] table cannot be added to it (${reason}); it was left as it is: add the wfs server there by hand (command "wfs", args ["mcp"])`,
            { details: { path: file } },
          );
        const read = await readToml(file, after).catch((error: unknown) => {
          throw refused((error as WfsError).message.match(/\((.*) at line/)?.[1] ?? 'it would not parse');
        });
        const parent = read[group];
        if (typeof parent !== 'object' || parent === null || Array.isArray(parent))
          throw refused(`${group} is not a table there`);
        if (!sameValue((parent as Record<string, unknown>)[key], piece.values))
          throw refused(`${piece.name} would not read as wfs's entry`);
        applied.what.push(`[${piece.name}]`);
        applied.added.push(entryKey(piece));
        return after;
      }
      if (!text.includes(table))
        applied.warnings.push(`${file} already has a [${piece.name}] of its own: left as it is`);
      return text;
    }
    case 'block': {
      const eol = eolOf(text);
      const block = piece.text.split('\n').join(eol);
      const found = findMarkedBlock(text, piece.agent);
      if (found === undefined) {
        applied.what.push('instructions block');
        return appendBlockText(text, block, eol);
      }
      if (text.slice(found.start, found.end) === block) return text;
      applied.what.push('instructions block');
      return text.slice(0, found.start) + block + text.slice(found.end);
    }
    case 'command':
      return text;
  }
}

/**
 * The text without wfs's hook groups of one event; the event's list, then `hooks`, go when that
 * left them empty (a user's own empty list stays: the original is computed with this too).
 */
function removeWfsGroups(file: string, text: string, event: string, original?: string): string {
  let current = text;
  for (;;) {
    const doc = readJson(file, current);
    const groups = nodeAt(doc, ['hooks', event]);
    const ours = (groups?.type === 'array' ? (groups.children ?? []) : []).find((g) =>
      isWfsGroup(plainValue(g)),
    );
    if (ours === undefined) break;
    current = removeJson(doc, ours);
  }
  return current === text ? text : removeEmpty(file, current, ['hooks', event], original);
}

/**
 * Removes the value at `path` when it is an empty list or object, and its parents that become empty;
 * not one the file had before wfs (`original`): a user's own `"SessionStart": []` stays.
 */
function removeEmpty(file: string, text: string, at: string[], original?: string): string {
  let before: ReturnType<typeof readJson> | undefined;
  try {
    before = original === undefined ? undefined : readJson(file, original);
  } catch {
    before = undefined;
  }
  let current = text;
  for (let depth = at.length; depth > 0; depth--) {
    if (before !== undefined && nodeAt(before, at.slice(0, depth)) !== undefined) break;
    const doc = readJson(file, current);
    const node = nodeAt(doc, at.slice(0, depth));
    if (node === undefined) continue;
    if ((node.type !== 'array' && node.type !== 'object') || (node.children ?? []).length > 0) break;
    current = removeJson(doc, node);
  }
  return current;
}

async function removePiece(file: string, text: string, piece: Piece, known: Known): Promise<string> {
  switch (piece.kind) {
    case 'hooks': {
      const doc = readJson(file, text);
      const hooksNode = nodeAt(doc, ['hooks']);
      const events =
        hooksNode?.type === 'object'
          ? (hooksNode.children ?? []).map((p) => String(p.children![0]!.value))
          : [];
      let current = text;
      for (const event of events) current = removeWfsGroups(file, current, event, known.original);
      return current;
    }
    case 'json-value': {
      // Only an entry wfs added (when its record says): a person's own identical one stays.
      if (known.added !== undefined && !known.added.includes(entryKey(piece))) return text;
      const doc = readJson(file, text);
      const node = nodeAt(doc, piece.path);
      if (node === undefined || !sameValue(plainValue(node), piece.value)) return text;
      return removeEmpty(file, removeJson(doc, node), piece.path.slice(0, -1), known.original);
    }
    case 'json-item': {
      // Only an item wfs added: a person's own `mcp__wfs` permission stays.
      if (!known.items.some((i) => sameValue(i.path, piece.path) && i.value === piece.value)) return text;
      const doc = readJson(file, text);
      const list = nodeAt(doc, piece.path);
      const item = list?.children?.find((c) => c.value === piece.value);
      if (item === undefined) return text;
      return removeEmpty(file, removeJson(doc, item), piece.path, known.original);
    }
    case 'toml-table':
      if (known.added !== undefined && !known.added.includes(entryKey(piece))) return text;
      await readToml(file, text);
      return removeBlockText(text, tomlTable(piece.name, piece.values, eolOf(text)), eolOf(text));
    case 'block': {
      const found = findMarkedBlock(text, piece.agent);
      if (found === undefined) return text;
      const eol = eolOf(text);
      let start = found.start;
      if (text.slice(0, start).endsWith(eol + eol)) start -= eol.length;
      return text.slice(0, start) + text.slice(found.end);
    }
    case 'command':
      return text;
  }
}

/** A file wfs created holds nothing else once wfs's entries are out. */
function isEmptyOfOthers(text: string): boolean {
  const bare = text.trim();
  return bare === '' || /^\{\s*\}$/.test(bare);
}

// ---------------------------------------------------------------- the commands of the agents

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, command);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(argv: string[], env: NodeJS.ProcessEnv, cwd: string): string {
  const file = onPath(argv[0]!, env);
  if (file === undefined) throw new WfsError('E_NOT_FOUND', `${argv[0]} is not on PATH`);
  return execFileSync(file, argv.slice(1), { env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// ---------------------------------------------------------------- install and uninstall

function filesOf(plan: Plan): Map<string, Piece[]> {
  const files = new Map<string, Piece[]>();
  for (const piece of plan.pieces)
    if (piece.kind !== 'command') files.set(piece.file, [...(files.get(piece.file) ?? []), piece]);
  return files;
}

function originalsDir(ctx: ProjectContext, scope: Scope): string {
  return path.join(installDir(ctx, scope), 'originals');
}

/** Folders a file needs that are not there yet (to be removed again at uninstall if left empty). */
function missingDirs(file: string): string[] {
  const missing: string[] = [];
  for (let dir = path.dirname(file); !fs.existsSync(dir); dir = path.dirname(dir)) missing.push(dir);
  return missing;
}

function writeManifest(ctx: ProjectContext, scope: Scope, manifest: Manifest): void {
  ensureDirectory(installDir(ctx, scope));
  writeFileAtomic(manifestPath(ctx, scope), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Folders wfs made, deepest first, that nothing else is in now. */
function removeEmptyDirs(dirs: readonly string[]): void {
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty (or gone): it stays
    }
  }
}

/**
 * No install recorded any more: the record goes, with the folders it made (`.workflow/`, `~/.wfs/`)
 * when wfs keeps nothing else there. A record from before wfs remembered them: `~/.wfs/` is
 * wfs's own folder, a project's `.workflow/` may be the person's.
 */
function removeManifest(ctx: ProjectContext, scope: Scope, manifest: Manifest): void {
  const dir = installDir(ctx, scope);
  fs.rmSync(dir, { recursive: true, force: true });
  removeEmptyDirs((manifest.dirs ?? (scope === 'user' ? [path.dirname(dir)] : [])).filter((d) => d !== dir));
}

/** The lines of the exclude block a project's record needs: its own folder, and the personal files. */
function excludeLines(manifest: Manifest, root: string, top: string, env: NodeJS.ProcessEnv): string[] {
  if (manifest.installs.length === 0) return [];
  const personal = new Set<string>();
  for (const install of manifest.installs) {
    if (install.scope !== 'personal') continue;
    const plan = planFor(install.agent, install.scope, { root, env, guard: install.guard });
    for (const file of plan.personal) personal.add(excludePattern(top, file));
  }
  return [`${excludePattern(top, path.join(layoutFor(root).workflowDir, '.install'))}/`, ...personal];
}

/**
 * The git exclude block of the repository's installs (agents/exclude.ts): what the project's installs
 * in every worktree write for one person only, and their records, while any is recorded; nothing
 * once none is. The lines are in one order whichever worktree writes them, so an install that adds
 * nothing new leaves the file as it is. Returns the change of the exclude file (none outside git
 * and for `--user`, which writes nothing in a repository), and keeps in the manifest what to take
 * the block out again with (a copy of the one kept by the worktree that added it, when it is another).
 */
function syncExclude(
  ctx: ProjectContext,
  scope: Scope,
  manifest: Manifest,
  dryRun: boolean,
): FileChange | undefined {
  if (scope === 'user') return undefined;
  const target = excludeTarget(ctx.layout.root);
  if (target === undefined) return undefined;
  // The project is at the same place in every worktree (the files of a commit are).
  const place = path.relative(target.top, ctx.layout.root);
  const lines = new Set(excludeLines(manifest, ctx.layout.root, target.top, ctx.env));
  let kept: ExcludeRecord | undefined;
  for (const top of worktreesOf(target.top)) {
    if (top === target.top) continue;
    const root = path.join(top, place);
    const other = readManifestFile(path.join(layoutFor(root).workflowDir, '.install', 'manifest.json'));
    for (const line of excludeLines(other, root, top, ctx.env)) lines.add(line);
    if (other.exclude?.path === target.file) kept ??= other.exclude;
  }
  // The record's folder first, then the personal files by name: the same block from any worktree.
  const patterns = [...lines]
    .filter((l) => l.endsWith('/.install/'))
    .concat([...lines].filter((l) => !l.endsWith('/.install/')).sort());
  const before = readExclude(target.file);
  const record = manifest.exclude ?? kept;
  let after: string | undefined;
  if (patterns.length === 0) {
    if (before === undefined) return undefined;
    after = withoutBlock(before, record?.prefix ?? '');
    if (record?.created && after === '') after = undefined;
    if (!dryRun) {
      if (after === undefined) fs.rmSync(target.file, { force: true });
      else if (after !== before) writeFileAtomic(target.file, after);
      removeEmptyDirs(record?.dirs ?? []);
      delete manifest.exclude;
    }
  } else {
    const made = withBlock(before ?? '', patterns);
    after = made.text;
    if (!dryRun) {
      // A block appended (not one rewritten in place): what is needed to take it out again.
      if (after !== before && (made.appended || record === undefined))
        manifest.exclude = {
          path: target.file,
          created: before === undefined,
          prefix: made.prefix,
          dirs: missingDirs(target.file),
        };
      else if (record !== undefined) manifest.exclude = record;
      if (after !== before) {
        ensureDirectory(path.dirname(target.file));
        writeFileAtomic(target.file, after);
      }
    }
  }
  const action =
    after === before
      ? 'unchanged'
      : after === undefined
        ? 'removed'
        : before === undefined
          ? 'created'
          : 'changed';
  return {
    path: target.file,
    action,
    what: action === 'unchanged' ? [] : ['git exclude block'],
    before,
    after,
  };
}

export interface InstallOptions {
  agent: AgentName;
  scope: Scope;
  dryRun?: boolean;
  guard?: boolean;
}

export async function installAgent(ctx: ProjectContext, options: InstallOptions): Promise<InstallResult> {
  const guard = options.guard !== false;
  const plan = planFor(options.agent, options.scope, { root: ctx.layout.root, env: ctx.env, guard });
  const manifest = readManifest(ctx, plan.scope);
  // The first record: the folders it will make (before the originals kept beside it make them) are
  // remembered, to go with the last record, and never a person's own.
  const file = manifestPath(ctx, plan.scope);
  if (manifest.dirs === undefined && !fs.existsSync(file)) manifest.dirs = missingDirs(file);
  const previous = manifest.installs.find((i) => i.agent === plan.agent && i.scope === plan.scope);
  const result: InstallResult = {
    agent: plan.agent,
    scope: plan.scope,
    dry_run: options.dryRun === true,
    files: [],
    commands: [],
    notes: [...plan.notes],
    warnings: [],
  };
  // Everything is computed first: a file that does not parse stops the install before any write.
  const planned: { file: string; at: string; before: string | undefined; after: string; applied: Applied }[] =
    [];
  for (const [file, pieces] of filesOf(plan)) {
    const at = whereToWrite(file, plan.scope, ctx.layout.root);
    const before = readText(at);
    const applied = newApplied(before ?? '');
    let text = before ?? '';
    for (const piece of pieces) text = await addPiece(file, text, piece, applied);
    result.warnings.push(...applied.warnings);
    planned.push({ file, at, before, after: text, applied });
  }
  const record: ManifestInstall = previous ?? {
    agent: plan.agent,
    scope: plan.scope,
    guard,
    installed_at: ctx.clock().toISOString(),
    files: [],
    dirs: [],
    commands: [],
  };
  let changed = previous === undefined || previous.guard !== guard;
  record.guard = guard;
  for (const { file, at, before, after, applied } of planned) {
    const action = before === after ? 'unchanged' : before === undefined ? 'created' : 'changed';
    result.files.push({ path: file, action, what: applied.what, before, after });
    if (action === 'unchanged') continue;
    changed = true;
    if (options.dryRun) continue;
    let entry = record.files.find((f) => f.path === file);
    if (entry === undefined) {
      entry = { path: file, created: before === undefined, before: null, after: null, items: [], added: [] };
      record.files.push(entry);
    }
    // The original is the file as it was before wfs, as far as anyone can tell: kept when the file is
    // as wfs left it, else what it is now without wfs's entries (a person's edits since are kept).
    if (entry.after === null || before === undefined || sha(before) !== entry.after) {
      const original =
        before === undefined
          ? undefined
          : await withoutWfs(file, before, plan, knownOf(ctx, plan.scope, entry));
      entry.created = original === undefined;
      entry.before = original === undefined ? null : sha(original);
      if (original !== undefined) {
        ensureDirectory(originalsDir(ctx, plan.scope));
        writeFileAtomic(path.join(originalsDir(ctx, plan.scope), entry.before!), original);
      }
    }
    for (const item of applied.items)
      if (!entry.items.some((i) => sameValue(i, item))) entry.items.push(item);
    // A record of an older wfs knows not what it added: it goes on removing them all, as it did.
    if (entry.added !== undefined)
      for (const key of applied.added) if (!entry.added.includes(key)) entry.added.push(key);
    record.dirs.push(...missingDirs(at).filter((d) => !record.dirs.includes(d)));
    ensureDirectory(path.dirname(at));
    writeFileAtomic(at, after);
    entry.after = sha(after);
  }
  for (const piece of plan.pieces) {
    if (piece.kind !== 'command') continue;
    const done = record.commands.some((c) => sameValue(c.argv, piece.argv));
    if (done) {
      result.commands.push({ argv: piece.argv, ran: false, output: 'done by an earlier install' });
      continue;
    }
    if (onPath(piece.argv[0]!, ctx.env) === undefined) {
      result.warnings.push(
        `${piece.argv[0]} is not on PATH, so ${piece.what} was not added: run \`${piece.argv.join(' ')}\` where it is`,
      );
      continue;
    }
    changed = true;
    if (options.dryRun) {
      result.commands.push({ argv: piece.argv, ran: false });
      continue;
    }
    try {
      const output = run(piece.argv, ctx.env, ctx.layout.root);
      record.commands.push({ argv: piece.argv, undo: piece.undo });
      result.commands.push({ argv: piece.argv, ran: true, output: output.trim() });
    } catch (error) {
      result.warnings.push(
        `\`${piece.argv.join(' ')}\` failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
      );
    }
  }
  if (onPath('wfs', ctx.env) === undefined)
    result.warnings.push(
      'The hooks and the MCP entry run `wfs`, which is not on PATH here: install wfs for the agents to find it (npm install -g, or npm link in a checkout)',
    );
  // In the record read (not written on a dry run): the exclude block lists what it installs too.
  if (previous === undefined) manifest.installs.push(record);
  const excludeRecord = JSON.stringify(manifest.exclude);
  const exclude = syncExclude(ctx, plan.scope, manifest, options.dryRun === true);
  if (exclude !== undefined) {
    result.files.push(exclude);
    // A record taking a copy of another worktree's way out of the block is a change of the record.
    if (exclude.action !== 'unchanged' || JSON.stringify(manifest.exclude) !== excludeRecord) changed = true;
  }
  if (changed && !options.dryRun) writeManifest(ctx, plan.scope, manifest);
  return result;
}

/** A file's text without anything of wfs (every piece of any install of the plan's agent). */
async function withoutWfs(file: string, text: string, plan: Plan, known: Known): Promise<string> {
  let current = text;
  for (const piece of plan.pieces)
    if (piece.kind !== 'command' && piece.file === file)
      current = await removePiece(file, current, piece, known);
  return current;
}

/** What the record of a file tells (nothing without one: wfs's entries are all taken out). */
function knownOf(ctx: ProjectContext, scope: Scope, entry: ManifestFile | undefined): Known {
  let original: string | undefined;
  if (entry !== undefined && !entry.created && entry.before !== null)
    try {
      original = fs.readFileSync(path.join(originalsDir(ctx, scope), entry.before), 'utf8');
    } catch {
      original = undefined;
    }
  return { items: entry?.items ?? [], added: entry === undefined ? undefined : entry.added, original };
}

/** Where wfs reads and writes an agent's file: the file, or the target of a link on its way. */
function whereToWrite(file: string, scope: Scope, root: string): string {
  const rest: string[] = [];
  let existing = file;
  for (;;) {
    try {
      fs.lstatSync(existing);
      break;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || path.dirname(existing) === existing) throw error;
      rest.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
  let real: string;
  try {
    real = fs.realpathSync.native(existing);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    throw new WfsError(
      'E_SYMLINK',
      `${existing} is a symbolic link to something that does not exist: wfs does not create a link's target; nothing was written`,
      { details: { path: existing } },
    );
  }
  const target = path.join(real, ...rest);
  if (target === file) return file;
  // SPEC 1's rule (no write through a link) guards what a cloned repository can carry: a link of the
  // project that leads outside it would have wfs edit a file of anyone's choosing. The user's own
  // configuration (`--user`) is often a link into a dotfiles repository, where editing the target
  // and keeping the link is what its owner expects; so is a link inside the project
  // (`CLAUDE.md -> AGENTS.md`).
  const inside = path.relative(root, target);
  if (scope !== 'user' && (inside.startsWith('..') || path.isAbsolute(inside)))
    throw new WfsError(
      'E_SYMLINK',
      `${file} is a symbolic link to ${target}, outside the project: wfs does not write outside the project through a link a repository can carry; nothing was written`,
      { details: { path: file, target } },
    );
  return target;
}

/** Whether an agent's file is written at `target` (a link to it); one that cannot be written is not. */
function sameTarget(file: string, scope: Scope, root: string, target: string): boolean {
  try {
    return whereToWrite(file, scope, root) === target;
  } catch {
    // A link to nowhere or out of the project: that install writes nothing there.
    return false;
  }
}

export async function uninstallAgent(
  ctx: ProjectContext,
  options: { agent: AgentName; scope: Scope; dryRun?: boolean },
): Promise<InstallResult> {
  const manifest = readManifest(ctx, options.scope);
  const index = manifest.installs.findIndex((i) => i.agent === options.agent && i.scope === options.scope);
  const record = index < 0 ? undefined : manifest.installs[index]!;
  const plan = planFor(options.agent, options.scope, {
    root: ctx.layout.root,
    env: ctx.env,
    guard: record?.guard ?? true,
  });
  const result: InstallResult = {
    agent: plan.agent,
    scope: plan.scope,
    dry_run: options.dryRun === true,
    files: [],
    commands: [],
    notes: [],
    warnings: [],
  };
  if (record === undefined)
    result.notes.push(
      `No install of this agent and scope is recorded in ${manifestPath(ctx, plan.scope)}: only wfs's entries are taken out of its files.`,
    );
  // The other installs recorded beside this one (another scope of the agent) that write some of
  // the same files: Claude Code's default and --shared both use .mcp.json; Codex and Gemini CLI
  // have no personal project files, so both scopes write the same ones.
  const others = manifest.installs
    .filter((i) => i !== record && !(i.agent === plan.agent && i.scope === plan.scope))
    .map((install) => ({
      install,
      plan: planFor(install.agent, install.scope, {
        root: ctx.layout.root,
        env: ctx.env,
        guard: install.guard,
      }),
    }));
  const planned: {
    file: string;
    at: string;
    before: string;
    after: string | undefined;
    restored: boolean;
  }[] = [];
  const handovers: (() => void)[] = [];
  for (const [file] of filesOf(plan)) {
    const at = whereToWrite(file, plan.scope, ctx.layout.root);
    const before = readText(at);
    if (before === undefined) continue;
    const entry = record?.files.find((f) => f.path === file);
    let after: string | undefined;
    let restored = false;
    if (entry !== undefined && entry.after === sha(before)) {
      // Nobody changed it since: the bytes it had before wfs.
      restored = true;
      after = entry.created
        ? undefined
        : fs.readFileSync(path.join(originalsDir(ctx, plan.scope), entry.before!), 'utf8');
    } else {
      after = await withoutWfs(file, before, plan, knownOf(ctx, plan.scope, entry));
      if (entry?.created && isEmptyOfOthers(after)) after = undefined;
    }
    // The other installs writing this file: by its name, or through a link to it (`CLAUDE.md ->
    // AGENTS.md` gives Claude Code's block and Codex's one file).
    const keepers = others.flatMap((o) =>
      [...filesOf(o.plan)]
        .filter(([name]) => name === file || sameTarget(name, o.install.scope, ctx.layout.root, at))
        .map(([name, pieces]) => ({ install: o.install, name, pieces })),
    );
    if (keepers.length > 0) {
      // What the other installs need of this file stays (put back as they add it), and so does
      // the record of what the file was before wfs: the last uninstall restores it.
      const applied = newApplied(after ?? '');
      let kept = after ?? '';
      for (const keeper of keepers)
        for (const piece of keeper.pieces) kept = await addPiece(file, kept, piece, applied);
      after = kept;
      restored = false;
      const heir = keepers[0]!;
      handovers.push(() => handOver(heir.install, heir.name, record, entry, after!, applied));
    }
    planned.push({ file, at, before, after, restored });
  }
  for (const { file, at, before, after, restored } of planned) {
    const action =
      after === before ? 'unchanged' : after === undefined ? 'removed' : restored ? 'restored' : 'changed';
    result.files.push({ path: file, action, what: [], before, after });
    if (options.dryRun || action === 'unchanged') continue;
    if (after === undefined) fs.rmSync(at, { force: true });
    else writeFileAtomic(at, after);
  }
  for (const command of record?.commands ?? []) {
    if (options.dryRun) {
      result.commands.push({ argv: command.undo, ran: false });
      continue;
    }
    try {
      result.commands.push({
        argv: command.undo,
        ran: true,
        output: run(command.undo, ctx.env, ctx.layout.root).trim(),
      });
    } catch (error) {
      result.warnings.push(
        `\`${command.undo.join(' ')}\` failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
      );
    }
  }
  if (record === undefined) return result;
  if (options.dryRun) {
    const exclude = syncExclude(
      ctx,
      plan.scope,
      { ...manifest, installs: manifest.installs.filter((i) => i !== record) },
      true,
    );
    if (exclude !== undefined) result.files.push(exclude);
    return result;
  }
  // Folders wfs made, deepest first, when nothing else is in them now.
  removeEmptyDirs(record.dirs);
  for (const handover of handovers) handover();
  manifest.installs.splice(index, 1);
  const exclude = syncExclude(ctx, plan.scope, manifest, false);
  if (exclude !== undefined) result.files.push(exclude);
  forgetOriginals(originalsDir(ctx, plan.scope), manifest);
  if (manifest.installs.length === 0) removeManifest(ctx, plan.scope, manifest);
  else writeManifest(ctx, plan.scope, manifest);
  return result;
}

/**
 * A file an uninstall leaves to another install (`heir`) that needs it: the heir's record of the
 * file takes over what wfs knew of it (the bytes before wfs, from whichever install is older, the
 * items wfs added), and the folders the file needed that the uninstalled install had made.
 */
function handOver(
  heir: ManifestInstall,
  file: string,
  from: ManifestInstall | undefined,
  entry: ManifestFile | undefined,
  text: string,
  applied: Applied,
): void {
  // `file` is the heir's name of the file (the link it writes through, where it has one).
  let own = heir.files.find((f) => f.path === file);
  if (own === undefined) {
    if (entry === undefined) return;
    own = {
      ...entry,
      path: file,
      items: [...entry.items],
      ...(entry.added ? { added: [...entry.added] } : {}),
    };
    heir.files.push(own);
  } else if (entry !== undefined && from !== undefined && from.installed_at <= heir.installed_at) {
    own.created = entry.created;
    own.before = entry.before;
    for (const item of entry.items) if (!own.items.some((i) => sameValue(i, item))) own.items.push(item);
    // What either record added is wfs's; a record that does not know (an older wfs) makes it unknown.
    own.added =
      own.added === undefined || entry.added === undefined
        ? undefined
        : [...new Set([...own.added, ...entry.added])];
  }
  for (const item of applied.items) if (!own.items.some((i) => sameValue(i, item))) own.items.push(item);
  if (own.added !== undefined) own.added = [...new Set([...own.added, ...applied.added])];
  own.after = sha(text);
  for (const dir of from?.dirs ?? [])
    if (file.startsWith(dir + path.sep) && !heir.dirs.includes(dir)) heir.dirs.push(dir);
}

/** The kept originals no recorded install refers to any more. */
function forgetOriginals(dir: string, manifest: Manifest): void {
  const kept = new Set(manifest.installs.flatMap((i) => i.files.map((f) => f.before)));
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (!kept.has(name)) fs.rmSync(path.join(dir, name), { force: true });
}
