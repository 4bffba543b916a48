/**
 * The harness of the end-to-end tests with the real agents (Claude Code, Codex CLI, Gemini CLI),
 * offline: the agents come from the npm registry into a cache outside the repository
 * (install-agents.mjs), talk to a loopback mock of their model API (mock-models.ts), and run in
 * print/exec mode in a sandbox: HOME a temporary folder, the project a git repository inside it,
 * TMPDIR inside it, an environment built from nothing (no variable of the developer's shell, the
 * coding client's or a real API key reaches them), and `wfs` on their PATH as a shim that runs this
 * checkout's dist/wfs.cjs and logs every call.
 *
 * What is not available is a skip with its reason (`skipUnless`), never a silent pass: the reason is
 * in vitest's output and in the summary scripts/test.mjs prints.
 */
import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, type TestContext } from 'vitest';
import type { MockModel, Wire } from './mock-models.js';

export type { Wire } from './mock-models.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Why a test was skipped; scripts/test.mjs prints it beside the closing summary. */
    skipReason?: string;
  }
}

export const REPO = path.resolve(import.meta.dirname, '..', '..');
/**
 * The wfs the agents run: this checkout's build, or the one `WFS_TEST_CLI` names (to try these tests
 * against a build of another worktree without merging it).
 */
export const WFS_CLI = process.env.WFS_TEST_CLI
  ? path.resolve(process.env.WFS_TEST_CLI)
  : path.join(REPO, 'dist', 'wfs.cjs');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'agents');
const INSTALLER = path.join(import.meta.dirname, 'install-agents.mjs');
export const PROBE_MCP = path.join(import.meta.dirname, 'probe-mcp.mjs');

/** src/a.js of every sandbox project, as in the recordings. */
export const A_JS = 'export function a() {\n  return 1;\n}\n';

// ------------------------------------------------------------------------------------ availability

export type AgentName = 'claude' | 'codex' | 'gemini';

export interface Agent {
  agent: AgentName;
  title: string;
  package: string;
  version: string;
  /** argv that starts it. */
  command: string[];
}

/** Something a test needs, or why it cannot be had. */
export type Availability<T> = { ok: true; value: T } | { ok: false; reason: string };

interface InstallerAnswer {
  agents: (Omit<Agent, 'command'> & { ok: boolean; command?: string[]; reason?: string })[];
}

/** The agent from the cache (installed into it first when needed), or why it cannot be had. */
export async function agentAvailability(name: AgentName): Promise<Availability<Agent>> {
  const answer = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [INSTALLER, '--json', name],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
  if (answer.code !== 0) return { ok: false, reason: `install-agents.mjs failed: ${answer.stderr.trim()}` };
  const found = (JSON.parse(answer.stdout) as InstallerAnswer).agents[0];
  if (!found) return { ok: false, reason: `install-agents.mjs said nothing about ${name}` };
  const label = `${found.package}@${found.version}`;
  if (!found.ok || !found.command)
    return { ok: false, reason: `${label} cannot be installed: ${found.reason}` };
  return {
    ok: true,
    value: {
      agent: name,
      title: found.title,
      package: found.package,
      version: found.version,
      command: found.command,
    },
  };
}

/**
 * Whether this build of wfs has its agent commands (`wfs install`, `wfs hook`, `wfs mcp`, SPEC 7):
 * the tests of wfs with the agents run once `wfs install --help` exits 0, and are skipped before.
 */
export function wfsAgentCommands(): Availability<true> {
  if (!fs.existsSync(WFS_CLI))
    return { ok: false, reason: `${path.relative(REPO, WFS_CLI)} is not built (npm run build)` };
  const help = spawnSync(process.execPath, [WFS_CLI, 'install', '--help'], {
    encoding: 'utf8',
    env: bareEnv(),
  });
  if (help.status !== 0) return { ok: false, reason: 'wfs install is not available in this build' };
  return { ok: true, value: true };
}

/**
 * Skips the test, with the reason, unless everything it needs is available; returns the first
 * value (the agent). The reason goes into the test's meta, which vitest's JSON report carries to
 * scripts/test.mjs.
 */
