import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ISOLATED, makeRepo } from '../helpers.js';

/**
 * What every torture scenario is built from: the built CLI spawned as a real process (with a handle,
 * so it can be killed, stopped, limited or timed), the checks every command must pass (no internal
 * error, errors that begin with `ERROR: `), file-system snapshots, a seeded random source, and the
 * tally each scenario returns.
 */

// ---------------------------------------------------------------- the scenario's tally

export interface Failure {
  check: string;
  detail: string;
}

export interface ScenarioResult {
  name: string;
  passed: number;
  failed: number;
  /** What the scenario measured: trials, kills by signal, what survived, peak memory, ... */
  figures: Record<string, number | string>;
  /** Every failure, in the order found; the report prints the first few in detail. */
  failures: Failure[];
  /** What could not be tested on this machine, and why (printed, never counted as passed). */
  notes: string[];
  seconds: number;
}

export class Tally {
  passed = 0;
  failed = 0;
  readonly figures: Record<string, number | string> = {};
  readonly failures: Failure[] = [];
  readonly notes: string[] = [];
  private readonly started = Date.now();

  constructor(readonly name: string) {}

  pass(): void {
    this.passed++;
  }

  fail(check: string, detail: string): void {
    this.failed++;
    this.failures.push({ check, detail });
  }

  /** One check: `problems` empty passes; otherwise one failure that lists them all. */
  verdict(check: string, problems: readonly string[]): boolean {
    if (problems.length === 0) {
      this.pass();
      return true;
    }
    this.fail(check, problems.join('\n'));
    return false;
  }

  count(figure: string, by = 1): void {
    this.figures[figure] = (Number(this.figures[figure]) || 0) + by;
  }

  max(figure: string, value: number): void {
    this.figures[figure] = Math.max(Number(this.figures[figure]) || 0, value);
  }

  set(figure: string, value: number | string): void {
    this.figures[figure] = value;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  result(): ScenarioResult {
    return {
      name: this.name,
      passed: this.passed,
      failed: this.failed,
      figures: this.figures,
      failures: this.failures,
      notes: this.notes,
      seconds: Math.round((Date.now() - this.started) / 100) / 10,
    };
  }
}

// ---------------------------------------------------------------- run settings

export interface TortureSettings {
  /** `TORTURE=short`: what CI runs (a few minutes); otherwise the full run. */
  short: boolean;
  /** Seeds every random choice (kill delays, signals, which rotating sample); printed to repeat a run. */
  seed: number;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): TortureSettings {
  const short = env.TORTURE === 'short';
  // The short run rotates its samples from day to day unless a seed is given.
  const seed = env.TORTURE_SEED ? Number(env.TORTURE_SEED) : Math.floor(Date.now() / 86_400_000);
  return { short, seed: Number.isFinite(seed) ? seed : 1 };
}

/** A small seeded generator (mulberry32): the same seed makes the same choices. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

// ---------------------------------------------------------------- progress

/** A progress line straight to the terminal (vitest would hold console output back and label it). */
export function progress(text: string): void {
  fs.writeSync(2, `  ${text}\n`);
}

// ---------------------------------------------------------------- spawning the CLI

/** The isolation from the developer's shell that every spawn of the tests uses (test/helpers.ts). */
export { ISOLATED };

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed by the harness because it did not finish within its watchdog time. */
  timedOut: boolean;
  /** Peak resident memory in kB, when run under /usr/bin/time. */
  maxRssKb?: number;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /**
   * A watchdog, not a measurement: a command still running after this long has hung, and the
   * suite must go on to report it (default 60 s; every healthy command takes milliseconds).
   */
  timeoutMs?: number;
  /** Runs the CLI through this prefix: faketime, a shell that sets ulimits, ... */
  prefix?: readonly string[];
  /** Measures peak memory with /usr/bin/time (Debian package `time`). */
  measureMemory?: boolean;
  uid?: number;
  gid?: number;
}

export interface Running {
  child: ChildProcess;
  pid: number;
  done: Promise<Outcome>;
}

const OUTPUT_CAP = 8 * 1024 * 1024;

