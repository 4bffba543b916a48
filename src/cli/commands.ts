import type { CommandSpec } from './args.js';

/**
 * Every command of the CLI. A command's module is imported only when that command runs, so `list`
 * and `show` never load the analyser, and `start` loads the prompt library only on a terminal.
 */
const manifestOptions = {
  tag: { type: 'string', multiple: true, value: 'tag', help: 'a tag for the archive manifest' },
  lesson: {
    type: 'string',
    multiple: true,
    value: 'text',
    help: 'a lesson learned, for the archive manifest',
  },
} as const;

const sessionOption = {
  session: { type: 'string', value: 'id', help: 'the session to act on (default: the active one)' },
} as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    path: ['run'],
    summary: 'run a workflow in the active (or named) session; exit 4 when another session runs it',
    args: [{ name: 'workflow', required: true }],
    options: {
      ...sessionOption,
      resume: { type: 'string', value: 'run', help: 'continue this run (completed steps are not run again)' },
      'lock-ttl': {
        type: 'string',
        value: 'ms',
        help: "the workflow lease's TTL, renewed while it runs (default 60000)",
      },
      apply: {
        type: 'boolean',
        help: 'release-prep: write CHANGELOG.md and the version (default: a dry run)',
      },
    },
    load: async () => (await import('./commands/workflow.js')).run,
  },
  {
    path: ['workflow', 'list'],
    summary: 'the workflows this project can run',
    load: async () => (await import('./commands/workflow.js')).list,
  },
  {
    path: ['results', 'put'],
    summary: 'share a result with other sessions: the value is read from stdin',
    args: [{ name: 'key', required: true }],
    options: {
      ttl: { type: 'string', value: 'ms', help: 'how long it may be reused (default 86400000, a day)' },
    },
    load: async () => (await import('./commands/results.js')).put,
  },
  {
    path: ['results', 'get'],
    summary: 'print a shared result exactly as it was put (exit 1 when missing or expired)',
    args: [{ name: 'key', required: true }],
    load: async () => (await import('./commands/results.js')).get,
  },
  {
    path: ['results', 'list'],
    summary: 'the shared results that have not expired',
    load: async () => (await import('./commands/results.js')).list,
  },
  {
    path: ['events'],
    summary: 'announcements from all sessions, oldest first; --follow prints them as they come',
    options: {
      since: { type: 'string', value: 'id', help: 'only events after this ID' },
      limit: { type: 'string', value: 'n', help: 'at most the newest N (default 1000)' },
      follow: {
        type: 'boolean',
        help: 'keep printing new events until interrupted (with --json: one JSON line each)',
      },
    },
    load: async () => (await import('./commands/events.js')).events,
  },
  {
    path: ['lock', 'acquire'],
    summary: 'take a coordination lock (a lease with a fence); exit 4 when another holds it',
    args: [{ name: 'name', required: true }],
    options: {
      ttl: { type: 'string', value: 'ms', help: 'how long it lasts unless renewed (default 60000)' },
      wait: { type: 'string', value: 'ms', help: 'wait this long for the holder to release it (default 0)' },
    },
    load: async () => (await import('./commands/lock.js')).acquire,
  },
  {
    path: ['lock', 'release'],
    summary: 'release a lock; says released, not_owner or expired (exit 0 only for released)',
    args: [{ name: 'name', required: true }],
    options: { token: { type: 'string', value: 't', help: 'the token wfs lock acquire printed' } },
    load: async () => (await import('./commands/lock.js')).release,
  },
  {
    path: ['lock', 'list'],
    summary: "the project's live locks",
    load: async () => (await import('./commands/lock.js')).list,
  },
  {
    path: ['migrate'],
    summary:
      'bring older layouts (.workflow/WFS-*, .workflow/sessions/, v1 metadata) to this version, with a backup',
    load: async () => (await import('./commands/migrate.js')).migrate,
  },
  {
    path: ['doctor'],
    summary:
      'check .workflow/ (registry, single active session, damaged files, markers, locks, temp files); --fix repairs',
    options: {
      fix: {
        type: 'boolean',
        help: 'repair what can be repaired; nothing is deleted (what goes is moved to .workflow/.backups/)',
      },
    },
    load: async () => (await import('./commands/doctor.js')).doctor,
  },
  {
    path: ['context'],
    summary:
      'what an agent needs at the start of a turn: the active session, phase, todos, last checkpoint, next step',
    options: { format: { type: 'string', value: 'md|json', help: 'md (default) or json' } },
    load: async () => (await import('./commands/context.js')).context,
  },
  {
    path: ['exec'],
    summary:
      "run a command (no shell) in the active session's context: wfs exec [--session ID] -- CMD [ARGS...]",
    options: sessionOption,
    passThrough: true,
    load: async () => (await import('./commands/exec.js')).exec,
  },
  {
    path: ['phase'],
    summary: 'move the active session to PLAN, IMPLEMENT or REVIEW (records the transition and a checkpoint)',
    args: [{ name: 'phase', required: true }],
    options: {
      trigger: { type: 'string', value: 'trigger', help: 'what caused it (default: manual)' },
      handoff: { type: 'string', value: 'json', help: 'what the next phase needs to know, as a JSON object' },
      ...sessionOption,
    },
    load: async () => (await import('./commands/state.js')).phase,
  },
  {
    path: ['checkpoint'],
    summary: "save a checkpoint of the active session's state",
    options: {
      trigger: {
        type: 'string',
        value: 'trigger',
        help: 'manual (default), agent_complete, todo_milestone, user_interrupt, phase_transition, file_change, compact, session_end',
      },
      data: {
        type: 'string',
        value: 'json',
        help: 'what to record with it (documents, agent, agents_completed, quality_checks, files_changed, ...)',
      },
      ...sessionOption,
    },
    load: async () => (await import('./commands/state.js')).checkpoint,
  },
  {
    path: ['todo', 'list'],
    summary: "the active session's todos",
    options: sessionOption,
    load: async () => (await import('./commands/todo.js')).list,
  },
  {
    path: ['todo', 'add'],
    summary: 'add a todo',
    args: [{ name: 'text', required: true, variadic: true }],
    options: sessionOption,
    load: async () => (await import('./commands/todo.js')).add,
  },
  {
    path: ['todo', 'start'],
    summary: 'mark todo N in progress',
    args: [{ name: 'n', required: true }],
    options: sessionOption,
    load: async () => (await import('./commands/todo.js')).start,
  },
  {
    path: ['todo', 'done'],
    summary: 'mark todo N done (a checkpoint records the milestone)',
    args: [{ name: 'n', required: true }],
    options: sessionOption,
    load: async () => (await import('./commands/todo.js')).done,
  },
  {
    path: ['todo', 'sync'],
    summary: 'replace the todos with a TodoWrite list read on stdin: [{"content","status","activeForm"}]',
    options: sessionOption,
    load: async () => (await import('./commands/todo.js')).sync,
  },
  {
    path: ['init'],
    summary: 'analyse the repository into .workflow/project-tech.json and scaffold project-guidelines.json',
    options: { force: { type: 'boolean', help: 're-analyse, keeping a backup of the old analysis' } },
    load: async () => (await import('./commands/init.js')).init,
  },
  {
    path: ['session', 'start'],
    summary: 'discover the open sessions, reuse one (--auto) or create one (--new)',
    options: {
      auto: {
        type: 'string',
        value: 'description',
        help: 'reuse the open session if the task is relevant to it, else create one',
      },
      new: { type: 'string', value: 'description', help: 'always create a new session' },
      type: { type: 'string', value: 'type', help: 'workflow (default), review, tdd, test or docs' },
      complexity: { type: 'string', value: 'level', help: 'simple, medium (default) or complex' },
    },
    load: async () => (await import('./commands/session-start.js')).start,
  },
  {
    path: ['session', 'list'],
    summary: 'open sessions, most recently updated first (with --all, archived too)',
    options: {
      status: { type: 'string', value: 'status', help: 'only sessions with this status' },
      all: { type: 'boolean', help: 'include archived sessions' },
    },
    load: async () => (await import('./commands/session-read.js')).list,
  },
  {
    path: ['session', 'show'],
    summary: "one session's state (default: the active one)",
    args: [{ name: 'id', required: false }],
    load: async () => (await import('./commands/session-read.js')).show,
  },
  {
    path: ['session', 'switch'],
    summary: 'make a session the active one (the one that was active is paused)',
    args: [{ name: 'id', required: true }],
    load: async () => (await import('./commands/session-lifecycle.js')).switchTo,
  },
  {
    path: ['session', 'pause'],
    summary: 'pause a session (default: the active one)',
    args: [{ name: 'id', required: false }],
    load: async () => (await import('./commands/session-lifecycle.js')).pause,
  },
  {
    path: ['session', 'resume'],
    summary: 'resume a session (default: the most recently paused one)',
    args: [{ name: 'id', required: false }],
    load: async () => (await import('./commands/session-lifecycle.js')).resume,
  },
  {
    path: ['session', 'complete'],
    summary: 'complete a session (default: the active one) and archive it',
    args: [{ name: 'id', required: false }],
    options: { 'no-archive': { type: 'boolean', help: 'complete without archiving' }, ...manifestOptions },
    load: async () => (await import('./commands/session-complete.js')).complete,
  },
  {
    path: ['session', 'archive'],
    summary: 'archive a completed session, or finish an interrupted archiving',
    args: [{ name: 'id', required: true }],
    options: manifestOptions,
    load: async () => (await import('./commands/session-complete.js')).archive,
  },
];
