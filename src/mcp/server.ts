import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { describeFault, faultFromSystemError, isWfsError, WfsError } from '../core/errors.js';
import { openProject, type ProjectContext } from '../store/project.js';
import { contextMarkdown, contextSummary } from '../views/context-summary.js';
import { argumentsOf, inputSchemaOf, TOOLS, type ToolDefinition } from './tools.js';

/**
 * `wfs mcp` (SPEC 7): an MCP server on stdio for the current protocol (2026-07-28, opened with
 * `server/discover`) and the ones before it (2025-11-25 and older, opened with `initialize`): the
 * SDK's `serveStdio` tells them apart on the first message and serves both from one factory. The
 * low-level `Server` rather than `McpServer`: the tools' JSON Schemas are listed as written (their
 * size is counted), and a bad argument becomes a tool result with the SPEC's error code instead of
 * the SDK's own message. stdout carries the protocol only: nothing here prints.
 */

export interface McpOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  version: string;
  /** Where the SDK reports what it cannot say on the wire (stderr). */
  onError(message: string): void;
}

/** The project of a call, found afresh each time: `.workflow/` may be made by an earlier call. */
function projectFor(options: McpOptions): ProjectContext {
  return openProject({ cwd: options.cwd, env: options.env });
}

type CallResult = {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/** An error as a tool result (SPEC 7): `isError`, the code, and the message a person reads. */
function errorResult(error: unknown): CallResult {
  const known = isWfsError(error) ? error : faultFromSystemError(error);
  const code = known?.code ?? 'E_INTERNAL';
  const message = known?.message ?? `Internal error: ${describeFault(error)}`;
  return {
    content: [{ type: 'text', text: `ERROR: ${code}: ${message}` }],
    structuredContent: { error: { code, message, ...(known?.details ?? {}) } },
    isError: true,
  };
}

export async function callTool(
  tool: ToolDefinition,
  ctx: ProjectContext,
  args: unknown,
): Promise<CallResult> {
  try {
    const result = await tool.run(ctx, argumentsOf(tool, args));
    return {
      content: [{ type: 'text', text: result.text }],
      ...(result.structured === undefined ? {} : { structuredContent: result.structured }),
    };
  } catch (error) {
    return errorResult(error);
  }
}

const RESOURCES = [
  { uri: 'wfs://context', name: 'context', title: 'wfs context', mimeType: 'text/markdown' },
  {
    uri: 'wfs://context.json',
    name: 'context.json',
    title: 'wfs context (JSON)',
    mimeType: 'application/json',
  },
] as const;

export function createServer(options: McpOptions): Server {
  const server = new Server(
    { name: 'wfs', version: options.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'wfs keeps this project’s work as sessions (phase, todos, checkpoints) and coordinates parallel sessions. Read wfs_context first.',
    },
  );
  server.setRequestHandler('tools/list', async () => ({
    tools: TOOLS.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: inputSchemaOf(tool),
    })),
  }));
  server.setRequestHandler('tools/call', async (request) => {
    const tool = TOOLS.find((t) => t.name === request.params.name);
    if (tool === undefined)
      return errorResult(
        new WfsError(
          'E_INVALID_INPUT',
          `No tool ${request.params.name}: ${TOOLS.map((t) => t.name).join(', ')}`,
        ),
      );
    return callTool(tool, projectFor(options), request.params.arguments);
  });
  server.setRequestHandler('resources/list', async () => ({ resources: [...RESOURCES] }));
  server.setRequestHandler('resources/read', async (request) => {
    const resource = RESOURCES.find((r) => r.uri === request.params.uri);
    if (resource === undefined) throw new Error(`No resource ${request.params.uri}`);
    const summary = await contextSummary(projectFor(options));
    return {
      contents: [
        {
          uri: resource.uri,
          mimeType: resource.mimeType,
          text: resource.mimeType === 'text/markdown' ? contextMarkdown(summary) : JSON.stringify(summary),
        },
      ],
    };
  });
  return server;
}

/** Serves until the client closes stdin. */
export function serveMcp(options: McpOptions): void {
  serveStdio(() => createServer(options), { onerror: (error) => options.onError(error.message) });
}
