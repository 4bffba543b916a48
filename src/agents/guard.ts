import fs from 'node:fs';
import path from 'node:path';
import { type Conversation, conversationsDir } from '../session/binding.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Layout } from '../store/layout.js';
import { ensureDirectory } from '../store/safe-path.js';

/**
 * What the edit guard has told a conversation (SPEC 7): the paths it asked about and whether the
 * edit went ahead after all (the person said yes). A conversation is asked once per path, not at
 * every edit of a file it was already told about and edited: the person decided. Codex cannot ask
 * (its PreToolUse accepts only `deny`), so there the refusal is the telling, and the conversation's
 * next edit of the same paths goes through: the agent was told and asked its person.
 *
 * Kept beside the conversation's index entry (`<agent>.<id>.guard.json`), written only by that
 * conversation's own hooks.
 */

/** How long what a conversation was told holds. */
export const TOLD_FOR_MS = 10 * 60 * 1000;

type Told = Record<string, { state: 'asked' | 'approved'; at: number }>;

function guardFile(layout: Layout, c: Conversation): string {
  return path.join(conversationsDir(layout), `${c.agent}.${c.conversation_id}.guard.json`);
}

function read(layout: Layout, c: Conversation, now: number): Told {
  let text: string;
  try {
    const fd = fs.openSync(guardFile(layout, c), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return {};
  }
  try {
    const value = JSON.parse(text) as Told;
    const told: Told = {};
    for (const [file, entry] of Object.entries(value))
      if (typeof entry?.at === 'number' && now - entry.at < TOLD_FOR_MS) told[file] = entry;
    return told;
  } catch {
    return {};
  }
}

function write(layout: Layout, c: Conversation, told: Told): void {
  ensureDirectory(conversationsDir(layout));
  // Not fsynced: what a conversation was told is worth nothing after a machine restart.
  writeFileAtomic(guardFile(layout, c), `${JSON.stringify(told)}\n`, { durable: false });
}

/** Whether the conversation may edit these paths without being asked again. */
export function alreadyDecided(
  layout: Layout,
  c: Conversation,
  paths: readonly string[],
  now: number,
  toldIsEnough: boolean,
): boolean {
  const told = read(layout, c, now);
  return paths.every((p) => told[p]?.state === 'approved' || (toldIsEnough && told[p] !== undefined));
}

export function rememberAsked(layout: Layout, c: Conversation, paths: readonly string[], now: number): void {
  const told = read(layout, c, now);
  for (const p of paths) if (told[p]?.state !== 'approved') told[p] = { state: 'asked', at: now };
  write(layout, c, told);
}

/** An edit happened: a path the conversation was asked about was approved. Nothing asked: nothing written. */
export function rememberEdited(layout: Layout, c: Conversation, paths: readonly string[], now: number): void {
  const told = read(layout, c, now);
  const asked = paths.filter((p) => told[p] !== undefined);
  if (asked.length === 0) return;
  for (const p of asked) told[p] = { state: 'approved', at: now };
  write(layout, c, told);
}
