import { ENTRY_MAX_TTL_MS, LEASE_MAX_TTL_MS } from '../coord/rules.js';
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
    details:
      'Without --auto or --new it lists the open sessions (on a terminal it asks which one to use). --auto judges how relevant the task is to each open session and reuses the most relevant when relevance is high.',
    examples: [
      'wfs session start --auto "add the login page"',
      'wfs session start --new "fix the flaky upload test" --type tdd',
    ],
    load: async () => (await import('./commands/session-start.js')).start,
  },
  {
    path: ['session', 'list'],
    summary: 'open sessions, most recently updated first (with --all, archived too)',
    options: {
      status: { type: 'string', value: 'status', help: 'only sessions with this status' },
      all: { type: 'boolean', help: 'include archived sessions' },
    },
    examples: ['wfs session list', 'wfs session list --all --json', 'wfs session list --status paused'],
    load: async () => (await import('./commands/session-read.js')).list,
  },
  {
    path: ['session', 'show'],
    summary: "one session's state (default: the active one)",
    args: [{ name: 'id', required: false }],
    examples: ['wfs session show', 'wfs session show WFS-add-login-page --json'],
    load: async () => (await import('./commands/session-read.js')).show,
  },
  {
    path: ['session', 'switch'],
    summary: 'make a session the active one (the one that was active is paused)',
    args: [{ name: 'id', required: true }],
    examples: ['wfs session switch WFS-add-login-page'],
    load: async () => (await import('./commands/session-lifecycle.js')).switchTo,
  },
  {
    path: ['session', 'pause'],
    summary: 'pause a session (default: the active one)',
    args: [{ name: 'id', required: false }],
    examples: ['wfs session pause'],
    load: async () => (await import('./commands/session-lifecycle.js')).pause,
  },
  {
    path: ['session', 'resume'],
    summary: 'resume a session (default: the most recently paused one)',
    args: [{ name: 'id', required: false }],
    details:
      'Validates the session before it acts (artifacts, todos, phase prerequisites), repairs what it can, and prints a resume plan: RESUME_STRATEGY complete, partial or degraded, what is DONE and what is NEXT. When it cannot be resumed safely (an interrupted archiving, damage no backup repairs) the strategy is manual: exit 3 and nothing is changed, a person decides.',
    examples: ['wfs session resume', 'wfs session resume WFS-add-login-page --json'],
    load: async () => (await import('./commands/session-lifecycle.js')).resume,
  },
  {
    path: ['session', 'complete'],
    summary: 'complete a session (default: the active one) and archive it',
    args: [{ name: 'id', required: false }],
    options: { 'no-archive': { type: 'boolean', help: 'complete without archiving' }, ...manifestOptions },
    details:
      'Archives by default: the folder moves to .workflow/archives/ and an entry is added to archives/manifest.json. An archiving interrupted by a crash is finished by running the command again.',
    examples: [
      'wfs session complete --tag auth --lesson "mock the clock in token tests"',
      'wfs session complete --no-archive',
    ],
    load: async () => (await import('./commands/session-complete.js')).complete,
  },
  {
    path: ['session', 'archive'],
    summary: 'archive a completed session, or finish an interrupted archiving',
    args: [{ name: 'id', required: true }],
    options: manifestOptions,
    examples: ['wfs session archive WFS-add-login-page'],
    load: async () => (await import('./commands/session-complete.js')).archive,
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
    examples: [
      'wfs phase IMPLEMENT',
      'wfs phase REVIEW --handoff \'{"summary": "login form done, tests green"}\'',
    ],
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
    examples: [
      'wfs checkpoint',
      'wfs checkpoint --trigger agent_complete --data \'{"documents": ["IMPL_PLAN.md"]}\'',
    ],
    load: async () => (await import('./commands/state.js')).checkpoint,
  },
  {
    path: ['todo', 'list'],
    summary: "the active session's todos",
    options: sessionOption,
    examples: ['wfs todo list --json'],
    load: async () => (await import('./commands/todo.js')).list,
  },
  {
    path: ['todo', 'add'],
    summary: 'add a todo',
    args: [{ name: 'text', required: true, variadic: true }],
    options: sessionOption,
    examples: ['wfs todo add write the migration'],
    load: async () => (await import('./commands/todo.js')).add,
  },
  {
    path: ['todo', 'start'],
    summary: 'mark todo N in progress',
    args: [{ name: 'n', required: true }],
    options: sessionOption,
    examples: ['wfs todo start 2'],
    load: async () => (await import('./commands/todo.js')).start,
  },
  {
    path: ['todo', 'done'],
    summary: 'mark todo N done (a checkpoint records the milestone)',
    args: [{ name: 'n', required: true }],
    options: sessionOption,
    examples: ['wfs todo done 2'],
    load: async () => (await import('./commands/todo.js')).done,
  },
  {
    path: ['todo', 'sync'],
    summary: 'replace the todos with a TodoWrite list read on stdin: [{"content","status","activeForm"}]',
    options: sessionOption,
    details:
      'A list equal to the current one writes nothing (changed: false). Todos with the same text keep their numbers.',
    examples: ['echo \'[{"content": "write tests", "status": "in_progress"}]\' | wfs todo sync'],
    load: async () => (await import('./commands/todo.js')).sync,
  },
  {
    path: ['context'],
    summary:
      'what an agent needs at the start of a turn: the active session, phase, todos, last checkpoint, next step',
    options: { format: { type: 'string', value: 'md|json', help: 'md (default) or json' } },
    examples: ['wfs context', 'wfs context --format json'],
    load: async () => (await import('./commands/context.js')).context,
  },
  {
    path: ['exec'],
    summary:
      "run a command (no shell) in the active session's context: wfs exec [--session ID] -- CMD [ARGS...]",
    options: sessionOption,
    passThrough: true,
    details:
      "Runs CMD without a shell, with WFS_ROOT, WFS_SESSION_ID, WFS_SESSION_DIR, WFS_SESSION_TYPE, WFS_PHASE and WFS_OUTPUT_DIR set; its exit code is wfs's. With --json its own output goes to stderr.",
    examples: ['wfs exec -- npm test', 'wfs exec --session WFS-add-login-page -- make lint'],
    load: async () => (await import('./commands/exec.js')).exec,
  },
  {
    path: ['init'],
    summary: 'analyse the repository into .workflow/project-tech.json and scaffold project-guidelines.json',
    options: { force: { type: 'boolean', help: 're-analyse, keeping a backup of the old analysis' } },
    examples: ['wfs init', 'wfs init --force'],
    load: async () => (await import('./commands/init.js')).init,
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
    examples: ['wfs doctor', 'wfs doctor --fix'],
    load: async () => (await import('./commands/doctor.js')).doctor,
  },
  {
    path: ['migrate'],
    summary:
      'bring older layouts (.workflow/WFS-*, .workflow/sessions/, v1 metadata) to this version, with a backup',
    examples: ['wfs migrate'],
    load: async () => (await import('./commands/migrate.js')).migrate,
  },
  {
    path: ['lock', 'acquire'],
    summary: 'take a coordination lock (a lease with a fence); exit 4 when another holds it',
    args: [{ name: 'name', required: true }],
    options: {
      ttl: {
        type: 'duration',
        min: 1,
        max: LEASE_MAX_TTL_MS,
        help: 'how long it lasts unless renewed (default 60s; ms, or 30s, 5m, 2h)',
      },
      wait: {
        type: 'duration',
        max: LEASE_MAX_TTL_MS,
        help: 'wait this long for the holder to release it (default 0)',
      },
    },
    details:
      "Prints the token and the fence. Exit 4 when another session holds it. When the backend cannot be reached, the project's policy decides (fail, run-unlocked or skip).",
    examples: ['wfs lock acquire deploy --ttl 5m', 'wfs lock acquire db-migrate --wait 30s --json'],
    load: async () => (await import('./commands/lock.js')).acquire,
  },
  {
    path: ['lock', 'release'],
    summary: 'release a lock; says released, not_owner or expired (exit 0 only for released)',
    args: [{ name: 'name', required: true }],
    options: { token: { type: 'string', value: 't', help: 'the token wfs lock acquire printed' } },
    examples: ['wfs lock release deploy --token TOKEN'],
    load: async () => (await import('./commands/lock.js')).release,
  },
  {
    path: ['lock', 'list'],
    summary: "the project's live locks",
    examples: ['wfs lock list'],
    load: async () => (await import('./commands/lock.js')).list,
  },
  {
    path: ['events'],
    summary: 'announcements from all sessions, oldest first; --follow prints them as they come',
    options: {
      since: { type: 'count', value: 'id', help: 'only events after this ID' },
      limit: { type: 'count', min: 1, max: 100_000, value: 'n', help: 'at most the newest N (default 1000)' },
      follow: {
        type: 'boolean',
        help: 'keep printing new events until interrupted (with --json: one JSON line each)',
      },
    },
    examples: ['wfs events --limit 20', 'wfs events --follow', 'wfs events --since 4294967301 --json'],
    load: async () => (await import('./commands/events.js')).events,
  },
  {
    path: ['results', 'put'],
    summary: 'share a result with other sessions: the value is read from stdin',
    args: [{ name: 'key', required: true }],
    options: {
      ttl: {
        type: 'duration',
        min: 1,
        max: ENTRY_MAX_TTL_MS,
        help: 'how long it may be reused (default 1d; ms, or 30s, 5m, 2h, 1d)',
      },
    },
    examples: ['npm test 2>&1 | wfs results put tests:$(git rev-parse HEAD) --ttl 1d'],
    load: async () => (await import('./commands/results.js')).put,
  },
  {
    path: ['results', 'get'],
    summary: 'print a shared result exactly as it was put (exit 1 when missing or expired)',
    args: [{ name: 'key', required: true }],
    examples: ['wfs results get tests:$(git rev-parse HEAD)'],
    load: async () => (await import('./commands/results.js')).get,
  },
  {
    path: ['results', 'list'],
    summary: 'the shared results that have not expired',
    examples: ['wfs results list'],
    load: async () => (await import('./commands/results.js')).list,
  },
  {
    path: ['claim'],
    summary:
      'declare the paths (globs) the session will change; overlaps with other live sessions are reported',
    args: [{ name: 'paths', required: true, list: true }],
    options: {
      ttl: {
        type: 'duration',
        min: 1,
        max: ENTRY_MAX_TTL_MS,
        help: 'how long the claims last (default 30m; they are renewed while the session works)',
      },
      strict: {
        type: 'boolean',
        help: 'claim nothing and exit 4 when another live session claims an overlap',
      },
      ...sessionOption,
    },
    details:
      "Paths are relative to the project root (absolute ones inside it are made relative), so two worktrees of one repository claim the same files. A session's claims share one expiry, the later of --ttl and what they had. Only live sessions' claims are conflicts. The agents' edit guard claims every path an agent edits.",
    examples: ['wfs claim src/auth/** docs/auth.md', 'wfs claim src/db.ts --strict --json', 'wfs claim list'],
    load: async () => (await import('./commands/claim.js')).claim,
  },
  {
    path: ['claim', 'release'],
    summary: "release the session's claims on the paths named (all of them without any)",
    args: [{ name: 'paths', required: false, list: true }],
    options: sessionOption,
    examples: ['wfs claim release src/db.ts', 'wfs claim release'],
    load: async () => (await import('./commands/claim.js')).release,
  },
  {
    path: ['claim', 'list'],
    summary: 'the path claims of every session on the coordination backend',
    examples: ['wfs claim list --json'],
    load: async () => (await import('./commands/claim.js')).list,
  },
  {
    path: ['install'],
    summary:
      'connect wfs to an agent: its hooks, its MCP entry and an instructions block (claude, codex or gemini)',
    args: [{ name: 'agent', required: true }],
    options: {
      shared: { type: 'boolean', help: "the files a team commits (default: this person's project files)" },
      user: { type: 'boolean', help: "the user's own configuration, for every project" },
      'dry-run': { type: 'boolean', help: 'show the changes as a diff and write nothing' },
      'no-guard': {
        type: 'boolean',
        help: 'no edit guard: edits are neither checked against nor claimed for other sessions',
      },
    },
    details:
      "Edits only what it adds: a user's own hooks, servers, comments and formatting stay byte for byte; a re-install changes nothing; a file that does not parse is refused with its line and column. What it did is recorded in .workflow/.install/manifest.json, and wfs uninstall removes exactly that. See docs/agents.md for what each agent gets.",
    examples: ['wfs install claude', 'wfs install codex --dry-run', 'wfs install gemini --user'],
    load: async () => (await import('./commands/install.js')).install,
  },
  {
    path: ['uninstall'],
    summary:
      'remove what wfs install added for an agent (a file nobody changed since comes back byte for byte)',
    args: [{ name: 'agent', required: true }],
    options: {
      shared: { type: 'boolean', help: 'the shared install' },
      user: { type: 'boolean', help: 'the user install' },
      'dry-run': { type: 'boolean', help: 'show the changes as a diff and write nothing' },
    },
    examples: ['wfs uninstall claude', 'wfs uninstall codex --user --dry-run'],
    load: async () => (await import('./commands/install.js')).uninstall,
  },
  {
    path: ['hook'],
    summary: "the agents' hook entry point: one event of claude, codex or gemini on stdin; always exits 0",
    args: [{ name: 'agent', required: true }],
    details:
      "Installed by wfs install. Binds the conversation to a session, injects its context at the start, keeps the todos in step with the agent's todo tool, checkpoints on compaction and at the end, keeps the session live, and asks before an edit of a path another live session claims. A failure is logged in .workflow/logs/hooks.log, never shown to the agent; without a .workflow/ in reach it does nothing.",
    examples: ['wfs hook claude < event.json'],
    load: async () => (await import('./commands/hook.js')).hook,
  },
  {
    path: ['mcp'],
    summary:
      'the MCP server on stdio: the tools wfs_context, wfs_sessions, wfs_session, wfs_phase, wfs_todos, wfs_checkpoint, wfs_claim, wfs_share',
    details:
      'Started by the agent (wfs install writes its entry). Speaks the 2026-07-28 protocol (server/discover) and the ones before it (initialize). Every tool calls what the CLI calls; an error is a tool result with isError and its code.',
    examples: ['wfs mcp'],
    load: async () => (await import('./commands/mcp.js')).mcp,
  },
  {
    path: ['run'],
    summary: 'run a workflow in the active (or named) session; exit 4 when another session runs it',
    args: [{ name: 'workflow', required: true }],
    options: {
      ...sessionOption,
      resume: { type: 'string', value: 'run', help: 'continue this run (completed steps are not run again)' },
      'lock-ttl': {
        type: 'duration',
        min: 1_000,
        max: LEASE_MAX_TTL_MS,
        help: "the workflow lease's TTL, renewed while it runs (default 60000)",
      },
      apply: {
        type: 'boolean',
        help: 'release-prep: write the changelog section and the version (default: a dry run)',
      },
    },
    examples: [
      'wfs run docs-check',
      'wfs run release-prep --apply',
      'wfs run check --resume run-20261202T150000Z-abc',
    ],
    load: async () => (await import('./commands/workflow.js')).run,
  },
  {
    path: ['workflow', 'list'],
    summary: 'the workflows this project can run',
    examples: ['wfs workflow list'],
    load: async () => (await import('./commands/workflow.js')).list,
  },
  {
    path: ['dashboard'],
    summary: 'a live web page of every session, lock, claim, result and event, with actions',
    options: {
      port: { type: 'count', min: 1, max: 65_535, value: 'n', help: 'the port (default: a free one)' },
      host: {
        type: 'string',
        value: 'host',
        help: 'the address to listen on (default 127.0.0.1: this machine only)',
      },
      'no-open': { type: 'boolean', help: 'do not open a browser' },
    },
    details:
      'Prints the URL with a random token (every request without it is refused) and opens the browser. The page updates within a second of any change by any process; its buttons (Switch, Pause, Resume, Complete, Phase, Done) do what the CLI commands do. Runs until Ctrl+C.',
    examples: ['wfs dashboard', 'wfs dashboard --port 8377 --no-open'],
    load: async () => (await import('./commands/dashboard.js')).dashboard,
  },
];
