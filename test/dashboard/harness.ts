import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { spawnWfs, stdoutOf } from '../helpers.js';

/** Debian's chromium: the tests never download a browser (the machine's network is closed). */
export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `chromium is not installed (${CHROMIUM}): the dashboard's browser tests drive it (apt-get install chromium)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface RunningDashboard {
  /** With the token. */
  url: string;
  origin: string;
  token: string;
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** What the page's requests need when made outside a browser. */
  auth: { authorization: string };
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** `wfs dashboard --no-open --json` as a process of its own (the built CLI, as a user runs it). */
export async function startDashboardProcess(
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<RunningDashboard> {
  const child = spawnWfs(cwd, ['dashboard', '--no-open', '--json', ...args], { env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = await stdoutOf(child)
    .until('\n')
    .catch((error: Error) => {
      throw new Error(`${error.message}\n${stderr}`);
    });
  const { url } = JSON.parse(printed) as { url: string };
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token')!;
  return {
    url,
    origin: parsed.origin,
    token,
    child,
    stderr: () => stderr,
    auth: { authorization: `Bearer ${token}` },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/**
 * An event stream read outside a browser: `next(match)` resolves with the first message (from
 * the start of the stream, or after the last one taken) that matches.
 */
export async function openStream(
  url: string,
  headers: Record<string, string>,
): Promise<{
  next(match?: (m: SseMessage) => boolean): Promise<SseMessage>;
  close(): void;
  taken: SseMessage[];
}> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (response.status !== 200) throw new Error(`event stream answered ${response.status}`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const queue: SseMessage[] = [];
  const taken: SseMessage[] = [];
  let buffer = '';
  const readMore = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended');
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: SseMessage = { event: 'message', data: '' };
      const data: string[] = [];
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') message.event = value;
        else if (field === 'id') message.id = value;
        else if (field === 'data') data.push(value);
        else continue;
        any = true;
      }
      message.data = data.join('\n');
      if (any && (data.length > 0 || message.id !== undefined)) queue.push(message);
      end = buffer.indexOf('\n\n');
    }
  };
  return {
    taken,
    async next(match = () => true) {
      for (;;) {
        const index = queue.findIndex(match);
        if (index >= 0) {
          const [found] = queue.splice(0, index + 1).slice(-1);
          taken.push(found!);
          return found!;
        }
        await readMore();
      }
    },
    close: () => controller.abort(),
  };
}

/** Resolves once `condition` holds, checking on every turn of the event loop; rejects after `ms`. */
export async function within<T>(ms: number, what: string, condition: () => T | Promise<T>): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves once `condition` holds (bounded only by the test's own timeout). */
export async function until<T>(condition: () => T | Promise<T>): Promise<T> {
  for (;;) {
    const value = await condition();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
