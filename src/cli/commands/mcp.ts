import { serveMcp } from '../../mcp/server.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';

declare const WFS_VERSION: string | undefined;

/**
 * `wfs mcp` (SPEC 7): the MCP server on stdio, until the client closes it. A file of its own in the
 * build (the MCP SDK and zod's JSON Schema come with it), so no other command pays for it.
 */
export async function mcp(io: CliIo, _out: Output, _values: OptionValues): Promise<number> {
  serveMcp({
    cwd: io.cwd,
    env: io.env,
    version: typeof WFS_VERSION === 'string' ? WFS_VERSION : '0.0.0-dev',
    onError: (message) => io.stderr(`WARNING: wfs mcp: ${message}\n`),
  });
  return 0;
}