export function skipUnless<T>(ctx: TestContext, first: Availability<T>, ...more: Availability<unknown>[]): T {
  for (const need of [first, ...more])
    if (!need.ok) {
      ctx.task.meta.skipReason = need.reason;
      ctx.skip(need.reason);
    }
  return (first as { ok: true; value: T }).value;
}

// ------------------------------------------------------------------------------------ sandboxes

export interface Sandbox {
  /** The temporary folder that holds everything below. */
  root: string;
  /** The agent's HOME. */
  home: string;
  /** The project: a git repository `$HOME/proj` with src/a.js committed. */
  project: string;
  /** The agent's TMPDIR. */
  tmp: string;
  /** Put first on the agent's PATH: the `wfs` shim. */
  bin: string;
  /** Where the shim logs each wfs call and keeps each hook call's stdin. */
  calls: string;
}

const sandboxes: string[] = [];
afterAll(() => {
  // WFS_KEEP_AGENT_SANDBOX=1 keeps them for a look after a failure (their paths are in the errors).
  if (process.env.WFS_KEEP_AGENT_SANDBOX === '1') return;
  for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
});

const sq = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** A new sandbox; the project is committed, so a test's edits show in `git status`. */
export function makeSandbox(): Sandbox {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-agents-')));
  sandboxes.push(root);
  const home = path.join(root, 'home');
  const sb: Sandbox = {
    root,
    home,
    project: path.join(home, 'proj'),
    tmp: path.join(home, 'tmp'),
    bin: path.join(root, 'bin'),
    calls: path.join(root, 'wfs-calls'),
  };
  for (const dir of [sb.project, sb.tmp, sb.bin, sb.calls]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(home, '.gitconfig'),
    '[user]\n\tname = wfs test\n\temail = wfs-test@example.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n',
  );
  fs.mkdirSync(path.join(sb.project, 'src'));
  fs.writeFileSync(path.join(sb.project, 'src', 'a.js'), A_JS);
  git(sb, sb.project, 'init', '-q');
  git(sb, sb.project, 'add', '.');
  git(sb, sb.project, 'commit', '-q', '-m', 'init');
  writeWfsShim(sb);
  return sb;
}

/**
 * `wfs` as the agents find it on PATH (what `wfs install` writes calls `wfs`). Each call appends
 * `<exit code>\t<stamp>\t<arguments>` to calls/log; a `wfs hook` call's stdin is kept as
 * calls/<stamp>.stdin (the event the agent sent). `wfs mcp` is exec'd, so the agent's signals and
 * pipes reach the server itself.
 */
function writeWfsShim(sb: Sandbox): void {
  const node = sq(process.execPath);
  const cli = sq(WFS_CLI);
  const calls = sq(sb.calls);
  const shim = `#!/bin/sh
# wfs of this checkout, for the agents of the end-to-end tests (test/agents/harness.ts).
stamp=$(date +%s%N)-$$
case "$1" in
  mcp)
    printf '%s\\t%s\\t%s\\n' exec "$stamp" "$*" >> ${calls}/log
    exec ${node} ${cli} "$@"
    ;;
  hook)
    tee ${calls}/"$stamp".stdin | ${node} ${cli} "$@"
    code=$?
    ;;
  *)
    ${node} ${cli} "$@"
    code=$?
    ;;
esac
printf '%s\\t%s\\t%s\\n' "$code" "$stamp" "$*" >> ${calls}/log
exit "$code"
`;
  fs.writeFileSync(path.join(sb.bin, 'wfs'), shim, { mode: 0o755 });
}

export interface WfsCall {
  /** The exit code, or `exec` for `wfs mcp` (which replaced the shim). */
  code: string;
  args: string;
  /** For `wfs hook`: the event it got on stdin, parsed. */
  event?: Wire;
}

/** The wfs calls the agents made through the shim, in order. */
export function wfsCalls(sb: Sandbox): WfsCall[] {
  const log = path.join(sb.calls, 'log');
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [code = '', stamp = '', args = ''] = line.split('\t');
      const stdin = path.join(sb.calls, `${stamp}.stdin`);
      const call: WfsCall = { code, args };
      if (fs.existsSync(stdin)) {
        const text = fs.readFileSync(stdin, 'utf8');
        try {
          call.event = JSON.parse(text);
        } catch {
          call.event = text;
        }
      }
      return call;
    });
}

