import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { countTokens } from 'gpt-tokenizer';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { CLI, CLI_BUNDLE, ISOLATED, makeRepo } from '../helpers.js';

/**
 * `wfs mcp` through the SDK's own client over stdio (the built CLI, as an agent starts it), in the
 * current protocol (2026-07-28, opened with server/discover) and the one before it (2025-11-25,
 * opened with initialize).
 */

const TOOLS = [
  'wfs_context',
  'wfs_sessions',
  'wfs_session',
  'wfs_phase',
  'wfs_todos',
  'wfs_checkpoint',
  'wfs_claim',
  'wfs_share',
];

const ERAS = [
  {
    name: '2026-07-28 (server/discover)',
    options: { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    version: '2026-07-28',
  },
  { name: '2025-11-25 (initialize)', options: {}, version: '2025-11-25' },
] as const;

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function connect(
  root: string,
  era: (typeof ERAS)[number],
  env: NodeJS.ProcessEnv = {},
): Promise<Client> {
  const client = new Client({ name: 'wfs-test', version: '1.0.0' }, era.options);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    cwd: root,
    env: { ...process.env, ...ISOLATED, ...env } as Record<string, string>,
    stderr: 'pipe',
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type Result = Awaited<ReturnType<Client['callTool']>>;

function structured(result: Result): Record<string, unknown> {
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return client.callTool({ name, arguments: args });
}

for (const era of ERAS)
  describe(`wfs mcp, protocol ${era.name}`, () => {
    it('negotiates the protocol and lists the eight tools of SPEC 7, all of them within 3,000 tokens', async () => {
      const client = await connect(makeRepo(), era);
      expect(client.getNegotiatedProtocolVersion()).toBe(era.version);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(TOOLS);
      const definitions = JSON.stringify(
        tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
      );
      expect(countTokens(definitions)).toBeLessThanOrEqual(3_000);
      for (const tool of tools) expect(tool.description!.length).toBeLessThan(300);
    });

    it('a whole flow (start, phase, todos, checkpoint, context) leaves the session wfs session show --json shows', async () => {
      const root = makeRepo();
      const client = await connect(root, era);
      const started = structured(
        await call(client, 'wfs_session', {
          action: 'start',
          mode: 'new',
          description: 'add the login page',
        }),
      );
      expect(started).toMatchObject({ session_id: 'WFS-add-the-login-page', decision: 'created' });
      expect(
        structured(
          await call(client, 'wfs_phase', { phase: 'IMPLEMENT', handoff: { plan: 'form, then tests' } }),
        ),
      ).toMatchObject({
        phase: 'IMPLEMENT',
        changed: true,
      });
      const todos = [
        { content: 'write the form', status: 'completed' },
        { content: 'write the tests', status: 'in_progress' },
      ];
      expect(structured(await call(client, 'wfs_todos', { todos })).changed).toBe(true);
      expect(
        (structured(await call(client, 'wfs_todos')).todos as { content: string }[]).map((t) => t.content),
      ).toEqual(['write the form', 'write the tests']);
      expect(
        structured(
          await call(client, 'wfs_checkpoint', {
            trigger: 'agent_complete',
            data: { documents: ['IMPL_PLAN.md'] },
          }),
        ),
      ).toMatchObject({
        checkpoint: { trigger: 'agent_complete' },
      });
      const context = await call(client, 'wfs_context');
      expect((context.content as { text: string }[])[0]!.text).toContain('WFS-add-the-login-page');
      expect(structured(await call(client, 'wfs_context', { format: 'json' }))).toMatchObject({
        active_session: { id: 'WFS-add-the-login-page', phase: 'IMPLEMENT' },
      });
      const shown = structured(await call(client, 'wfs_session', { action: 'show' }));
      const cliShown = await cli(root, ['session', 'show', '--json']);
      expect(shown).toEqual(JSON.parse(cliShown.stdout));
      const resource = await client.readResource({ uri: 'wfs://context' });
      expect((resource.contents[0] as { text: string }).text).toContain('# wfs context');
    });

    it('answers bad arguments and failures with isError and the SPEC error code', async () => {
      const root = makeRepo();
      const client = await connect(root, era);
      const cases: [string, Record<string, unknown>, string][] = [
        ['wfs_phase', { phase: 'DEPLOY' }, 'E_INVALID_INPUT'],
        ['wfs_session', { action: 'start' }, 'E_INVALID_INPUT'],
        ['wfs_session', { action: 'show', session: '../../etc' }, 'E_INVALID_ID'],
        ['wfs_todos', { unknown_argument: 1 }, 'E_INVALID_INPUT'],
        ['wfs_phase', { phase: 'PLAN' }, 'E_NO_ACTIVE_SESSION'],
        ['wfs_share', { action: 'get', key: 'nothing-here' }, 'E_NOT_FOUND'],
        [
          'wfs_share',
          { action: 'put', key: 'k', value: 'not base64!', encoding: 'base64' },
          'E_INVALID_INPUT',
        ],
        ['wfs_share', { action: 'put', key: 'k', value: 'a', encoding: 'latin1' }, 'E_INVALID_INPUT'],
        ['wfs_nope', {}, 'E_INVALID_INPUT'],
      ];
      for (const [name, args, code] of cases) {
        const result = await call(client, name, args);
        expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
        expect((result.structuredContent as { error: { code: string } }).error.code).toBe(code);
        expect((result.content as { text: string }[])[0]!.text).toMatch(new RegExp(`^ERROR: ${code}: `));
      }
    });

    it('coordinates through wfs_claim and wfs_share', async () => {
      const root = makeRepo();
      const client = await connect(root, era);
      structured(await call(client, 'wfs_session', { action: 'start', description: 'claims' }));
      const lock = structured(
        await call(client, 'wfs_claim', { action: 'acquire', name: 'deploy', ttl_ms: 60_000 }),
      );
      expect(lock).toMatchObject({
        status: 'acquired',
        lease: { name: 'deploy', holder: { session: 'WFS-claims' } },
      });
      expect(
        structured(await call(client, 'wfs_claim', { action: 'acquire', paths: ['src/**'] })),
      ).toMatchObject({
        session_id: 'WFS-claims',
        paths: ['src/**'],
        conflicts: [],
      });
      const listed = structured(await call(client, 'wfs_claim', { action: 'list' }));
      expect(listed.claims).toEqual([expect.objectContaining({ session: 'WFS-claims', paths: ['src/**'] })]);
      const token = (lock.lease as { token: string }).token;
      expect(
        structured(await call(client, 'wfs_claim', { action: 'release', name: 'deploy', token })),
      ).toEqual({ result: 'released' });
      expect(
        structured(await call(client, 'wfs_share', { action: 'put', key: 'tests:abc', value: 'ok' })),
      ).toMatchObject({ key: 'tests:abc' });
      expect(structured(await call(client, 'wfs_share', { action: 'get', key: 'tests:abc' }))).toMatchObject({
        value: 'ok',
        encoding: 'utf8',
        bytes: 2,
      });
      // Bytes that are not text travel in base64, both ways, and the CLI sees the same bytes.
      expect(
        structured(
          await call(client, 'wfs_share', {
            action: 'put',
            key: 'raw',
            value: '//4AQQ==',
            encoding: 'base64',
          }),
        ),
      ).toMatchObject({ key: 'raw', encoding: 'base64', bytes: 4 });
      expect((await cli(root, ['results', 'get', 'raw'])).stdoutBytes.toString('hex')).toBe('fffe0041');
      await cli(root, ['results', 'put', 'gz'], { input: Buffer.from([0x1f, 0x8b, 0x08, 0x00]) });
      expect(structured(await call(client, 'wfs_share', { action: 'get', key: 'gz' }))).toMatchObject({
        value: 'H4sIAA==',
        encoding: 'base64',
        bytes: 4,
      });
      expect(structured(await call(client, 'wfs_share', { action: 'list' })).results).toEqual([
        expect.objectContaining({ key: 'gz', encoding: 'base64', bytes: 4 }),
        expect.objectContaining({ key: 'raw', encoding: 'base64', bytes: 4 }),
        expect.objectContaining({ key: 'tests:abc', encoding: 'utf8', bytes: 2 }),
      ]);
      const events = structured(await call(client, 'wfs_share', { action: 'events' })).events as {
        type: string;
      }[];
      expect(events.map((e) => e.type)).toContain('result.shared');
    });
  });

describe('wfs mcp from an agent conversation', () => {
  it('binds the session it starts to the calling conversation (CLAUDE_CODE_SESSION_ID, set for MCP servers)', async () => {
    const root = makeRepo();
    const client = await connect(root, ERAS[0], { CLAUDE_CODE_SESSION_ID: 'conversation-1' });
    const started = structured(
      await call(client, 'wfs_session', { action: 'start', mode: 'new', description: 'bound' }),
    );
    expect(started.bound_conversation).toEqual({ agent: 'claude', conversation_id: 'conversation-1' });
    const shown = JSON.parse((await cli(root, ['session', 'show', '--json'])).stdout);
    expect(shown.session.conversations).toEqual([
      expect.objectContaining({ agent: 'claude', conversation_id: 'conversation-1' }),
    ]);
  });
});

describe('wfs mcp for a session named by the caller', () => {
  it('claims, locks and shares for the session named (Codex names no conversation, and is told to name its session)', async () => {
    const root = makeRepo();
    for (const task of ['named task', 'active task'])
      expect((await cli(root, ['session', 'start', '--new', task])).code).toBe(0);
    const client = await connect(root, ERAS[0]);
    const session = 'WFS-named-task';
    expect(
      structured(await call(client, 'wfs_claim', { action: 'acquire', paths: ['docs/**'], session })),
    ).toMatchObject({ session_id: session, paths: ['docs/**'] });
    expect(
      structured(await call(client, 'wfs_claim', { action: 'acquire', name: 'deploy', session })),
    ).toMatchObject({ status: 'acquired', lease: { holder: { session } } });
    expect(
      structured(await call(client, 'wfs_share', { action: 'put', key: 'k', value: 'v', session })),
    ).toMatchObject({ key: 'k', session });
    expect(
      structured(await call(client, 'wfs_claim', { action: 'release', paths: ['docs/**'], session })),
    ).toMatchObject({ session_id: session, released: ['docs/**'] });
    // Without it, the active session, as before.
    expect(
      structured(await call(client, 'wfs_claim', { action: 'acquire', paths: ['src/**'] })),
    ).toMatchObject({ session_id: 'WFS-active-task' });
  });
});

describe('wfs mcp on stdout', () => {
  it('writes nothing but the protocol: every line is one JSON-RPC message', async () => {
    const root = makeRepo();
    const child = spawn(process.execPath, [CLI, 'mcp'], { cwd: root, env: { ...process.env, ...ISOLATED } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    const until = (id: number) =>
      new Promise<void>((resolve) => {
        const check = () => (out.includes(`"id":${id}`) ? resolve() : setTimeout(check, 5));
        check();
      });
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    await until(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'wfs_session', arguments: { action: 'start', description: 'stdout' } },
    });
    await until(2);
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'wfs_context', arguments: {} } });
    await until(3);
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    const lines = out.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });
});

describe('wfs mcp in the build', () => {
  it('is a lazily loaded file of its own: no other command loads the MCP SDK', () => {
    const marks = ['jsonrpc', 'serveStdio', 'tools/list'];
    const bundle = fs.readFileSync(CLI_BUNDLE, 'utf8');
    for (const mark of marks) expect(bundle, mark).not.toContain(mark);
    const lazy = fs.readFileSync(path.join(path.dirname(CLI), 'lazy', 'mcp-command.cjs'), 'utf8');
    for (const mark of marks) expect(lazy, mark).toContain(mark);
    for (const other of fs.readdirSync(path.join(path.dirname(CLI), 'lazy')))
      if (other !== 'mcp-command.cjs')
        expect(fs.readFileSync(path.join(path.dirname(CLI), 'lazy', other), 'utf8'), other).not.toContain(
          'serveStdio',
        );
  });
});
