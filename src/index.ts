/**
 * wfs: durable, shared memory of work in progress for AI coding sessions.
 *
 * @example
 * ```ts
 * import { openProject, startNewSession, listSessions } from 'wfs';
 * const project = openProject({ cwd: '/path/to/repo' });
 * const { session_id } = await startNewSession(project, { description: 'add login page' });
 * console.log(session_id, listSessions(project));
 * ```
 */

export { conflictsWith, globsMayOverlap } from './coord/claims.js';
export { type KeptLease, keepLease } from './coord/keep-lease.js';
export { LocalCoordinator } from './coord/local/leases.js';
export { coordinationDir, gitCommonDir } from './coord/location.js';
export { coordinationSettings, identityOf, openCoordinator } from './coord/open.js';
export { RedisCoordinator, type RedisOptions } from './coord/redis/coordinator.js';
export { validateLeaseName, validateTtl } from './coord/rules.js';
export type {
  AcquireOptions,
  AcquireResult,
  Claim,
  ClaimConflict,
  Coordinator,
  Holder,
  Lease,
  LeaseCoordinator,
  LeaseInfo,
  Presence,
  PublishInput,
  ReadEventsOptions,
  ReleaseOutcome,
  SharedResult,
  WfsEvent,
} from './coord/types.js';
export {
  type Backend,
  type CoordinationSettings,
  normaliseRemoteUrl,
  type UnreachablePolicy,
} from './core/config.js';
export { type ErrorCode, ExitCode, isWfsError, WfsError } from './core/errors.js';
export { nextFreeSessionId, parseSessionId, SESSION_ID_PREFIX, slugify } from './core/ids.js';
export { judgeRelevance, keywords, type Relevance, type RelevanceJudgement } from './core/relevance.js';
export {
  COMPLEXITIES,
  type Complexity,
  PHASES,
  type Phase,
  parseSessionType,
  SESSION_STATUSES,
  SESSION_TYPES,
  SESSION_VERSION,
  type SessionState,
  type SessionStatus,
  type SessionType,
} from './core/session.js';
export { validateSession } from './core/session-file.js';
export { type Analysis, analyzeRepository } from './project/analyze.js';
export { type ProjectIdentity, projectIdentity } from './project/identity.js';
export { analyzeProject, type InitResult, initProject } from './project/init.js';
export { type FileScan, scanRepository } from './project/scan.js';
export type { ProjectGuidelines, ProjectTech } from './project/schema.js';
export {
  archiveCompletedSession,
  type CompleteOptions,
  type CompleteResult,
  completeSession,
  interruptedArchivings,
  type ManifestEntry,
} from './session/archive.js';
export { type LifecycleResult, pauseSession, resumeSession, switchSession } from './session/lifecycle.js';
export { type ListOptions, listSessions, type SessionSummary } from './session/list.js';
export { findActiveSession } from './session/show.js';
export { type StartInput, type StartResult, startAutoSession, startNewSession } from './session/start.js';
export { showSession } from './session/target.js';
export { writeFileAtomic, writeFilesAtomic, writeJsonAtomic } from './store/atomic.js';
export { type Layout, layoutFor } from './store/layout.js';
export { withLock } from './store/lock.js';
export { openProject, type ProjectContext, type ProjectOptions } from './store/project.js';
export { findRoot, type RootDiscovery } from './store/root.js';
export type { LoadedSession, SessionRead } from './store/session-files.js';
export {
  BaseWorkflow,
  type ProgressEvent,
  type RunOptions,
  type WorkflowContext,
} from './workflow/base.js';
export { findWorkflow, listWorkflows, type WorkflowEntry } from './workflow/catalog.js';
export { type Declaration, DeclaredWorkflow, readDeclaration } from './workflow/declared.js';
export { listRuns, loadRun } from './workflow/runs.js';
export type { RunRecord, StepRecord, WorkflowOptions, WorkflowResult } from './workflow/types.js';
