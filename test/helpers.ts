import { type ChildProcessWithoutNullStreams, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export const CLI = path.resolve(import.meta.dirname, '..', 'dist', 'wfs.cjs');
/** The CLI's bundle, which the bin (CLI, a launcher) loads. */
export const CLI_BUNDLE = path.resolve(import.meta.dirname, '..', 'dist', 'cli.cjs');

const created: string[] = [];
afterAll(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh folder in the temp directory (its real path), removed when the test file ends: every
 * test's folders go through here, so a run leaves nothing behind.
 */
export function tempDir(prefix = 'wfs-test-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  created.push(dir);
  return dir;
}

/** A fresh folder with the given files (path -> content); `git: true` makes it a repository. */
export function makeRepo(
  files: Record<string, string> = {},
  options: { git?: boolean } = { git: true },
): string {
  const dir = tempDir();
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  if (options.git !== false) {
    const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
  }
  return dir;
}

/** Settings of the developer's own shell that must not leak into a test (empty reads as unset). */
export const ISOLATED = {
  WFS_ROOT: '',
  NO_COLOR: '1',
  WFS_COORD: '',
  WFS_REDIS_URL: '',
  WFS_REDIS_CLUSTER: '',
  WFS_ON_UNREACHABLE: '',
  WFS_PROJECT_ID: '',
  WFS_SESSION_ID: '',
  // The agents name their conversation in these (SPEC 2): a test run from inside one must not bind.
  WFS_CONVERSATION: '',
  CLAUDE_CODE_SESSION_ID: '',
  GEMINI_SESSION_ID: '',
};

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in `cwd` (no shell, no terminal). */
export function wfs(
  cwd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd,
        env: { ...process.env, ...ISOLATED, ...options.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // A command may refuse its input before reading all of it (a bound): not an error of the test.
    child.stdin?.on('error', () => {});
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/**
 * The built CLI as a process of its own, for what needs one (following, signals, kills), with the
 * same isolation from the developer's shell as `wfs`.
 */
export function spawnWfs(
  cwd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; detached?: boolean } = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...ISOLATED, ...options.env },
    ...(options.detached ? { detached: true } : {}),
  });
}

/**
 * Everything a process prints on stdout, kept from the start, and a wait for what it has printed:
 * `until(pattern)` resolves (with all of it so far) once the pattern is in it.
 */
export function stdoutOf(child: ChildProcessWithoutNullStreams): {
  text(): string;
  until(pattern: string | RegExp): Promise<string>;
} {
  let out = '';
  const waiting: { pattern: string | RegExp; resolve: (text: string) => void }[] = [];
  const matches = (pattern: string | RegExp) =>
    typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out);
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const wait of [...waiting])
      if (matches(wait.pattern)) {
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve(out);
      }
  });
  return {
    text: () => out,
    until: (pattern) =>
      new Promise((resolve, reject) => {
        if (matches(pattern)) return resolve(out);
        waiting.push({ pattern, resolve });
        child.once('exit', () => reject(new Error(`exited before printing ${pattern}: ${out}`)));
      }),
  };
}

export function wfsSync(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...ISOLATED, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

export function json<T = Record<string, unknown>>(run: Run): T {
  return JSON.parse(run.stdout) as T;
}

/** `SESSION_ID: X` → X */
export function sessionIdOf(run: Run): string {
  const match = /^SESSION_ID: (\S+)$/m.exec(run.stdout);
  if (!match) throw new Error(`no SESSION_ID in: ${run.stdout}\n${run.stderr}`);
  return match[1]!;
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/**
 * The registry's lines, parsed as any JSONL reader would (SPEC 2: one JSON object per session, one
 * per line). Throws when a line does not parse or a session has more than one.
 */
export function registryLines(root: string): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(root, '.workflow', 'session_status.jsonl'), 'utf8');
  const lines = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const ids = lines.map((line) => line.id);
  if (new Set(ids).size !== ids.length)
    throw new Error(`a session has more than one line: ${ids.join(', ')}`);
  return lines;
}

/** Every file below `dir`, relative, sorted (to prove nothing was written). */
export function treeOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.name === '.git') continue;
      out.push(path.relative(dir, p));
      if (entry.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}
