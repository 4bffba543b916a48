import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, isWfsError, WfsError } from '../core/errors.js';
import { monotonicMs } from '../core/monotonic.js';
import { appendLineDurably, removeFileIfExists } from '../store/atomic.js';
import { sessionLayout } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { nowIso } from '../store/project.js';
import { ensureDirectory } from '../store/safe-path.js';
import type { LoadedSession } from '../store/session-files.js';
import { keepPresent } from './announcements.js';
import { readTarget } from './target.js';

/**
 * The pre-execution protocol (SPEC 3, `wfs exec`): a command runs, without a shell, in the context
 * of a session, told where it is through the environment; its exit code is passed through, signals
 * sent to wfs reach it, and the run is recorded in the session's audit trail.
 */

export interface ExecInput {
  command: string;
  args: readonly string[];
  session?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the command's standard output goes: ours (default), or our stderr (SPEC 3, `exec --json`). */
  stdout?: 'inherit' | 'stderr';
}

export interface ExecResult {
  exit_code: number;
  signal: NodeJS.Signals | null;
  duration_ms: number;
  session_id: string | null;
  workspace: string;
  warnings: string[];
}

// Each line of the audit trail stays below 4 KiB, so an O_APPEND write of it lands whole even when
// several `wfs exec` finish at once.
const ARG_CHARS = 400;
const LINE_BYTES = 4000;

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export function auditPath(sessionDir: string): string {
  return sessionLayout(sessionDir).audit;
}

// The audit trail is rotated past this size, keeping this many older files: a session that runs
// thousands of commands keeps a bounded trail (SPEC 4), and the newest runs are always there.
const AUDIT_MAX_BYTES = 1024 * 1024;
const AUDIT_ROTATED_KEPT = 3;

/** Moves a full audit trail aside (audit.<time>.jsonl) and drops the oldest beyond the ones kept. */
function rotateAudit(sessionDir: string, now: string): void {
  const file = auditPath(sessionDir);
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isFile() || stat.size < AUDIT_MAX_BYTES) return;
  const dir = path.dirname(file);
  // A writer holding the old file open still lands its line whole, in the rotated file.
  fs.renameSync(file, path.join(dir, `audit.${now.replace(/[:.]/g, '-')}.${process.pid}.jsonl`));
  const rotated = fs
    .readdirSync(dir)
    .filter((name) => /^audit\..+\.jsonl$/.test(name))
    .sort();
  for (const old of rotated.slice(0, Math.max(0, rotated.length - AUDIT_ROTATED_KEPT)))
    removeFileIfExists(path.join(dir, old));
}

function appendAudit(sessionDir: string, entry: Record<string, unknown>, now: string): void {
  let line = `${JSON.stringify(entry)}\n`;
  if (Buffer.byteLength(line) > LINE_BYTES)
    line = `${JSON.stringify({ ...entry, args: '(too long to record)' })}\n`;
  rotateAudit(sessionDir, now);
  // Never through a link (SPEC 1); the record of a run is on disk when wfs exits.
  appendLineDurably(auditPath(sessionDir), line);
}

/** The session a command runs in (SPEC 2's resolution); none when nothing is named and none is active. */
async function sessionFor(
  ctx: ProjectContext,
  id: string | undefined,
): Promise<{ session?: LoadedSession; warnings: string[] }> {
  try {
    return await readTarget(ctx, id, { action: 'run a command in', refuseArchived: true });
  } catch (error) {
    if (isWfsError(error) && error.code === 'E_NO_ACTIVE_SESSION') return { warnings: [] };
    throw error;
  }
}

/** Runs the command and resolves when it has ended (never rejects for the command's own failure). */
/** The pre-execution protocol's environment (SPEC 3): what a command run for a session sees. */
export function sessionEnv(
  ctx: ProjectContext,
  base: NodeJS.ProcessEnv,
  session: LoadedSession | undefined,
  workspace: string,
  outputDir: string,
): NodeJS.ProcessEnv {
  return {
    ...base,
    WFS_ROOT: ctx.layout.root,
    WFS_SESSION_ID: session?.id ?? '',
    WFS_SESSION_DIR: workspace,
    WFS_SESSION_TYPE: session?.state.type ?? '',
    WFS_PHASE: session?.state.current_phase ?? '',
    WFS_OUTPUT_DIR: outputDir,
  };
}

