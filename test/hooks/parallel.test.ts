import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { makeRepo } from '../helpers.js';
import { startRedis, type TestRedis } from '../redis-server.js';
import { agentEnv, payload } from './fixtures.js';

/**
 * Two agent conversations at work at once, each in its own workspace: two worktrees of one
 * repository (the embedded backend, shared through the git common directory), and two clones on
 * one Redis. Each is bound to its own session, each sees the other, and an edit by the second of a
 * file the first has edited is reported before it happens.
 */

const A = '864496ed-8df3-4ccc-98d6-ad3dd4d13274';
const B = '39c9fb55-4d2e-4a59-9a5c-6a1e2b3c4d5e';

function git(cwd: string, ...args: string[]): void {
  const run = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
}

interface Workspace {
  root: string;
  env: NodeJS.ProcessEnv;
}

async function hook(ws: Workspace, name: string, conversation: string) {
  const input = payload('claude', name, ws.root, { session: conversation });
  return cli(ws.root, ['hook', 'claude'], {
    input,
    env: { ...ws.env, ...agentEnv('claude', ws.root, input) },
  });
}

async function contextOf(ws: Workspace, conversation: string) {
  const run = await cli(ws.root, ['context', '--json'], {
    env: { ...ws.env, CLAUDE_CODE_SESSION_ID: conversation },
  });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

async function twoConversations(first: Workspace, second: Workspace): Promise<void> {
  expect(
    (await cli(first.root, ['session', 'start', '--new', 'fix the bug in a'], { env: first.env })).code,
  ).toBe(0);
  expect(
    (await cli(second.root, ['session', 'start', '--new', 'refactor a'], { env: second.env })).code,
  ).toBe(0);
  const started = [
    await hook(first, 'SessionStart-startup', A),
    await hook(second, 'SessionStart-startup', B),
  ];
  expect(JSON.parse(started[0]!.stdout).hookSpecificOutput.additionalContext).toContain(
    'works on session WFS-fix-the-bug-in-a',
  );
  expect(JSON.parse(started[1]!.stdout).hookSpecificOutput.additionalContext).toContain(
    'works on session WFS-refactor-a',
  );

  // The first edits src/a.js (claimed by its session); each sees the other.
  expect((await hook(first, 'PreToolUse-Edit', A)).stdout).toBe('');
  expect((await hook(first, 'PostToolUse-Edit', A)).code).toBe(0);
  const seenByFirst = await contextOf(first, A);
  expect(seenByFirst.active_session.id).toBe('WFS-fix-the-bug-in-a');
  expect(seenByFirst.coordination.other_live_sessions.map((p: { session: string }) => p.session)).toEqual([
    'WFS-refactor-a',
  ]);
  const seenBySecond = await contextOf(second, B);
  expect(seenBySecond.active_session.id).toBe('WFS-refactor-a');
  expect(seenBySecond.coordination.other_live_sessions.map((p: { session: string }) => p.session)).toEqual([
    'WFS-fix-the-bug-in-a',
  ]);
  expect(seenBySecond.coordination.claims).toEqual([
    {
      session: 'WFS-fix-the-bug-in-a',
      workspace: { id: expect.stringMatching(/^ws-/), name: path.basename(first.root) },
      paths: ['src/a.js'],
      expires_at: expect.any(String),
    },
  ]);

  // The second goes for the same file in its own workspace: asked before the edit, naming the first.
  const asked = await hook(second, 'PreToolUse-Edit', B);
  expect(asked.code).toBe(0);
  const decision = JSON.parse(asked.stdout).hookSpecificOutput;
  expect(decision).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'ask' });
  expect(decision.permissionDecisionReason).toContain('src/a.js');
  // Named with the other workspace's folder: the same ID could be a session of this one too.
  expect(decision.permissionDecisionReason).toContain(`WFS-fix-the-bug-in-a in ${path.basename(first.root)}`);
  // And the first is not asked about its own file.
  expect((await hook(first, 'PreToolUse-Edit', A)).stdout).toBe('');
}

describe('two conversations in two worktrees of one repository', () => {
  it('are bound each to its own session, see each other, and the second is asked before editing what the first edited', async () => {
    const main = makeRepo({ 'src/a.js': 'export function a() {\n  return 1;\n}\n' });
    git(main, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '.');
    git(main, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
    const other = path.join(path.dirname(main), `${path.basename(main)}-other`);
    git(main, 'worktree', 'add', '-q', '-b', 'other', other);
    try {
      await twoConversations({ root: main, env: {} }, { root: other, env: {} });
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('two conversations in two clones on one Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('are bound each to its own session, see each other, and the second is asked before editing what the first edited', async () => {
    const env = { WFS_REDIS_URL: redis.url, WFS_PROJECT_ID: `parallel-${Date.now()}` };
    const files = { 'src/a.js': 'export function a() {\n  return 1;\n}\n' };
    await twoConversations({ root: makeRepo(files), env }, { root: makeRepo(files), env });
  });
});
