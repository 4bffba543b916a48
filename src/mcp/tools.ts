import * as z from 'zod';
import { WfsError } from '../core/errors.js';
import { parseSessionId } from '../core/ids.js';
import { CHECKPOINT_TRIGGERS, parsePhase, parseTrigger } from '../core/phase.js';
import { parseSessionStatus, parseSessionType, SESSION_STATUSES, SESSION_TYPES } from '../core/session.js';
import { parseTodoWrite } from '../core/todos.js';
import { completeSession } from '../session/archive.js';
import { claimSessionPaths, listPathClaims, releaseSessionPaths } from '../session/claims.js';
import { pauseSession, resumeSession, switchSession } from '../session/lifecycle.js';
import { listSessions } from '../session/list.js';
import {
  acquireLock,
  getSharedResult,
  listLocks,
  listSharedResults,
  readAnnouncements,
  releaseLock,
  sharedResultDocument,
  shareResult,
  valueOfDocument,
} from '../session/shared-work.js';
import { startAutoSession, startNewSession } from '../session/start.js';
import { changeSessionPhase, readSessionTodos, saveCheckpoint, syncSessionTodos } from '../session/state.js';
import { showSession } from '../session/target.js';
import { registryDirectory } from '../store/layout.js';
import type { ProjectContext } from '../store/project.js';
import { contextMarkdown, contextSummary } from '../views/context-summary.js';

/**
 * The eight tools of `wfs mcp` (SPEC 7). Each calls the library (src/index.ts's functions, the ones
 * the CLI calls), so a tool has the CLI's rules, errors and announcements. Their definitions are
 * short (all of them together at most 3,000 tokens, counted in a test): an agent pays for every word
 * of them in every conversation.
 *
 * A tool answers with what the CLI prints with `--json` (the model sees that structured content);
 * `wfs_context` in its default `md` format answers with the Markdown alone.
 */

export type ToolResult = { text: string; structured?: Record<string, unknown> };

export interface ToolDefinition {
  name: string;
  description: string;
  input: z.ZodObject;
  run(ctx: ProjectContext, args: Record<string, unknown>): Promise<ToolResult>;
}

const session = z
  .string()
  .describe('session ID (default: this conversation’s, else the active one)')
  .optional();

function json(value: Record<string, unknown>): ToolResult {
  return { text: JSON.stringify(value), structured: value };
}

function sessionArg(value: unknown): string | undefined {
  return typeof value === 'string' ? parseSessionId(value) : undefined;
}

/**
 * The context of a call that names its session (a Codex conversation, which names no conversation,
 * is told to): the lock's holder, the result's author and the claims are that session's, as for a
 * command run with `WFS_SESSION_ID` (SPEC 2's order).
 */
function actingAs(ctx: ProjectContext, id: string | undefined): ProjectContext {
  return id === undefined ? ctx : { ...ctx, env: { ...ctx.env, WFS_SESSION_ID: id } };
}

function need(value: unknown, what: string, tool: string): string {
  if (typeof value !== 'string' || value === '')
    throw new WfsError('E_INVALID_INPUT', `${tool} needs ${what}`);
  return value;
}