export async function execInSession(
  ctx: ProjectContext,
  input: ExecInput,
  onStart?: (warnings: string[]) => void,
  onEnd?: (warnings: string[]) => void,
): Promise<ExecResult> {
  const { session, warnings } = await sessionFor(ctx, input.session);
  let started: number | undefined;
  let workspace: string;
  let outputDir: string;
  if (session === undefined) {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-exec-'));
    outputDir = workspace;
    warnings.push(
      `No active session: running in a temporary workspace ${workspace} (start one: wfs session start --auto "TASK")`,
    );
  } else {
    workspace = session.dir;
    outputDir = sessionLayout(session.dir).outputs;
    ensureDirectory(outputDir);
  }
  // Failures of the heartbeat while the command runs are reported when it ends (onEnd).
  const late: string[] = [];
  const stopPresence =
    session === undefined
      ? async () => {}
      : await keepPresent(ctx, session.id, (m) => (started === undefined ? warnings : late).push(m));
  onStart?.(warnings);
  const env = sessionEnv(ctx, input.env, session, workspace, outputDir);
  started = monotonicMs();
  const startedAt = nowIso(ctx);
  const outcome = await new Promise<{ code: number; signal: NodeJS.Signals | null; error?: string }>(
    (resolve) => {
      const child = spawn(input.command, [...input.args], {
        cwd: input.cwd,
        env,
        // With --json, stdout is for one JSON document: the command's own output goes to stderr.
        stdio: ['inherit', input.stdout === 'stderr' ? 2 : 'inherit', 'inherit'],
        shell: false,
      });
      const forward = (signal: NodeJS.Signals) => () => {
        child.kill(signal);
      };
      const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
      for (const [signal, handler] of handlers) process.on(signal, handler);
      const finish = (result: { code: number; signal: NodeJS.Signals | null; error?: string }) => {
        for (const [signal, handler] of handlers) process.off(signal, handler);
        resolve(result);
      };
      child.on('error', (error) => {
        // Like a shell: 127 when the command does not exist, 126 when it cannot be run.
        const code = errnoCode(error) === 'ENOENT' ? 127 : 126;
        finish({ code, signal: null, error: (error as Error).message });
      });
      child.on('exit', (code, signal) => {
        // Killed by a signal: 128 + its number, as shells report it.
        finish({ code: code ?? 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0), signal });
      });
    },
  );
  const duration = Math.round(monotonicMs() - started);
  await stopPresence();
  // A temporary workspace is temporary: removed unless the command left something in it.
  if (session === undefined && fs.readdirSync(workspace).length === 0) fs.rmdirSync(workspace);
  else if (session === undefined)
    late.push(`The temporary workspace ${workspace} is kept: the command left files in it`);
  if (late.length > 0) {
    onEnd?.(late);
    warnings.push(...late);
  }
  if (session !== undefined) {
    appendAudit(
      session.dir,
      {
        at: startedAt,
        session_id: session.id,
        command: input.command,
        args: input.args.map((a) => (a.length > ARG_CHARS ? `${a.slice(0, ARG_CHARS)}…` : a)),
        cwd: input.cwd,
        exit_code: outcome.code,
        signal: outcome.signal,
        duration_ms: duration,
        host: os.hostname(),
        pid: process.pid,
        ...(outcome.error ? { error: outcome.error } : {}),
      },
      nowIso(ctx),
    );
  }
  if (outcome.error !== undefined) {
    throw new WfsError(
      'E_NOT_FOUND',
      outcome.code === 127
        ? `Command not found: ${input.command}`
        : `Cannot run ${input.command}: ${outcome.error}`,
      {
        details: { exit_code: outcome.code },
      },
    );
  }
  return {
    exit_code: outcome.code,
    signal: outcome.signal,
    duration_ms: duration,
    session_id: session?.id ?? null,
    workspace,
    warnings,
  };
}
