import fs from 'node:fs';
import path from 'node:path';
import { checkCoordinationFiles } from '../coord/local/doctor.js';
import { coordinationDir } from '../coord/location.js';
import { coordinationSettings, identityOf, withCoordinator } from '../coord/open.js';
import { describeFault, WfsError } from '../core/errors.js';
import { compareText } from '../core/ids.js';
import * as rules from '../core/lifecycle.js';
import { checkProjectFiles } from '../project/schema.js';
import { checkArchiving, checkManifest } from '../session/archive.js';
import { checkLegacyLayout, saveUpgraded } from '../session/migrate.js';
import { checkUnfinishedCreations } from '../session/start.js';
import { inTransaction, rebuildRegistryEntries, type SessionTransaction } from '../session/transaction.js';
import { readActivePointer, writeActivePointer } from '../store/active-pointer.js';
import { checkTempFiles } from '../store/atomic.js';
import { checkLastCheckpoints } from '../store/checkpoints.js';
import type { CheckReporter, Finding } from '../store/checks.js';
import { registryDirectory, type SessionLocation, sessionLayout } from '../store/layout.js';
import { checkLocks } from '../store/lock.js';
import { nowIso, type ProjectContext } from '../store/project.js';
import { entryFromState, readRegistry } from '../store/registry.js';
import { ensureDirectory } from '../store/safe-path.js';
import {
  type LoadedSession,
  listSessionFolders,
  newestGoodBackup,
  readSessionAt,
} from '../store/session-files.js';
import { checkRunRecords, checkStepProcesses } from '../workflow/runs.js';

/**
 * `wfs doctor [--fix]`: checks `.workflow/` against the contract and, with `fix`, repairs what it
 * finds without deleting anything: what has to go is moved to `.workflow/.backups/doctor-<time>/`.
 * It runs under the project lock, so it never mistakes a transaction in progress for damage.
 */
export type { Finding } from '../store/checks.js';

export interface DoctorReport {
  root: string;
  sessions: number;
  findings: Finding[];
  problems: number;
  fixed: number;
  remaining: number;
}

/** The reporter the checks write to, and the doctor's own checks (files, sessions, the active one, the registry). */
class Doctor implements CheckReporter {
  readonly findings: Finding[] = [];
  private asideDir: string | undefined;

  /**
   * `transaction` is undefined for a read-only diagnosis (the project lock could not be taken):
   * then nothing is repaired, and no check may touch it.
   */
  constructor(
    private readonly ctx: ProjectContext,
    private readonly transaction: SessionTransaction | undefined,
    private readonly fix: boolean,
  ) {}

  get fixing(): boolean {
    return this.fix && this.transaction !== undefined;
  }

  get locked(): boolean {
    return this.transaction !== undefined;
  }

  get tx(): SessionTransaction {
    if (this.transaction === undefined)
      throw new WfsError('E_INTERNAL', 'A repair ran without the project lock');
    return this.transaction;
  }