/** What `wfs session show --json` prints. */
async function show(ctx: ProjectContext, id: string | undefined): Promise<Record<string, unknown>> {
  const { session: loaded, warnings } = await showSession(ctx, id);
  return {
    session: loaded.state,
    directory: registryDirectory(loaded.id, loaded.location),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'wfs_context',
    description:
      'What to know at the start of a turn: the session, phase, todos, last checkpoint, next step, other live sessions and their claims, locks, recent events.',
    input: z.object({ session, format: z.enum(['md', 'json']).optional() }),
    async run(ctx, args) {
      const summary = await contextSummary(ctx, {
        ...(sessionArg(args.session) ? { session: sessionArg(args.session)! } : {}),
      });
      if (args.format === 'json') return json(summary as unknown as Record<string, unknown>);
      return { text: contextMarkdown(summary) };
    },
  },
  {
    name: 'wfs_sessions',
    description: 'List the open sessions (with all: archived too), most recently updated first.',
    input: z.object({ status: z.enum(SESSION_STATUSES).optional(), all: z.boolean().optional() }),
    async run(ctx, args) {
      const sessions = listSessions(ctx, {
        includeArchived: args.all === true,
        ...(typeof args.status === 'string' ? { status: parseSessionStatus(args.status) } : {}),
      });
      return json({ sessions });
    },
  },
  {
    name: 'wfs_session',
    description:
      'A session’s lifecycle. start (mode auto: reuse a relevant open session, else create; new: always create) binds it to this conversation; show; switch; pause; resume; complete (archives).',
    input: z.object({
      action: z.enum(['start', 'show', 'switch', 'pause', 'resume', 'complete']),
      mode: z.enum(['auto', 'new']).optional(),
      description: z.string().optional().describe('the task (start)'),
      type: z.enum(SESSION_TYPES).optional(),
      session,
    }),
    async run(ctx, args) {
      const id = sessionArg(args.session);
      switch (args.action) {
        case 'start': {
          const input = {
            description: need(args.description, 'a description to start a session', 'wfs_session start'),
            type: parseSessionType(args.type as string | undefined),
          };
          const started =
            args.mode === 'new' ? await startNewSession(ctx, input) : await startAutoSession(ctx, input);
          return json(started as unknown as Record<string, unknown>);
        }
        case 'show':
          return json(await show(ctx, id));
        case 'switch':
          return json(
            (await switchSession(
              ctx,
              need(id, 'the session to switch to', 'wfs_session switch'),
            )) as unknown as Record<string, unknown>,
          );
        case 'pause':
          return json((await pauseSession(ctx, id)) as unknown as Record<string, unknown>);
        case 'resume':
          return json((await resumeSession(ctx, id)) as unknown as Record<string, unknown>);
        default:
          return json((await completeSession(ctx, id)) as unknown as Record<string, unknown>);
      }
    },
  },
  {
    name: 'wfs_phase',
    description: 'Move the session to PLAN, IMPLEMENT or REVIEW; records the transition and a checkpoint.',
    input: z.object({
      phase: z.enum(['PLAN', 'IMPLEMENT', 'REVIEW']),
      trigger: z.string().optional(),
      handoff: z.record(z.string(), z.unknown()).optional().describe('what the next phase needs to know'),
      session,
    }),
    async run(ctx, args) {
      const id = sessionArg(args.session);
      const result = await changeSessionPhase(ctx, {
        to: parsePhase(args.phase as string),
        ...(typeof args.trigger === 'string' ? { trigger: args.trigger } : {}),
        ...(args.handoff ? { handoff: args.handoff as Record<string, unknown> } : {}),
        ...(id ? { session: id } : {}),
      });
      return json(result as unknown as Record<string, unknown>);
    },
  },
  {
    name: 'wfs_todos',
    description:
      'The session’s todos. Without todos: the list. With todos: the whole new list (same text keeps its number).',
    input: z.object({
      todos: z
        .array(
          z.object({
            content: z.string(),
            status: z.enum(['pending', 'in_progress', 'completed']),
            activeForm: z.string().optional(),
          }),
        )
        .optional(),
      session,
    }),
    async run(ctx, args) {
      const id = sessionArg(args.session);
      if (args.todos === undefined) return json(await readSessionTodos(ctx, id));
      // The CLI's own reading of a TodoWrite list (`wfs todo sync`): the same checks and bounds.
      const items = parseTodoWrite(JSON.stringify({ todos: args.todos }));
      return json((await syncSessionTodos(ctx, items, id)) as unknown as Record<string, unknown>);
    },
  },
  {
    name: 'wfs_checkpoint',
    description: 'Save a checkpoint of the session’s state.',
    input: z.object({
      trigger: z.enum(CHECKPOINT_TRIGGERS).optional(),
      data: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('documents, agents_completed, quality_checks, ...'),
      session,
    }),
    async run(ctx, args) {
      const id = sessionArg(args.session);
      const result = await saveCheckpoint(ctx, {
        trigger: parseTrigger(args.trigger as string | undefined, 'manual'),
        ...(args.data ? { data: args.data as Record<string, unknown> } : {}),
        ...(id ? { session: id } : {}),
      });
      return json(result as unknown as Record<string, unknown>);
    },
  },
  {
    name: 'wfs_claim',
    description:
      'Coordinate with other sessions. acquire: a lock (name; ttl_ms) or path claims (paths, globs; overlaps with live sessions are returned). release: a lock (name, token) or paths (none: all). list: locks and claims.',
    input: z.object({
      action: z.enum(['acquire', 'release', 'list']),
      name: z.string().optional(),
      paths: z.array(z.string()).optional(),
      ttl_ms: z.number().int().positive().optional(),
      token: z.string().optional(),
      session,
    }),
    async run(given, args) {
      const ctx = actingAs(given, sessionArg(args.session));
      const paths = args.paths as string[] | undefined;
      const ttl = args.ttl_ms as number | undefined;
      switch (args.action) {
        case 'acquire':
          if (typeof args.name === 'string')
            return json(
              (await acquireLock(ctx, { name: args.name, ttlMs: ttl ?? 60_000 })) as unknown as Record<
                string,
                unknown
              >,
            );
          if (paths === undefined || paths.length === 0)
            throw new WfsError('E_INVALID_INPUT', 'wfs_claim acquire needs a lock name or paths');
          return json(
            (await claimSessionPaths(ctx, { paths, ...(ttl ? { ttlMs: ttl } : {}) })) as unknown as Record<
              string,
              unknown
            >,
          );
        case 'release':
          if (typeof args.name === 'string')
            return json({
              result: await releaseLock(ctx, {
                name: args.name,
                token: need(args.token, 'the token its acquire gave', 'wfs_claim release of a lock'),
              }),
            });
          return json(
            (await releaseSessionPaths(ctx, { ...(paths ? { paths } : {}) })) as unknown as Record<
              string,
              unknown
            >,
          );
        default:
          return json({
            locks: (await listLocks(ctx)).map((l) => ({
              ...l,
              expiresAt: new Date(l.expiresAt).toISOString(),
            })),
            claims: await listPathClaims(ctx),
          });
      }
    },
  },
  {
    name: 'wfs_share',
    description:
      'Shared results and announcements across sessions. put (key, value; kept a day), get (key), list, events (since: the last event ID seen). A value is text, or base64 with encoding base64 (get says which).',
    input: z.object({
      action: z.enum(['put', 'get', 'list', 'events']),
      key: z.string().optional(),
      value: z.string().optional(),
      encoding: z.enum(['utf8', 'base64']).optional(),
      since: z.number().int().nonnegative().optional(),
      session,
    }),
    async run(given, args) {
      const ctx = actingAs(given, sessionArg(args.session));
      switch (args.action) {
        case 'put': {
          const value =
            typeof args.value === 'string' ? args.value : need(undefined, 'a value', 'wfs_share put');
          const { result, warnings } = await shareResult(ctx, {
            key: need(args.key, 'a key', 'wfs_share put'),
            value: valueOfDocument(value, args.encoding as 'utf8' | 'base64' | undefined),
            ttlMs: 24 * 60 * 60 * 1000,
          });
          return json({ ...sharedResultDocument(result, { withValue: false }), warnings });
        }
        case 'get': {
          const result = await getSharedResult(ctx, need(args.key, 'a key', 'wfs_share get'));
          return json({ ...sharedResultDocument(result, { withValue: true }) });
        }
        case 'list':
          return json({
            results: (await listSharedResults(ctx)).map((r) => sharedResultDocument(r, { withValue: false })),
          });
        default:
          return json({
            events: await readAnnouncements(ctx, {
              ...(typeof args.since === 'number' ? { since: args.since } : {}),
              limit: 100,
            }),
          });
      }
    },
  },
];

/** A tool's input schema as MCP lists it: JSON Schema, without the `$schema` line (tokens for nothing). */
export function inputSchemaOf(tool: ToolDefinition): { type: 'object'; [key: string]: unknown } {
  const { $schema: _schema, ...schema } = z.toJSONSchema(tool.input) as Record<string, unknown>;
  return { ...schema, type: 'object' };
}

/** The arguments of a call, checked against the tool's schema: a mismatch is an E_INVALID_INPUT. */
export function argumentsOf(tool: ToolDefinition, args: unknown): Record<string, unknown> {
  const parsed = tool.input.strict().safeParse(args ?? {});
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`)
    .join('; ');
  throw new WfsError('E_INVALID_INPUT', `Invalid arguments for ${tool.name}: ${issues}`);
}
