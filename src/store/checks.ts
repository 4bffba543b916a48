import type { Layout } from './layout.js';

/**
 * What `wfs doctor` is made of: each module that owns files exports the checks of those files (the
 * lock its locks, the workflows their run records, the coordination backend its state), written
 * against this small reporter, and the doctor (views/doctor.ts) composes them. A check reports;
 * a repair is a function the reporter calls only with `--fix`, and never deletes: what has to go
 * is moved aside.
 */
export interface Finding {
  check: string;
  severity: 'problem' | 'info';
  message: string;
  /** What --fix did, when it repaired this. */
  fixed?: string;
  /** Why --fix cannot repair it. */
  manual?: string;
}

export interface CheckReporter {
  readonly layout: Layout;
  /** `--fix` was asked for, and the project lock is held (repairs run). */
  readonly fixing: boolean;
  /** False for a read-only diagnosis (the project lock could not be taken). */
  readonly locked: boolean;
  problem(check: string, message: string, repair?: () => string, manual?: string): void;
  info(check: string, message: string): void;
  /** Moves a file or folder under .workflow/ into this run's aside folder; returns where, relative to the root. */
  moveAside(file: string): string;
  /** A path relative to the project root, for messages. */
  rel(file: string): string;
}
