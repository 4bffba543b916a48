import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, json, makeRepo, wfs } from '../helpers.js';

/**
 * Drives `wfs` on a real pseudo-terminal through util-linux `script` (Debian's essential bsdutils),
 * answering each prompt when it appears on the screen, not after a guessed delay.
 */
const plain = (screen: string) => screen.replace(/\u001b\[[0-9;?]*[a-zA-Z]/g, '').replace(/\r/g, '');

function onTerminal(
  cwd: string,
  args: string,
  answers: { when: string; send: string }[],
  raw: string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'script',
      ['-qefc', `stty cols 120 rows 40; ${process.execPath} ${CLI} ${args}`, '/dev/null'],
      {
        cwd,
        env: { ...process.env, WFS_ROOT: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let screen = '';
    const pending = [...answers];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`terminal session timed out; screen so far:\n${screen}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      raw.push(chunk.toString());
      screen += chunk.toString();
      const visible = plain(screen);
      while (pending.length > 0 && visible.includes(pending[0]!.when))
        child.stdin.write(pending.shift()!.send);
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(plain(screen));
    });
  });
}

describe('session start on a terminal', () => {
  it('asks which session to use, and creates a new one when asked to', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'existing work']);
    const screen = await onTerminal(root, 'session start', [
      { when: 'Which session do you want to work in?', send: '\u001b[B' },
      { when: '● Create a new session', send: '\r' },
      { when: 'What is the task?', send: 'typed at the prompt\r' },
    ]);
    expect(screen).toContain('WFS-existing-work');
    expect(screen).toContain('SESSION_ID: WFS-typed-at-the-prompt');
    const list = json<{ sessions: { id: string; status: string }[] }>(
      await wfs(root, ['session', 'list', '--json']),
    );
    expect(list.sessions.map((s) => `${s.id}:${s.status}`).sort()).toEqual([
      'WFS-existing-work:paused',
      'WFS-typed-at-the-prompt:active',
    ]);
  });

  it('switches to the session chosen', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'older']);
    await wfs(root, ['session', 'start', '--new', 'newer']);
    await wfs(root, ['session', 'pause']);
    // Sorted by most recently updated: newer (paused last), then older.
    const screen = await onTerminal(root, 'session start', [
      { when: 'Which session do you want to work in?', send: '\u001b[B' },
      { when: '● WFS-older', send: '\r' },
    ]);
    expect(screen).toContain('SESSION_ID: WFS-older');
    expect(
      json<{ session: { session_id: string } }>(await wfs(root, ['session', 'show', '--json'])).session
        .session_id,
    ).toBe('WFS-older');
  });

  it('wfs run shows the running step with its elapsed time on a terminal, plain lines elsewhere', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'watching']);
    fs.mkdirSync(path.join(root, '.workflow', 'workflows'), { recursive: true });
    fs.writeFileSync(
      path.join(root, '.workflow', 'workflows', 'wait.json'),
      JSON.stringify({
        name: 'wait',
        steps: [{ name: 'pause', run: ['node', '-e', 'setTimeout(() => {}, 1500)'] }],
      }),
    );
    const raw: string[] = [];
    const screen = await onTerminal(root, 'run wait', [], raw);
    // The line is redrawn in place (carriage return, erase line) as the time goes by.
    expect(raw.join('')).toMatch(/\r\u001b\[KSTEP: pause \.\.\. \d+\.\d s/);
    expect(screen).toMatch(/STEP: pause completed \(\d+\.\d s\)/);
    expect(screen).toContain('RESULT: completed');
    const piped = await wfs(root, ['run', 'wait']);
    expect(piped.stderr).toMatch(/^STEP: pause \.\.\.\nSTEP: pause completed \(\d+\.\d s\)\n$/);
  });
});
