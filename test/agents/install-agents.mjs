#!/usr/bin/env node
// Installs the real agents that test/agents/ runs (Claude Code, Codex CLI, Gemini CLI) from the npm
// registry into a cache outside the repository, and tells how to start each one, or why it cannot be
// had. One implementation for the tests (harness.ts runs this file with --json) and for .ci/run
// (which runs it first, so the reason of a skip is in CI's output before the tests start).
//
//   node test/agents/install-agents.mjs [--json] [claude|codex|gemini ...]
//
// Always exits 0 when it could answer: an agent that cannot be installed is a skip, not a failure.
// Plain JavaScript, not TypeScript, because .ci/run runs it with node before anything is built.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The versions the recorded fixtures (test/fixtures/agents/) come from: a new version is a new folder. */
export const AGENTS = {
  claude: { title: 'Claude Code', package: '@anthropic-ai/claude-code', version: '2.1.332' },
  codex: { title: 'Codex CLI', package: '@openai/codex', version: '0.171.0' },
  gemini: { title: 'Gemini CLI', package: '@google/gemini-cli', version: '0.61.0' },
};

/** `$WFS_TEST_AGENTS_CACHE`, else `$XDG_CACHE_HOME/wfs-test-agents`, else `~/.cache/wfs-test-agents`. */
export function cacheRoot() {
  if (process.env.WFS_TEST_AGENTS_CACHE) return path.resolve(process.env.WFS_TEST_AGENTS_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'wfs-test-agents');
}

const MARKER = '.wfs-test-agent.json';

function run(file, args, options) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, error: error && typeof error.code !== 'number' ? error : undefined });
    });
  });
}

/** The platform packages' suffix Claude Code's own postinstall picks (musl: no glibc in the report). */
function claudePlatform() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return glibc ? base : `${base}-musl`;
}

/**
 * How to start an installed agent, as argv. Claude Code's npm package is a wrapper whose postinstall
 * copies the native binary of the platform package over a placeholder; the install runs with
 * --ignore-scripts (no third-party install script runs on a CI machine), so the harness starts that
 * same native binary directly, which is what the postinstall would have put in place. Codex and
 * Gemini CLI are started through their own JavaScript entry points, with this node.
 */
function commandOf(agent, dir) {
  const modules = path.join(dir, 'node_modules');
  if (agent === 'claude')
    return [path.join(modules, `@anthropic-ai/claude-code-${claudePlatform()}`, 'claude')];
  if (agent === 'codex') return [process.execPath, path.join(modules, '@openai/codex/bin/codex.js')];
  return [process.execPath, path.join(modules, '@google/gemini-cli/bundle/gemini.js')];
}

/** npm's own error lines (`npm error ...`), the few that say why, on one line. */
function npmReason(stderr) {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^npm (error|ERR!)/.test(line) && !/A complete log of this run/.test(line));
  return (lines.length ? lines.slice(0, 3) : stderr.trim().split('\n').slice(-2)).join('; ').slice(0, 400);
}

