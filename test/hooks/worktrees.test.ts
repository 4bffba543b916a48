import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { makeRepo } from '../helpers.js';
import { agentEnv, payload } from './fixtures.js';

/**
 * An agent that moves into a git worktree of its project that has no `.workflow/` of its own (Claude
 * Code's `.claude/worktrees/<name>`, or a sibling `../wt-<name>`): its payload's `cwd` follows it
 * there, while its project variable (`CLAUDE_PROJECT_DIR`, `GEMINI_PROJECT_DIR`) stays at the
 * project. The hooks keep serving the project's session, and a file edited in the worktree is
 * claimed by its path in that worktree, which is the path the same file has in every worktree.
 */

const A = '864496ed-8df3-4ccc-98d6-ad3dd4d13274';
const B = '39c9fb55-4d2e-4a59-9a5c-6a1e2b3c4d5e';

function git(cwd: string, ...args: string[]): void {
  const run = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
}

async function project(): Promise<string> {
  const main = makeRepo({ 'src/a.js': 'export function a() {\n  return 1;\n}\n' });
  git(main, 'add', '.');
  git(main, 'commit', '-q', '-m', 'init');
  expect((await cli(main, ['session', 'start', '--new', 'fix the bug in a'])).code).toBe(0);
  return main;
}

/** A hook call of a conversation working in `cwd`, its project being `main`. */
function hook(
  agent: 'claude' | 'gemini',
  main: string,
  cwd: string,
  name: string,
  conversation = A,
): ReturnType<typeof cli> {
  const input = payload(agent, name, cwd, { session: conversation });
  return cli(cwd, ['hook', agent], { input, env: agentEnv(agent, main, input) });
}

const EVENTS = {
  claude: { start: 'SessionStart-startup', pre: 'PreToolUse-Edit', post: 'PostToolUse-Edit' },
  gemini: { start: 'SessionStart-startup', pre: 'BeforeTool-replace', post: 'AfterTool-replace' },
} as const;

async function claims(main: string): Promise<Array<{ session: string; paths: string[] }>> {
  const run = await cli(main, ['claim', 'list', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout).claims;
}

describe('a conversation that works in a worktree without .workflow/', () => {
  for (const agent of ['claude', 'gemini'] as const)
    for (const where of ['nested', 'sibling'] as const)
      it(`${agent}, in a ${where} worktree: bound to the project's session, its edit claimed as the worktree's path`, async () => {
        const main = await project();
        const worktree =
          where === 'nested'
            ? path.join(main, '.claude', 'worktrees', 'x')
            : path.join(path.dirname(main), `${path.basename(main)}-wt-x`);
        git(main, 'worktree', 'add', '-q', '-b', 'x', worktree);
        try {
          const events = EVENTS[agent];
          const started = await hook(agent, main, worktree, events.start);
          expect(started.code).toBe(0);
          expect(JSON.parse(started.stdout).hookSpecificOutput.additionalContext).toContain(
            'works on session WFS-fix-the-bug-in-a',
          );
          expect((await hook(agent, main, worktree, events.pre)).stdout).toBe('');
          expect((await hook(agent, main, worktree, events.post)).code).toBe(0);
          expect(await claims(main)).toEqual([
            expect.objectContaining({ session: 'WFS-fix-the-bug-in-a', paths: ['src/a.js'] }),
          ]);
          expect(fs.existsSync(path.join(worktree, '.workflow'))).toBe(false);

          // A second conversation, in the project itself, goes for the same file: it is asked.
          const second = await cli(main, ['session', 'start', '--new', 'refactor a', '--json'], {
            env: agentEnv(agent, main, payload(agent, events.start, main, { session: B })),
          });
          expect(second.code, second.stderr).toBe(0);
          await hook(agent, main, main, events.start, B);
          const asked = JSON.parse((await hook(agent, main, main, events.pre, B)).stdout);
          const reason =
            agent === 'gemini' ? asked.reason : asked.hookSpecificOutput.permissionDecisionReason;
          expect(reason).toContain('src/a.js');
          expect(reason).toContain('WFS-fix-the-bug-in-a');
        } finally {
          fs.rmSync(worktree, { recursive: true, force: true });
        }
      });

  it('does nothing when neither the cwd nor the project variable has a .workflow/', async () => {
    const main = makeRepo({ 'src/a.js': '' });
    const other = makeRepo({ 'src/a.js': '' });
    for (const name of Object.values(EVENTS.claude))
      expect(await hook('claude', main, other, name)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(fs.existsSync(path.join(main, '.workflow'))).toBe(false);
    expect(fs.existsSync(path.join(other, '.workflow'))).toBe(false);
  });
});
