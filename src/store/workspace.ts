import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import type { Layout } from './layout.js';
import { ensureDirectory } from './safe-path.js';
import { uniqueSuffix } from './unique.js';

/**
 * SPEC 2: each `.workflow/` is a workspace with an ID of its own, made once, so that two worktrees
 * (or two clones on one Redis) that each have a `WFS-fix-login` are two sessions in coordination,
 * never one. The ID is kept in `.workflow/workspace.json` with the root it was made for: a
 * `.workflow/` copied to another folder (or committed and cloned) is another workspace, and gets an
 * ID of its own there. Its name, for people, is the folder's (a worktree is recognised by it).
 */
export interface WorkspaceIdentity {
  id: string;
  name: string;
}

interface Stored {
  id: string;
  root: string;
  created_at: string;
}

const ID = /^ws-[a-z0-9]{4,40}$/;
const known = new Map<string, WorkspaceIdentity>();

function fileOf(layout: Layout): string {
  return path.join(layout.workflowDir, 'workspace.json');
}

function read(file: string): Stored | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Stored;
    return typeof value.id === 'string' && ID.test(value.id) && typeof value.root === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** FNV-1a, 53 bits: a stable short ID from text (node:crypto costs ~3.5 ms of a CLI start). */
function stableId(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ text.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return `ws-${h1.toString(36)}${h2.toString(36)}`;
}

/**
 * Makes the record once: written whole to a temp file and linked into place (link fails if another
 * process made it first, and then that one is the workspace's: two processes never get two IDs).
 */
function make(file: string, root: string): Stored | undefined {
  const stored: Stored = {
    id: `ws-${uniqueSuffix()
      .replace(/[^a-z0-9]/g, '')
      .slice(-16)}`,
    root,
    created_at: new Date().toISOString(),
  };
  const temp = `${file}.${uniqueSuffix()}.wfs-tmp`;
  try {
    ensureDirectory(path.dirname(file));
    fs.writeFileSync(temp, `${JSON.stringify(stored)}\n`, { flag: 'wx' });
    try {
      fs.linkSync(temp, file);
      return stored;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      const theirs = read(file);
      if (theirs !== undefined && theirs.root === root) return theirs;
      // A record of another folder (this one was copied): ours replaces it.
      fs.renameSync(temp, file);
      return stored;
    }
  } catch {
    return undefined;
  } finally {
    try {
      fs.unlinkSync(temp);
    } catch {
      // linked or renamed, or never made
    }
  }
}

/**
 * This `.workflow/`'s workspace. Where the record cannot be written (a read-only `.workflow/`), the
 * ID is derived from the host and the root, the same every time there: still one ID per folder.
 *
 * A project without `.workflow/` gets that derived ID too, and no folder, unless the caller is
 * about to leave something in coordination under it (`create`: a lock, a result, a claim): a
 * read (`wfs context`, `wfs lock list`) writes nothing, and whatever this workspace leaves behind
 * is found under the same ID by the commands after it.
 */
export function workspaceOf(layout: Layout, options: { create?: boolean } = {}): WorkspaceIdentity {
  const cached = known.get(layout.root);
  if (cached !== undefined) return cached;
  const file = fileOf(layout);
  const stored = read(file);
  let current: Stored | undefined;
  if (stored !== undefined && stored.root === layout.root) current = stored;
  else if (options.create === true || fs.existsSync(layout.workflowDir)) current = make(file, layout.root);
  const identity: WorkspaceIdentity = {
    id: current?.id ?? stableId(`${os.hostname()}\u0000${layout.root}`),
    // Printable: it is shown to people on other terminals and machines.
    name: (path.basename(layout.root) || layout.root)
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
      .slice(0, 100),
  };
  // Not kept while derived for want of a .workflow/: a later call in this process may make it.
  if (current !== undefined) known.set(layout.root, identity);
  return identity;
}
