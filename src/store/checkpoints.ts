import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import { CHECKPOINTS_KEPT, checkpointsToPrune } from '../core/phase.js';
import { PHASES, type Phase } from '../core/session.js';
import { removeFileIfExists, writeFileAtomic } from './atomic.js';
import type { CheckReporter } from './checks.js';
import { sessionLayout } from './layout.js';
import { ensureDirectory, readOwnFile } from './safe-path.js';
import type { LoadedSession } from './session-files.js';
import { uniqueSuffix } from './unique.js';

/**
 * Checkpoints are files of their own, `.process/checkpoints/<id>.<PHASE>.json`, written atomically
 * and durably before the state that refers to them. IDs sort by time and carry the process, a
 * counter and random digits, so two checkpoints never share an ID, not in one millisecond and not
 * across sessions.
 */
export interface CheckpointFile {
  checkpoint_id: string;
  session_id: string;
  trigger: string;
  phase: Phase;
  timestamp: string;
  /** The revision of workflow-session.json that records this checkpoint. */
  revision: number;
  data: Record<string, unknown> | null;
  todos: unknown;
  phase_record: unknown;
}

export function checkpointsDir(sessionDir: string): string {
  return sessionLayout(sessionDir).checkpoints;
}

export function newCheckpointId(now: string): string {
  return `CP-${now.replace(/[-:.]/g, '')}-${uniqueSuffix()}`;
}

const FILE_NAME = /^(CP-[A-Za-z0-9-]+)\.(PLAN|IMPLEMENT|REVIEW)\.json$/;

export function writeCheckpoint(sessionDir: string, checkpoint: CheckpointFile): string {
  const dir = checkpointsDir(sessionDir);
  ensureDirectory(dir);
  const file = path.join(dir, `${checkpoint.checkpoint_id}.${checkpoint.phase}.json`);
  // Compact: checkpoints are read by programs, and the todo snapshot is most of their bytes.
  writeFileAtomic(file, `${JSON.stringify(checkpoint)}\n`);
  return file;
}

/** The session's checkpoints, oldest first (IDs sort by time). */
export function listCheckpoints(sessionDir: string): { id: string; phase: Phase; file: string }[] {
  const dir = checkpointsDir(sessionDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const found: { id: string; phase: Phase; file: string }[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (match && (PHASES as readonly string[]).includes(match[2]!)) {
      found.push({
        id: match[1]!,
        phase: match[2] as Phase,
        file: path.join(dir, name),
      });
    }
  }
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A checkpoint file's content, or undefined when it cannot be read or is not a checkpoint. */
export function readCheckpointFile(file: string): CheckpointFile | undefined {
  const read = readOwnFile(file);
  if (read === undefined || 'link' in read) return undefined;
  try {
    const value = JSON.parse(read.text) as CheckpointFile;
    return typeof value === 'object' && value !== null && typeof value.checkpoint_id === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

// Pruning waits until this many are past the bound, then removes them together: not one file per save.
const PRUNE_SLACK = 5;

/**
 * Bounded retention: once more than CHECKPOINTS_KEPT + PRUNE_SLACK exist, the oldest beyond
 * CHECKPOINTS_KEPT go, never the newest of a phase.
 */
export function pruneCheckpoints(sessionDir: string, keep = CHECKPOINTS_KEPT): number {
  const all = listCheckpoints(sessionDir);
  if (all.length <= keep + PRUNE_SLACK) return 0;
  const prune = new Set(checkpointsToPrune(all, keep));
  for (const checkpoint of all) if (prune.has(checkpoint.id)) removeFileIfExists(checkpoint.file);
  return prune.size;
}

/** The checkpoint each session's state names last must be readable: resume builds on it. */
export function checkLastCheckpoints(report: CheckReporter, sessions: readonly LoadedSession[]): void {
  for (const session of sessions) {
    const last = session.state.last_checkpoint;
    if (!last) continue;
    const file = listCheckpoints(session.dir).find((c) => c.id === last.id)?.file;
    if (file === undefined) continue; // resume reports a missing one and degrades
    if (readCheckpointFile(file) !== undefined) continue;
    report.problem(
      'checkpoints',
      `${session.id}: its last checkpoint ${last.id} is damaged (${report.rel(file)})`,
      () =>
        `moved aside to ${report.moveAside(file)}; wfs session resume restarts the phase from what was retained`,
    );
  }
}