/** Starts the built CLI (no shell, no terminal); `done` settles when it has exited. */
export function start(args: readonly string[], options: RunOptions): Running {
  const memoryFile = options.measureMemory
    ? path.join(os.tmpdir(), `wfs-torture-rss-${process.pid}-${crypto.randomUUID()}`)
    : undefined;
  const command = [
    ...(memoryFile ? ['/usr/bin/time', '-f', '%M', '-o', memoryFile] : []),
    ...(options.prefix ?? []),
    process.execPath,
    CLI,
    ...args,
  ];
  const began = Date.now();
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...ISOLATED, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    if (stdout.length < OUTPUT_CAP) stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < OUTPUT_CAP) stderr += chunk.toString();
  });
  // A command that refuses its input early closes stdin: that is its right, not our error.
  child.stdin!.on('error', () => {});
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const done = new Promise<Outcome>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      const outcome: Outcome = { code, signal, stdout, stderr, ms: Date.now() - began, timedOut };
      if (memoryFile) {
        try {
          const kb = Number(fs.readFileSync(memoryFile, 'utf8').trim().split('\n').at(-1));
          if (Number.isFinite(kb)) outcome.maxRssKb = kb;
        } catch {
          // /usr/bin/time was killed too: no figure
        }
        fs.rmSync(memoryFile, { force: true });
      }
      resolve(outcome);
    });
  });
  return { child, pid: child.pid ?? -1, done };
}

export function run(args: readonly string[], options: RunOptions): Promise<Outcome> {
  return start(args, options).done;
}

/** A prefix that runs the CLI under shell limits: `ulimit -f 0`, `ulimit -n 64`, ... */
export function ulimitPrefix(limits: string): string[] {
  return ['bash', '-c', `ulimit ${limits} && exec "$@"`, 'bash'];
}

/** `faketime -f '+20s'`: the process's clock runs 20 s ahead of everyone else's. */
export const FAKETIME_AHEAD = ['faketime', '-f', '+20s'] as const;

export function describeOutcome(o: Outcome): string {
  const status = o.timedOut
    ? `hung (killed after ${o.ms} ms)`
    : o.signal
      ? `killed by ${o.signal}`
      : `exit ${o.code}`;
  const err = o.stderr.trim().split('\n').slice(0, 4).join(' | ');
  const out = o.stdout.trim().split('\n').slice(0, 3).join(' | ');
  return `${status}${err ? `; stderr: ${clip(err, 400)}` : ''}${out ? `; stdout: ${clip(out, 200)}` : ''}`;
}

