import fs from 'node:fs';
import { errnoCode } from '../core/errors.js';
import {
  movedCounts,
  PHASE_HISTORY_LISTS,
  type PhaseHistoryLine,
  type PhaseHistoryList,
} from '../core/phase.js';
import type { SessionState } from '../core/session.js';
import { appendLinesDurably, withPath } from './atomic.js';
import { sessionLayout } from './layout.js';

/**
 * `.process/phase-history.jsonl`: the entries of `state_transitions` and `context_chain` moved out
 * of the session file (core/phase.ts), oldest first, appended under the project lock.
 */
export function appendPhaseHistory(sessionDir: string, lines: readonly PhaseHistoryLine[]): void {
  appendLinesDurably(
    sessionLayout(sessionDir).phaseHistory,
    lines.map((line) => `${JSON.stringify(line)}\n`).join(''),
  );
}

/**
 * A session's whole phase history: the moved entries the state counts (one per position, lines a
 * crash left twice or ahead of the state ignored, damaged lines skipped), then the state's own.
 * Reads a file in proportion to the history: for a person's look at it, never on a command's path.
 */
export function readPhaseHistory(
  sessionDir: string,
  state: SessionState,
): Record<PhaseHistoryList, unknown[]> & { missing: number } {
  const counts = movedCounts(state);
  let text = '';
  try {
    text = fs.readFileSync(sessionLayout(sessionDir).phaseHistory, 'utf8');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw withPath(error, sessionLayout(sessionDir).phaseHistory);
  }
  const moved: Record<PhaseHistoryList, unknown[]> = { state_transitions: [], context_chain: [] };
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: Partial<PhaseHistoryLine>;
    try {
      line = JSON.parse(raw) as Partial<PhaseHistoryLine>;
    } catch {
      continue;
    }
    const list = line.list;
    if (!PHASE_HISTORY_LISTS.includes(list as PhaseHistoryList) || typeof line.seq !== 'number') continue;
    if (line.seq >= 0 && line.seq < counts[list!]) moved[list!][line.seq] = line.entry;
  }
  let missing = 0;
  for (const list of PHASE_HISTORY_LISTS) {
    const known = Array.from({ length: counts[list] }, (_, i) => moved[list][i]);
    missing += known.filter((entry) => entry === undefined).length;
    moved[list] = [...known.filter((entry) => entry !== undefined), ...state[list]];
  }
  return { ...moved, missing };
}