  /**
   * Runs one check; an error it meets (a file that cannot be read, a folder where a file belongs)
   * is a finding of its own, so one damaged file never hides the rest of the report.
   */
  run(check: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      const described = describeFault(error);
      this.problem(
        check,
        `cannot be checked: ${described}`,
        undefined,
        'see the message; wfs doctor --fix cannot repair this',
      );
    }
  }

  get layout() {
    return this.ctx.layout;
  }

  problem(check: string, message: string, repair?: () => string, manual?: string): void {
    const finding: Finding = { check, severity: 'problem', message };
    if (repair !== undefined && this.fixing) {
      try {
        finding.fixed = repair();
      } catch (error) {
        finding.manual = `the repair failed: ${describeFault(error)}`;
      }
    } else if (repair === undefined && manual !== undefined) finding.manual = manual;
    this.findings.push(finding);
  }

  info(check: string, message: string): void {
    this.findings.push({ check, severity: 'info', message });
  }

  private get stamp(): string {
    return nowIso(this.ctx).replace(/[:.]/g, '-');
  }

  /** Moves a file or folder under .workflow/ into this run's aside folder, keeping its path. */
  moveAside(file: string): string {
    // The aside folder itself cannot hold what stood in its place: that goes beside it.
    if (file === this.layout.backupsDir) {
      const beside = `${file}.damaged-${this.stamp}`;
      fs.renameSync(file, beside);
      return path.relative(this.layout.root, beside);
    }
    this.asideDir ??= path.join(this.layout.backupsDir, `doctor-${this.stamp}`);
    const target = path.join(this.asideDir, path.relative(this.layout.workflowDir, file));
    ensureDirectory(path.dirname(target));
    fs.renameSync(file, target);
    return path.relative(this.layout.root, target);
  }

  /** The files and folders of the layout: each of the kind it must be, and never a link. */
  checkFileKinds(): void {
    const folders = [
      this.layout.backupsDir,
      this.layout.activeDir,
      this.layout.archivesDir,
      this.layout.locksDir,
    ];
    const files = [
      this.layout.registryPath,
      this.layout.activePointerPath,
      this.layout.manifestPath,
      this.layout.techPath,
      this.layout.guidelinesPath,
      this.layout.configPath,
    ];
    for (const [paths, wanted] of [
      [folders, 'folder'],
      [files, 'file'],
    ] as const) {
      for (const file of paths) {
        const stat = fs.lstatSync(file, { throwIfNoEntry: false });
        if (stat === undefined) continue;
        const what = stat.isSymbolicLink()
          ? 'a symbolic link'
          : stat.isDirectory()
            ? 'a folder'
            : stat.isFile()
              ? 'a file'
              : 'a special file';
        if (what === `a ${wanted}`) continue;
        this.problem(
          'files',
          `${this.rel(file)} is ${what} where a ${wanted} belongs${stat.isSymbolicLink() ? ' (wfs never writes through links)' : ''}`,
          () => `moved aside to ${this.moveAside(file)}`,
        );
      }
    }
  }

  rel(file: string): string {
    return path.relative(this.layout.root, file);
  }

  /** Every session folder: readable, valid, current schema, in the right place. Returns the readable ones. */
  checkSessions(): LoadedSession[] {
    const sessions: LoadedSession[] = [];
    for (const location of ['active', 'archives'] as SessionLocation[]) {
      for (const id of listSessionFolders(this.layout, location)) {
        const read = readSessionAt(this.layout, id, location);
        if (read.kind === 'missing') continue;
        if (read.kind === 'corrupt') {
          if (read.futureVersion !== undefined) {
            this.problem(
              'session',
              `${id}: written by a newer wfs (session_version ${read.futureVersion})`,
              undefined,
              'upgrade wfs',
            );
            continue;
          }
          const backup = newestGoodBackup(read.dir, id);
          if (backup === undefined) {
            this.problem(
              'session',
              `${id}: ${read.reason}, and no backup can restore it`,
              undefined,
              `restore ${this.rel(read.dir)}/workflow-session.json by hand`,
            );
            continue;
          }
          this.problem('session', `${id}: ${read.reason}`, () => {
            const loaded = this.tx.load(id);
            sessions.push(loaded);
            return `restored revision ${backup.backup.revision} from its backup; the damaged file is kept aside`;
          });
          continue;
        }
        sessions.push(read);
        if (read.migrated) {
          this.problem('session', read.notice ?? `${id}: an older schema (read as 2.0 in memory)`, () => {
            saveUpgraded(this.tx, read.dir, location, read.state);
            return 'saved as session_version 2.0 (the old file is among its backups)';
          });
        }
        const archived = read.state.status === 'archived';
        if (
          archived !== (location === 'archives') &&
          !fs.existsSync(sessionLayout(read.dir).archivingMarker)
        ) {
          this.problem(
            'session',
            `${id}: status ${read.state.status}, but its folder is in ${location}/`,
            undefined,
            archived ? `move it to .workflow/archives/ by hand` : `move it to .workflow/active/ by hand`,
          );
        }
      }
    }
    return sessions;
  }

  checkActive(sessions: readonly LoadedSession[]): void {
    const active = sessions.filter((s) => s.state.status === 'active' && s.location === 'active');
    const pointer = readActivePointer(this.layout);
    if (active.length > 1) {
      const keep =
        active.find((s) => pointer.present && s.id === pointer.id) ??
        [...active].sort((a, b) => compareText(b.state.updated_at, a.state.updated_at))[0]!;
      this.problem(
        'single-active',
        `${active.length} sessions are active (${active.map((s) => s.id).join(', ')}); at most one may be`,
        () => {
          for (const session of active) {
            if (session.id !== keep.id)
              this.tx.save(session.dir, 'active', rules.pause(session.state, this.tx.now));
          }
          writeActivePointer(this.layout, keep.id, this.tx.now);
          return `kept ${keep.id} active, paused the others`;
        },
      );
      return;
    }
    const only = active[0];
    // No pointer file is no contradiction: the session files decide (see session/show.ts), as in
    // a fresh clone, where the pointer is ignored by git. Only a pointer naming another one is.
    if (only !== undefined && pointer.present && pointer.id !== only.id) {
      this.problem('single-active', `active-session.json does not name the active session ${only.id}`, () => {
        writeActivePointer(this.layout, only.id, this.tx.now);
        return `active-session.json now names ${only.id}`;
      });
    }
  }

  checkRegistry(sessions: readonly LoadedSession[]): void {
    const registry = readRegistry(this.layout.registryPath).indexAll();
    const issues: string[] = [];
    // A missing registry (a fresh clone: git ignores it) is rebuilt by the next change: no problem.
    if (!registry.exists) {
      if (sessions.length > 0)
        this.info(
          'registry',
          'session_status.jsonl is not there yet: the next change rebuilds it from the session folders',
        );
      return;
    }
    if (registry.damagedLines > 0) issues.push(`${registry.damagedLines} damaged line(s)`);
    const byId = new Map(sessions.map((s) => [s.id, s]));
    const missing = sessions.filter((s) => registry.get(s.id) === undefined).map((s) => s.id);
    if (missing.length > 0)
      issues.push(`${missing.length} session(s) not in it (${missing.slice(0, 5).join(', ')})`);
    const stale: string[] = [];
    const orphans: string[] = [];
    for (const entry of registry.entries()) {
      const session = byId.get(entry.id);
      if (session === undefined) {
        if (!fs.existsSync(path.join(this.layout.root, entry.directory))) orphans.push(entry.id);
        continue;
      }
      const expected = entryFromState(session.state, session.location);
      if (
        entry.status !== expected.status ||
        entry.directory !== registryDirectory(session.id, session.location) ||
        entry.type !== expected.type
      )
        stale.push(entry.id);
    }
    if (orphans.length > 0)
      issues.push(
        `${orphans.length} line(s) for sessions whose folder is gone (${orphans.slice(0, 5).join(', ')})`,
      );
    if (stale.length > 0)
      issues.push(
        `${stale.length} line(s) that disagree with their session (${stale.slice(0, 5).join(', ')})`,
      );
    if (issues.length === 0) return;
    this.problem('registry', `session_status.jsonl: ${issues.join('; ')}`, () => {
      const entries = rebuildRegistryEntries(this.ctx);
      this.tx.replaceRegistry(entries);
      return `rebuilt from the ${entries.length} session folder(s)`;
    });
  }
}