export function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}…`;
}

/**
 * Why this outcome is an internal failure of wfs rather than an answer, or undefined: it hung, a
 * signal ended it, it said `Internal error`, an uncaught exception printed a stack trace, or its
 * exit code is none of SPEC 3's (0-4).
 */
export function internalFailure(o: Outcome): string | undefined {
  if (o.timedOut) return `hung: still running after ${o.ms} ms`;
  if (o.signal) return `ended by ${o.signal}`;
  const internal = /^.*Internal error.*$/m.exec(o.stderr);
  if (internal) return `internal error: ${clip(internal[0], 300)}`;
  if (/^\s+at .+:\d+:\d+\)?$/m.test(o.stderr) || /^Node\.js v\d+/m.test(o.stderr))
    return `uncaught exception: ${clip(o.stderr.trim().split('\n').slice(0, 3).join(' | '), 300)}`;
  if (o.code === null || o.code < 0 || o.code > 4) return `exit code ${o.code} (not one of 0-4)`;
  return undefined;
}

/** The first `ERROR: ` line of stderr, if any. */
export function errorLine(o: Outcome): string | undefined {
  return /^ERROR: .*$/m.exec(o.stderr)?.[0];
}

/** `--json` errors: `{"error": {"code", "message"}}` on stdout. */
export function jsonErrorCode(o: Outcome): string | undefined {
  try {
    const doc = JSON.parse(o.stdout.trim().split('\n').at(-1) ?? '') as { error?: { code?: string } };
    return doc.error?.code;
  } catch {
    return undefined;
  }
}

export function parseJson<T>(o: Outcome): T | undefined {
  try {
    return JSON.parse(o.stdout) as T;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- the lock watcher

export const LOCK_NAMES = new Set(['project.lock', 'coord.lock']);

/**
 * Calls `onLock` the first time an entry named project.lock or coord.lock appears in one of `dirs`
 * (inotify through fs.watch), whatever its type: today the lock is a file, a redesign may make it a
 * directory holding a file named after its holder. The folders must exist beforehand.
 */
export function watchForLock(
  dirs: readonly string[],
  onLock: (dir: string, name: string) => void,
): () => void {
  let fired = false;
  const watchers = dirs.map((dir) =>
    fs.watch(dir, (_event, name) => {
      if (fired || name === null || !LOCK_NAMES.has(String(name))) return;
      fired = true;
      onLock(dir, String(name));
    }),
  );
  return () => {
    for (const watcher of watchers) watcher.close();
  };
}

/** Whether `entry` (a lock file or a lock folder) names process `pid`, in its content or its children's names. */
export function lockNamesPid(entry: string, pid: number): boolean {
  const text: string[] = [];
  const visit = (p: string, depth: number) => {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(p);
    } catch {
      return;
    }
    text.push(path.basename(p));
    if (stat.isDirectory() && depth < 3) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name), depth + 1);
    } else if (stat.isFile()) {
      try {
        text.push(fs.readFileSync(p, 'utf8').slice(0, 4096));
      } catch {
        // gone meanwhile
      }
    }
  };
  visit(entry, 0);
  return new RegExp(`(^|[^0-9])${pid}([^0-9]|$)`).test(text.join('\n'));
}

// ---------------------------------------------------------------- folders

/** The folders of this run not removed yet: removed on SIGINT/SIGTERM too (vitest's afterAll would not run). */
const liveDirs = new Set<string>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const dir of liveDirs) removeDir(dir);
    process.exit(130);
  });
}

/** A fresh temporary folder (via test/helpers.ts's makeRepo, so vitest removes it even if we do not). */
export function tempDir(): string {
  const dir = makeRepo({}, { git: false });
  liveDirs.add(dir);
  return dir;
}

/** A copy of a prepared repository, in a fresh temporary folder; links are copied as links. */
export function copyOf(template: string): string {
  const dir = tempDir();
  fs.cpSync(template, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return dir;
}

/** Removes a temporary folder, first lifting the immutable attribute a scenario may have set. */
export function removeDir(dir: string): void {
  liveDirs.delete(dir);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    spawnSyncQuiet('chattr', ['-R', '-i', dir]);
    spawnSyncQuiet('chmod', ['-R', 'u+rwX', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function spawnSyncQuiet(command: string, args: readonly string[], cwd?: string): number {
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const result = spawnSync(command, args, { cwd, stdio: 'ignore' });
  return result.status ?? -1;
}

export interface TreeEntry {
  type: 'file' | 'dir' | 'link' | 'other';
  /** sha1 of a file's bytes, a link's target */
  digest: string;
}

/** Every entry below `dir` (links not followed), with a digest of each file: to prove nothing changed. */
export function snapshot(dir: string): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const rel = path.relative(dir, p);
      const stat = fs.lstatSync(p);
      if (stat.isSymbolicLink()) out.set(rel, { type: 'link', digest: fs.readlinkSync(p) });
      else if (stat.isDirectory()) {
        out.set(rel, { type: 'dir', digest: '' });
        walk(p);
      } else if (stat.isFile())
        out.set(rel, {
          type: 'file',
          digest: crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex'),
        });
      else out.set(rel, { type: 'other', digest: '' });
    }
  };
  walk(dir);
  return out;
}

/** What differs between two snapshots: added, removed and changed entries. */
export function snapshotChanges(before: Map<string, TreeEntry>, after: Map<string, TreeEntry>): string[] {
  const changes: string[] = [];
  for (const [rel, entry] of after) {
    const old = before.get(rel);
    if (old === undefined) changes.push(`appeared: ${rel}`);
    else if (old.type !== entry.type || old.digest !== entry.digest) changes.push(`changed: ${rel}`);
  }
  for (const rel of before.keys()) if (!after.has(rel)) changes.push(`removed: ${rel}`);
  return changes;
}

/** Files that wfs left unreadable: every .json must parse, every .jsonl line too (a torn last line without newline excepted). */
export function unparsableFiles(dir: string, base = dir): string[] {
  const bad: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return bad;
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name);
    const rel = path.relative(base, file);
    if (entry.isDirectory()) {
      bad.push(...unparsableFiles(file, base));
      continue;
    }
    if (!entry.isFile()) continue;
    if (entry.name.endsWith('.json')) {
      const text = fs.readFileSync(file, 'utf8');
      try {
        JSON.parse(text);
      } catch {
        bad.push(`${rel} does not parse (${text.length} bytes: ${JSON.stringify(clip(text, 60))})`);
      }
    } else if (entry.name.endsWith('.jsonl')) {
      const text = fs.readFileSync(file, 'utf8');
      const lines = text.split('\n');
      // The piece after the last newline is a line still being written (or torn): not a record yet.
      lines.pop();
      lines.forEach((line, index) => {
        if (line.trim() === '') return;
        try {
          JSON.parse(line);
        } catch {
          bad.push(`${rel} line ${index + 1} does not parse: ${JSON.stringify(clip(line, 60))}`);
        }
      });
    }
  }
  return bad;
}

/** Runs `fn` over `items`, at most `limit` at once, results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether process `pid` exists (a zombie of ours counts until reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