/** Runs `--version` with a scratch HOME (an agent may write its configuration folder on any start). */
async function versionCheck(agent, dir, command) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wfs-agent-version-'));
  try {
    const [file, ...args] = command;
    const result = await run(file, [...args, '--version'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home, NO_COLOR: '1' },
      cwd: dir,
    });
    const { version } = AGENTS[agent];
    if (result.code === 0 && result.stdout.includes(version)) return undefined;
    const said = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-2).join('; ');
    return `it was installed, but \`${agent} --version\` did not print ${version} (exit ${result.code}${said ? `: ${said}` : ''})`;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function readMarker(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The agent, installed once into `<cache>/<package>@<version>/` and reused while that folder holds
 * the right version: `{agent, title, package, version, ok: true, command, cached, dir}`, or
 * `{..., ok: false, reason}` when it cannot be had (no network, the registry refusing, an unsupported
 * platform). Concurrent callers are safe: each installs into a folder of its own beside the target
 * and renames it into place; the first rename wins and the others drop theirs.
 */
export async function ensureAgent(agent) {
  const spec = AGENTS[agent];
  if (!spec) throw new Error(`unknown agent '${agent}' (known: ${Object.keys(AGENTS).join(', ')})`);
  const base = { agent, title: spec.title, package: spec.package, version: spec.version };
  const root = cacheRoot();
  const dir = path.join(root, `${spec.package}@${spec.version}`);
  const marker = readMarker(dir);
  if (marker?.package === spec.package && marker.version === spec.version) {
    const command = commandOf(agent, dir);
    if (fs.existsSync(command.at(-1))) return { ...base, ok: true, command, cached: true, dir };
  }

  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
  } catch (error) {
    return {
      ...base,
      ok: false,
      reason: `the cache folder ${path.dirname(dir)} cannot be made: ${error.message}`,
    };
  }
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  fs.mkdirSync(partial);
  try {
    // A package.json of its own, so npm installs here and never walks up into another project.
    fs.writeFileSync(path.join(partial, 'package.json'), '{ "private": true }\n');
    const npm = await run(
      'npm',
      [
        'install',
        `${spec.package}@${spec.version}`,
        '--prefix',
        partial,
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--include=optional',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        // Without a network each retry only adds its wait before the skip is reported.
        '--fetch-retries=1',
        '--fetch-retry-mintimeout=2000',
        '--fetch-retry-maxtimeout=10000',
      ],
      { cwd: partial },
    );
    if (npm.error) return { ...base, ok: false, reason: `npm could not be started: ${npm.error.message}` };
    if (npm.code !== 0)
      return {
        ...base,
        ok: false,
        reason: `npm install ${spec.package}@${spec.version} failed (exit ${npm.code}): ${npmReason(npm.stderr)}`,
      };
    const command = commandOf(agent, partial);
    if (!fs.existsSync(command.at(-1)))
      return {
        ...base,
        ok: false,
        reason: `npm installed ${spec.package}@${spec.version}, but ${path.relative(partial, command.at(-1))} is missing (no build for ${process.platform}-${process.arch}?)`,
      };
    const problem = await versionCheck(agent, partial, command);
    if (problem) return { ...base, ok: false, reason: problem };
    fs.writeFileSync(
      path.join(partial, MARKER),
      `${JSON.stringify({ package: spec.package, version: spec.version })}\n`,
    );
    // Another process may have put its copy in place meanwhile, and may be running it: keep that one.
    if (readMarker(dir)?.version === spec.version)
      return { ...base, ok: true, command: commandOf(agent, dir), cached: true, dir };
    // What is there is an older or broken copy (no marker): replace it.
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(partial, dir);
    } catch (error) {
      if (readMarker(dir)?.version !== spec.version) throw error;
    }
    return { ...base, ok: true, command: commandOf(agent, dir), cached: false, dir };
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

async function main(argv) {
  const json = argv.includes('--json');
  const names = argv.filter((arg) => arg !== '--json');
  const unknown = names.filter((name) => !(name in AGENTS));
  if (unknown.length) {
    console.error(`ERROR: unknown agent ${unknown.join(', ')} (known: ${Object.keys(AGENTS).join(', ')})`);
    return 2;
  }
  const agents = [];
  // One after another: each download is a few hundred MB, and the machine is shared.
  for (const name of names.length ? names : Object.keys(AGENTS)) agents.push(await ensureAgent(name));
  if (json) {
    process.stdout.write(`${JSON.stringify({ cache: cacheRoot(), agents })}\n`);
    return 0;
  }
  for (const a of agents) {
    const label = `${a.title} ${a.version} (${a.package})`;
    if (a.ok)
      console.log(`agents: ${label} ready${a.cached ? ', from the cache' : ', installed'} in ${a.dir}`);
    else console.log(`agents: ${label} is not available, its end-to-end tests will be skipped: ${a.reason}`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`ERROR: ${error.message}`);
      process.exit(1);
    },
  );
}