/** The sessions that can be read now (after repairs). */
function readableSessions(ctx: ProjectContext): LoadedSession[] {
  const sessions: LoadedSession[] = [];
  for (const location of ['active', 'archives'] as SessionLocation[]) {
    for (const id of listSessionFolders(ctx.layout, location)) {
      const read = readSessionAt(ctx.layout, id, location);
      if (read.kind === 'ok') sessions.push(read);
    }
  }
  return sessions;
}

/**
 * The coordination backend (SPEC 5): which one, chosen how, the project's identity, and whether it
 * answers. A project on Redis whose identity is its root path is a problem: that path differs
 * between machines, so their locks would never meet.
 */
async function coordinationFindings(ctx: ProjectContext, fix: boolean): Promise<Finding[]> {
  const findings: Finding[] = [];
  let settings: ReturnType<typeof coordinationSettings>;
  let identity: ReturnType<typeof identityOf>;
  try {
    settings = coordinationSettings(ctx);
    identity = identityOf(ctx, { fresh: true });
  } catch (error) {
    return [
      {
        check: 'coordination',
        severity: 'problem',
        message: (error as Error).message,
        manual: 'correct .workflow/config.json or the WFS_* variables',
      },
    ];
  }
  findings.push({
    check: 'coordination',
    severity: 'info',
    message: `project identity: ${identity.id} (from ${identity.source})`,
  });
  if (settings.backend === 'redis' && identity.source === 'root-path')
    findings.push({
      check: 'coordination',
      severity: 'problem',
      message:
        'the project identity is its root path, which differs between machines: their locks would never meet',
      manual: 'set "project_id" in .workflow/config.json (or add a git remote named origin)',
    });
  // The embedded backend's own files (damaged records, a torn log, links), checked (and with --fix
  // repaired) under the coordination lock it takes itself: never inside the project lock here.
  if (settings.backend === 'local') {
    try {
      findings.push(...(await checkCoordinationFiles(coordinationDir(ctx.layout.root), { fix })));
    } catch (error) {
      findings.push({
        check: 'coordination-files',
        severity: 'problem',
        message: `cannot be checked: ${describeFault(error)}`,
        manual: 'see the message; wfs doctor --fix cannot repair this',
      });
    }
  }
  try {
    const { location, risks } = await withCoordinator(ctx, async (c) => {
      await c.list();
      return { location: c.location, risks: (await c.diagnose?.()) ?? [] };
    });
    findings.push({
      check: 'coordination',
      severity: 'info',
      message: `backend: ${settings.backend} (chosen by ${settings.chosenBy}) at ${location}; if unreachable: ${settings.onUnreachable}`,
    });
    for (const risk of risks)
      findings.push({
        check: 'coordination',
        severity: 'problem',
        message: risk,
        manual: 'change it on the server',
      });
  } catch (error) {
    findings.push({
      check: 'coordination',
      severity: 'problem',
      message: `backend ${settings.backend} (chosen by ${settings.chosenBy}): ${(error as Error).message}`,
      manual: 'start the server or correct its URL; meanwhile the policy on_unreachable decides what runs',
    });
  }
  return findings;
}

