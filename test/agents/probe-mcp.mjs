#!/usr/bin/env node
// A minimal MCP server on stdio (newline-delimited JSON-RPC) with one tool, `probe`, for the
// harness's own tests: it proves that an agent started by the harness loads a project's MCP server,
// offers its tools to the mock model and returns their results, before wfs's own server is there.
// Hand-written rather than built on an MCP SDK: it is a test double whose every byte the tests
// control, and the project has no MCP dependency of its own to reuse.
//
// It answers `initialize` with the protocol version the client asked for, and any method it does not
// know (such as a newer protocol's discovery probe) with "method not found", as a server of an older
// protocol does. Each line it receives is appended to $PROBE_MCP_LOG when that is set.
import fs from 'node:fs';
import readline from 'node:readline';

const log = process.env.PROBE_MCP_LOG;
const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

const tool = {
  name: 'probe',
  description: 'Answers with the text it was given (a test probe).',
  inputSchema: {
    type: 'object',
    properties: {
      text: { type: 'string', description: 'What to answer with' },
      fail: { type: 'boolean', description: 'Answer as a failed tool call (isError)' },
    },
    required: ['text'],
  },
};

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (log) fs.appendFileSync(log, `${line}\n`);
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return send({ id: null, error: { code: -32700, message: 'parse error' } });
  }
  if (message.id === undefined || message.id === null) return; // a notification
  const { id, method, params } = message;
  if (method === 'initialize')
    return send({
      id,
      result: {
        protocolVersion: params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'probe', version: '1.0.0' },
      },
    });
  if (method === 'ping') return send({ id, result: {} });
  if (method === 'tools/list') return send({ id, result: { tools: [tool] } });
  if (method === 'tools/call') {
    const args = params?.arguments ?? {};
    return send({
      id,
      result: {
        content: [{ type: 'text', text: `probe: ${args.text}` }],
        ...(args.fail ? { isError: true } : {}),
      },
    });
  }
  send({ id, error: { code: -32601, message: `method not found: ${method}` } });
});
