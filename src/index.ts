/**
 * wfs: durable, shared memory of work in progress for AI coding sessions, and coordination that
 * keeps parallel sessions from colliding. This module is the product's one API (SPEC 8): the CLI,
 * the agents' hooks, the MCP server and the dashboard call these functions and nothing else, so
 * every front door has the same rules, errors and announcements. It re-exports only; internals
 * (the store, the lock, the backends' files) are not part of it.
 *
 * Importing it loads no Redis client, MCP or web server: each loads when first used.
 *
 * @example
 * ```ts
 * import { openProject, startAutoSession, changeSessionPhase, contextSummary } from 'wfs';
 * const project = openProject({ cwd: '/path/to/repo' });
 * const { session_id } = await startAutoSession(project, { description: 'add login page' });
 * await changeSessionPhase(project, { to: 'IMPLEMENT' });
 * console.log(session_id, (await contextSummary(project)).next_step);
 * ```
 */

// ---------------------------------------------------------------- coordination
export { type KeptLease, keepLease } from './coord/keep-lease.js';
export { coordinationSettings, identityOf, openCoordinator, withCoordinator } from './coord/open.js';
export type {
  AcquireOptions,
  AcquireResult,
  Claim,
  ClaimChange,
  ClaimChangeResult,
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
  SeenConflict,
  SharedResult,
  WfsEvent,
  Workspace,
} from './coord/types.js';
export type { Backend, CoordinationSettings, UnreachablePolicy } from './core/config.js';
// ---------------------------------------------------------------- errors and vocabulary
export { type ErrorCode, ExitCode, isWfsError, WfsError } from './core/errors.js';
export { CHECKPOINT_TRIGGERS, type CheckpointTrigger } from './core/phase.js';
export {
  COMPLEXITIES,
  type Complexity,
  PHASES,
  type Phase,
  SESSION_STATUSES,
  SESSION_TYPES,
  SESSION_VERSION,
  type SessionState,
  type SessionStatus,
  type SessionType,
  TODO_STATUSES,
  type Todo,
  type TodoStatus,
} from './core/session.js';
export type { TodoWriteItem } from './core/todos.js';
export { initProject } from './project/ensure.js';
export type { InitResult } from './project/init.js';
export {
  type ProjectFileRead,
  type ProjectFiles,
  type ProjectGuidelines,
  type ProjectTech,
  readProjectFiles,
} from './project/schema.js';
// ---------------------------------------------------------------- sessions
export {
  archiveCompletedSession,
  type CompleteOptions,
  type CompleteResult,
  completeSession,
  type ManifestEntry,
} from './session/archive.js';
export {
  AGENTS,
  type AgentName,
  type BindResult,
  type Conversation,
  callingConversation,
  withConversation,
} from './session/binding.js';
export {
  type ClaimResult,
  type ClaimView,
  claimSessionPaths,
  listPathClaims,
  type PathConflict,
  pathConflicts,
  type ReleaseResult,
  releaseSessionPaths,
} from './session/claims.js';
export { type ExecInput, type ExecResult, execInSession } from './session/exec.js';
export {
  type LifecycleResult,
  pauseSession,
  type ResumeResult,
  resumeSession,
  switchSession,
} from './session/lifecycle.js';
export { type ListOptions, listSessions, type SessionSummary } from './session/list.js';
export { type MigrateReport, migrateProject } from './session/migrate.js';
export type { ResumePlan, ResumeStrategy } from './session/resume.js';
export {
  acquireLock,
  getSharedResult,
  type LockResult,
  listLocks,
  listSharedResults,
  type ResultEncoding,
  readAnnouncements,
  releaseLock,
  type SharedResultDocument,
  sharedResultDocument,
  shareResult,
} from './session/shared-work.js';
export { findActiveSession } from './session/show.js';
export { type StartInput, type StartResult, startAutoSession, startNewSession } from './session/start.js';
export {
  addSessionTodo,
  type CheckpointEntry,
  type CheckpointSummary,
  changeSessionPhase,
  type PhaseResult,
  readSessionCheckpoints,
  readSessionPhaseHistory,
  readSessionTodos,
  type StateResult,
  saveCheckpoint,
  setSessionTodoStatus,
  syncSessionTodos,
  type TodoResult,
} from './session/state.js';
export { showSession } from './session/target.js';
// ---------------------------------------------------------------- the project
export type { ProjectIdentity } from './store/identity.js';
export {
  openProject,
  type ProjectContext,
  type ProjectMemo,
  type ProjectOptions,
  reloadProject,
} from './store/project.js';
export type { LoadedSession } from './store/session-files.js';
export { type ProjectChange, type ProjectWatch, watchProject } from './store/watch.js';
// ---------------------------------------------------------------- views over the whole project
export {
  type ContextSummary,
  type CoordinationView,
  contextMarkdown,
  contextSummary,
} from './views/context-summary.js';
export { type DoctorReport, type Finding, runDoctor } from './views/doctor.js';
// ---------------------------------------------------------------- workflows
export {
  BaseWorkflow,
  type ProgressEvent,
  type RunOptions,
  type StepCommand,
  type StepHandle,
  type WorkflowContext,
} from './workflow/base.js';
export { findWorkflow, listWorkflows, type WorkflowEntry } from './workflow/catalog.js';
export { type Declaration, DeclaredWorkflow } from './workflow/declared.js';
export type {
  Figure,
  Figures,
  RunRecord,
  StepRecord,
  WorkflowOptions,
  WorkflowResult,
} from './workflow/types.js';