/** A check of a front door above this layer (the agents' installation), composed like the others. */
export interface DoctorCheck {
  name: string;
  run(report: CheckReporter): void;
}

export async function runDoctor(
  ctx: ProjectContext,
  options: { fix?: boolean; checks?: readonly DoctorCheck[] } = {},
): Promise<DoctorReport> {
  const coordination = await coordinationFindings(ctx, options.fix === true);
  if (!fs.existsSync(ctx.layout.workflowDir)) {
    // The checks of the front doors need no .workflow/ (a user's own agent install is in their
    // home): they run, read-only, as where the lock cannot be taken.
    const doctor = new Doctor(ctx, undefined, false);
    for (const check of options.checks ?? []) doctor.run(check.name, () => check.run(doctor));
    const findings: Finding[] = [
      { check: 'project', severity: 'info', message: 'No .workflow/ here yet: no sessions to check' },
      ...coordination,
      ...doctor.findings,
    ];
    const problems = findings.filter((f) => f.severity === 'problem').length;
    return {
      root: ctx.layout.root,
      sessions: 0,
      findings,
      problems,
      fixed: 0,
      remaining: problems,
    };
  }
  let entered = false;
  try {
    return await inTransaction(
      ctx,
      (tx) => {
        entered = true;
        return diagnose(ctx, tx, options.fix === true, coordination, options.checks ?? []);
      },
      { timeoutMs: DOCTOR_LOCK_WAIT_MS },
    );
  } catch (error) {
    // SPEC 3: doctor runs, read-only, where it cannot take the lock (a read-only .workflow/, a
    // holder that is stopped): what it finds is reported, nothing is repaired.
    if (entered) throw error;
    const why = describeFault(error);
    return diagnose(
      ctx,
      undefined,
      false,
      [
        ...coordination,
        {
          check: 'lock',
          severity: options.fix ? 'problem' : 'info',
          message: `could not take the project lock (${why}): a read-only diagnosis${options.fix ? '; nothing was repaired' : ''}`,
          ...(options.fix ? { manual: 'correct the cause above, then run wfs doctor --fix again' } : {}),
        },
      ],
      options.checks ?? [],
    );
  }
}

// Doctor is run by a person who wants an answer: a lock held longer than this (a stopped or stuck
// process) gets a read-only diagnosis that says who holds it, not a two-minute wait.
const DOCTOR_LOCK_WAIT_MS = 5_000;

function diagnose(
  ctx: ProjectContext,
  tx: SessionTransaction | undefined,
  fix: boolean,
  coordination: Finding[],
  checks: readonly DoctorCheck[],
): DoctorReport {
  // The project lock this run holds, which the lock check must not report (a read-only run holds none).
  const held = tx === undefined ? undefined : path.join(ctx.layout.locksDir, 'project.lock');
  const doctor = new Doctor(ctx, tx, fix);
  doctor.findings.push(...coordination);
  let sessions: LoadedSession[] = [];
  doctor.run('files', () => doctor.checkFileKinds());
  doctor.run('project', () => checkProjectFiles(doctor));
  doctor.run('layout', () => checkLegacyLayout(doctor));
  doctor.run('creation', () => checkUnfinishedCreations(doctor));
  doctor.run('archiving', () => checkArchiving(doctor, () => doctor.tx));
  doctor.run('session', () => {
    sessions = doctor.checkSessions();
  });
  doctor.run('single-active', () => doctor.checkActive(sessions));
  doctor.run('manifest', () => checkManifest(doctor, sessions));
  doctor.run('checkpoints', () => checkLastCheckpoints(doctor, sessions));
  doctor.run('locks', () => checkLocks(doctor, ctx.layout.locksDir, held));
  doctor.run('temp-files', () => checkTempFiles(doctor));
  doctor.run('workflow-runs', () => checkRunRecords(doctor, sessions));
  doctor.run('workflow-processes', () => checkStepProcesses(doctor, sessions));
  for (const check of checks) doctor.run(check.name, () => check.run(doctor));
  // Last: the repairs above may have changed sessions the registry indexes.
  doctor.run('registry', () => doctor.checkRegistry(fix ? readableSessions(ctx) : sessions));
  const problems = doctor.findings.filter((f) => f.severity === 'problem');
  const fixed = problems.filter((f) => f.fixed !== undefined).length;
  return {
    root: ctx.layout.root,
    sessions: sessions.length,
    findings: doctor.findings,
    problems: problems.length,
    fixed,
    remaining: problems.length - fixed,
  };
}
