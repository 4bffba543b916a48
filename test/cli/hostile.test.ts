import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo, sessionIdOf, treeOf, wfsSync } from '../helpers.js';

describe('hostile input', () => {
  it.each([['../../etc'], ['WFS-../../x'], ['WFS-a/b'], ['/etc/passwd'], ['WFS-a\\..\\b'], ['WFS-..']])(
    'refuses the traversal ID %j in every command that takes one, writing nothing',
    async (id) => {
      const root = makeRepo();
      await wfs(root, ['session', 'start', '--new', 'victim']);
      const before = treeOf(root);
      for (const args of [
        ['session', 'show', id],
        ['session', 'switch', id],
        ['session', 'pause', id],
        ['session', 'resume', id],
        ['session', 'complete', id],
        ['session', 'archive', id],
      ]) {
        const run = await wfs(root, args);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/^ERROR: Invalid session ID/);
      }
      expect(treeOf(root)).toEqual(before);
      // The victim session is untouched too (a traversal could have reached it).
      expect(
        json<{ session: { status: string; revision: number } }>(
          await wfs(root, ['session', 'show', '--json']),
        ).session,
      ).toMatchObject({ status: 'active', revision: 1 });
    },
  );

  it('refuses an ID with a NUL byte (spawned without a shell)', () => {
    const root = makeRepo();
    // Node refuses NUL in argv itself, so the check is made through the library entry.
    expect(() => wfsSync(root, ['session', 'show', 'WFS-a\0b'])).toThrow();
  });

  it('an oversized description is refused clearly, and nothing is written', async () => {
    // Linux caps one argv string at 128 KiB (a 1 MB argument cannot even be passed: E2BIG);
    // the 1 MB case is covered through the library in test/core/session.test.ts.
    const root = makeRepo();
    const big = 'x'.repeat(120 * 1024);
    const run = await wfs(root, ['session', 'start', '--new', big, '--json']);
    expect(run.code).toBe(2);
    expect(json(run)).toEqual({
      error: { code: 'E_INVALID_INPUT', message: 'Description too long: 122880 characters (at most 10000)' },
    });
    expect(fs.existsSync(path.join(root, '.workflow'))).toBe(false);
  });

  it('control characters are refused; escape sequences never reach the terminal', async () => {
    const root = makeRepo();
    const run = await wfs(root, ['session', 'start', '--new', 'evil \u001b[31mred\u001b[0m \u0007']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ERROR: Description contains a control character \(U\+001b\)/);
    expect(run.stderr).not.toContain('\u001b');
  });

  it('unicode descriptions give a safe ID and keep the text intact', async () => {
    const root = makeRepo();
    const description = 'Réparer la connexion 🔐 für Ümlaute — 日本語';
    const run = await wfs(root, ['session', 'start', '--new', description, '--json']);
    expect(run.code).toBe(0);
    const id = json<{ session_id: string }>(run).session_id;
    expect(id).toBe('WFS-r-parer-la-connexion-f-r-mlaute');
    const shown = json<{ session: { description: string } }>(
      await wfs(root, ['session', 'show', id, '--json']),
    );
    expect(shown.session.description).toBe(description);
    const cjk = await wfs(root, ['session', 'start', '--new', '日本語のタスク']);
    expect(sessionIdOf(cjk)).toBe('WFS-session');
    const again = await wfs(root, ['session', 'start', '--new', '中文任务']);
    expect(sessionIdOf(again)).toBe('WFS-session-2');
  });

  it('a multi-line description keeps its lines; the title is the first', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'Fix checkout\n\nDetails: the total is wrong']);
    const list = json<{ sessions: { project: string }[] }>(await wfs(root, ['session', 'list', '--json']));
    expect(list.sessions[0]!.project).toBe('Fix checkout');
    const notes = fs.readFileSync(
      path.join(
        root,
        '.workflow',
        'active',
        'WFS-fix-checkout-details-the-total-is-wrong',
        'planning-notes.md',
      ),
      'utf8',
    );
    expect(notes).toContain('**GOAL**: Fix checkout  Details: the total is wrong');
  });

  it('a session file from a newer wfs is refused and left untouched', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'future']);
    const file = path.join(root, '.workflow', 'active', 'WFS-future', 'workflow-session.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    const text = JSON.stringify({ ...state, session_version: '3.0' });
    fs.writeFileSync(file, text);
    for (const args of [
      ['session', 'show', 'WFS-future'],
      ['session', 'pause', 'WFS-future'],
      ['session', 'complete', 'WFS-future'],
    ]) {
      const run = await wfs(root, args);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^ERROR: Session WFS-future was written by a newer wfs \(session_version 3\.0\)/,
      );
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });
});