/** An environment from nothing: only what any program needs, then the test's own variables. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    ...extra,
  };
}

/** The environment of an agent (and of the wfs commands a test runs as the user would) in a sandbox. */
export function sandboxEnv(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return bareEnv({
    PATH: [sb.bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: sb.home,
    TMPDIR: sb.tmp,
    USER: os.userInfo().username,
    SHELL: fs.existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh',
    // The machine's git configuration is not the sandbox's: $HOME/.gitconfig only.
    GIT_CONFIG_NOSYSTEM: '1',
    ...extra,
  });
}

export function git(sb: Sandbox, cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, env: sandboxEnv(sb), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} in ${cwd} failed: ${result.stderr}`);
  return result.stdout;
}

/** A second worktree of the project (`git worktree add`), as a parallel session would have it. */
export function addWorktree(sb: Sandbox, name: string): string {
  const dir = path.join(sb.home, name);
  git(sb, sb.project, 'worktree', 'add', '-q', '-b', name, dir);
  return dir;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Processes started here and not yet ended: a test that failed half-way leaves none behind. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

function runProcess(
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<Run> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        running.delete(child);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    running.add(child);
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** The wfs of this checkout, run in `cwd` as the sandbox's user (its HOME, its PATH). */
export function wfsIn(sb: Sandbox, cwd: string, args: readonly string[], input?: string): Promise<Run> {
  return runProcess([process.execPath, WFS_CLI, ...args], {
    cwd,
    env: sandboxEnv(sb),
    ...(input === undefined ? {} : { input }),
  });
}

/** `wfs session start --new DESC` in `cwd`; returns the session's ID. */
export async function startSession(sb: Sandbox, cwd: string, description: string): Promise<string> {
  const started = await wfsIn(sb, cwd, ['session', 'start', '--new', description, '--json']);
  if (started.code !== 0) throw new Error(`wfs session start failed in ${cwd}: ${started.stderr}`);
  return JSON.parse(started.stdout).session_id;
}

// ------------------------------------------------------------------------------------ recording hook

export interface Recorded {
  event: string;
  /** Exactly the bytes the agent wrote on the hook's stdin. */
  raw: string;
  payload: Wire;
  /** The hook command's environment. */
  env: Record<string, string>;
}

/**
 * The README's rec.sh: copies the event from stdin (and its environment) into a folder, prints its
 * second argument (if any) as the hook's answer, exits 0. `command(event, stdout?)` is the command
 * line to put into an agent's hook settings; `read()` gives what was recorded, in order.
 */
export function recordingHook(sb: Sandbox): {
  command(event: string, stdout?: string): string;
  read(): Recorded[];
} {
  const dir = path.join(sb.root, 'rec');
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(sb.root, 'rec.sh');
  fs.writeFileSync(
    script,
    `#!/bin/sh
# rec.sh DIR EVENT [STDOUT]: copy the event from stdin to DIR, print STDOUT (if any), exit 0.
stamp=$(date +%s%N)-$$
cat > "$1/$stamp-$2.json"
env -0 > "$1/$stamp-$2.env"
[ -n "$3" ] && printf '%s' "$3"
exit 0
`,
  );
  return {
    command: (event, stdout) =>
      `sh ${sq(script)} ${sq(dir)} ${event}${stdout === undefined ? '' : ` ${sq(stdout)}`}`,
    read: () =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        // Nanoseconds since the epoch are past 2^53: compared as BigInt, not as numbers.
        .sort((a, b) => {
          const [x, y] = [BigInt(a.split('-')[0]!), BigInt(b.split('-')[0]!)];
          return x < y ? -1 : x > y ? 1 : 0;
        })
        .map((file) => {
          const raw = fs.readFileSync(path.join(dir, file), 'utf8');
          const envText = fs.readFileSync(path.join(dir, file.replace(/\.json$/, '.env')), 'utf8');
          const env = Object.fromEntries(
            envText
              .split('\0')
              .filter(Boolean)
              .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
          );
          return {
            event: file.replace(/^\d+-\d+-/, '').replace(/\.json$/, ''),
            raw,
            payload: JSON.parse(raw),
            env,
          };
        }),
  };
}

// ------------------------------------------------------------------------------------ fixtures

/** A committed fixture (test/fixtures/agents/<folder>/<name>.json), raw and parsed. */
export function fixture(folder: string, name: string): { raw: string; payload: Wire } {
  const raw = fs.readFileSync(path.join(FIXTURES, folder, `${name}.json`), 'utf8');
  return { raw, payload: JSON.parse(raw) };
}

/**
 * A recorded payload with the sandbox's paths replaced the way the fixtures' were (README, "What was
 * changed in them"): the project, then HOME, then Claude Code's encoded project folder.
 */
export function asFixture(sb: Sandbox, payload: unknown): Wire {
  const encoded = sb.project.replace(/[^A-Za-z0-9]/g, '-');
  const text = JSON.stringify(payload)
    .replaceAll(sb.project, '/home/dev/proj')
    .replaceAll(sb.home, '/home/dev')
    .replaceAll(encoded, '-home-dev-proj');
  return JSON.parse(text);
}

/** The shape of a JSON value: its keys in order and the types of its values, recursively. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, shapeOf(inner)]);
  return typeof value;
}

// ------------------------------------------------------------------------------------ agents

export interface AgentRun extends Run {
  /** stdout's JSON lines (stream-json / --json / -o stream-json), parsed. */
  lines: Wire[];
}

async function runAgent(
  agent: Agent,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<AgentRun> {
  const run = await runProcess([...agent.command, ...args], { cwd, env });
  const lines = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  return { ...run, lines };
}

/** What a failed run said, for an assertion's message. */
export function described(run: Run): string {
  return `exit ${run.code}\n--- stderr\n${run.stderr.slice(-4000)}\n--- stdout\n${run.stdout.slice(-4000)}`;
}

/** The model Claude Code is started with (the recordings' model, which still offers TodoWrite). */
export const CLAUDE_MODEL = 'claude-opus-4-7';

/**
 * `claude -p PROMPT` in `cwd` (default: the project) against the mock, reporting every hook's exit
 * code in stream-json (`--include-hook-events`).
 */
export function runClaude(
  agent: Agent,
  sb: Sandbox,
  mock: MockModel,
  options: { prompt: string; cwd?: string; env?: NodeJS.ProcessEnv; args?: readonly string[] },
): Promise<AgentRun> {
  const env = sandboxEnv(sb, {
    ANTHROPIC_BASE_URL: mock.url,
    ANTHROPIC_API_KEY: 'sk-ant-dummy',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    // Every tool up front: otherwise the task tools (and MCP tools) wait behind tool search.
    ENABLE_TOOL_SEARCH: 'false',
    ...options.env,
  });
  const args = [
    '-p',
    options.prompt,
    '--model',
    CLAUDE_MODEL,
    '--permission-mode',
    'acceptEdits',
    '--output-format',
    'stream-json',
    '--verbose',
    '--include-hook-events',
    ...(options.args ?? []),
  ];
  return runAgent(agent, args, options.cwd ?? sb.project, env);
}

/** Claude Code's report of each hook it ran (stream-json `hook_response`). */
export function claudeHookResponses(run: AgentRun): Wire[] {
  return run.lines.filter((line) => line.type === 'system' && line.subtype === 'hook_response');
}

/** The tool results Claude Code sent back (from stream-json's `user` messages), by tool_use_id. */
export function claudeToolResults(run: AgentRun): Map<string, Wire> {
  const results = new Map<string, Wire>();
  for (const line of run.lines)
    if (line.type === 'user' && Array.isArray(line.message?.content))
      for (const block of line.message.content)
        if (block.type === 'tool_result') results.set(block.tool_use_id, block);
  return results;
}

/** The model Codex is given: one it knows, so it offers apply_patch (and tool search). */
export const CODEX_MODEL = 'gpt-5.5';

/**
 * `$HOME/.codex/config.toml`: the mock as the model provider, and the given folders trusted (Codex
 * reads a project's own `.codex/` only when the project is trusted).
 */
export function writeCodexConfig(
  sb: Sandbox,
  mock: MockModel,
  trusted: readonly string[] = [sb.project],
): void {
  const dir = path.join(sb.home, '.codex');
  fs.mkdirSync(dir, { recursive: true });
  const projects = trusted
    .map((p) => `[projects.${JSON.stringify(p)}]\ntrust_level = "trusted"\n`)
    .join('\n');
  fs.writeFileSync(
    path.join(dir, 'config.toml'),
    `model = "${CODEX_MODEL}"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "${mock.url}"
wire_api = "responses"
env_key = "MOCK_API_KEY"

${projects}`,
  );
}

/**
 * `codex exec --json PROMPT` in `cwd` (default: the project). Hooks run only once trusted; in a
 * sandbox nobody can review them, so `--dangerously-bypass-hook-trust` trusts them for this run.
 */
export function runCodex(
  agent: Agent,
  sb: Sandbox,
  options: { prompt: string; cwd?: string; env?: NodeJS.ProcessEnv; args?: readonly string[] },
): Promise<AgentRun> {
  const env = sandboxEnv(sb, { MOCK_API_KEY: 'dummy', ...options.env });
  const args = ['exec', '--dangerously-bypass-hook-trust', '--json', ...(options.args ?? []), options.prompt];
  return runAgent(agent, args, options.cwd ?? sb.project, env);
}

/** Gemini's model in the tests: a 2.x model, the only ones offered write_todos. */
export const GEMINI_MODEL = 'gemini-2.5-flash';

/** `$HOME/.gemini/settings.json`: API-key auth, no folder trust prompt, no telemetry. */
export function writeGeminiSettings(sb: Sandbox): void {
  const dir = path.join(sb.home, '.gemini');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'settings.json'),
    `${JSON.stringify(
      {
        security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
        telemetry: { enabled: false },
        privacy: { usageStatisticsEnabled: false },
      },
      null,
      2,
    )}\n`,
  );
}

/** `gemini -p PROMPT --approval-mode yolo -o stream-json` in `cwd` (default: the project). */
export function runGemini(
  agent: Agent,
  sb: Sandbox,
  mock: MockModel,
  options: { prompt: string; cwd?: string; env?: NodeJS.ProcessEnv; args?: readonly string[] },
): Promise<AgentRun> {
  const env = sandboxEnv(sb, { GEMINI_API_KEY: 'dummy', GOOGLE_GEMINI_BASE_URL: mock.url, ...options.env });
  const args = [
    '-m',
    GEMINI_MODEL,
    '-p',
    options.prompt,
    '--approval-mode',
    'yolo',
    '-o',
    'stream-json',
    ...(options.args ?? []),
  ];
  return runAgent(agent, args, options.cwd ?? sb.project, env);
}

/** Writes a JSON file (and its folder). */
export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSON file, or undefined when it is not there. */
export function readJson(file: string): Wire {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

/** The files among `candidates` (files, or folders searched whole) that mention wfs. */
export function filesMentioningWfs(candidates: readonly string[]): string[] {
  const files = candidates.flatMap((candidate) => {
    if (!fs.existsSync(candidate)) return [];
    if (!fs.statSync(candidate).isDirectory()) return [candidate];
    return fs
      .readdirSync(candidate, { recursive: true, encoding: 'utf8' })
      .map((f) => path.join(candidate, f))
      .filter((f) => fs.statSync(f).isFile());
  });
  return files.filter((f) => /\bwfs\b/.test(fs.readFileSync(f, 'utf8')));
}

/**
 * Asserts that instruction files reached the model: a memory file (CLAUDE.md, AGENTS.md, GEMINI.md
 * and the like) by its longest line in the request, a skill (`<name>/SKILL.md`) by its name; other
 * files (slash commands) are not sent to the model up front and are not looked for.
 */
export function expectInstructionsSent(files: readonly string[], request: Wire): void {
  const sent = JSON.stringify(request);
  for (const file of files) {
    if (path.basename(file) === 'SKILL.md') {
      const name = path.basename(path.dirname(file));
      expect(sent.includes(name), `the skill ${name} (${file}) is named in the first request`).toBe(true);
      continue;
    }
    if (/\/(commands)\//.test(file)) continue;
    const longest = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .reduce((a, b) => (b.length > a.length ? b : a), '');
    const escaped = JSON.stringify(longest).slice(1, -1);
    expect(sent.includes(escaped), `the line "${longest}" of ${file} is in the first request`).toBe(true);
  }
}
