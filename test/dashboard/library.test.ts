import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  changeSessionPhase,
  openProject,
  type ProjectChange,
  readProjectFiles,
  readSessionCheckpoints,
  watchProject,
} from '../../src/index.js';
import { makeRepo, wfs } from '../helpers.js';

/** What the dashboard needed of the library, added to it (src/index.ts) for every front door. */

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the library for viewers', () => {
  it('watchProject: a change by another process to a session, to the set of sessions, to a project file', async () => {
    const root = makeRepo();
    const project = openProject({ cwd: root, env: {} });
    const changes: ProjectChange[] = [];
    const watch = watchProject(project, (change) => changes.push(change));
    const seen = (test: (c: ProjectChange) => boolean) =>
      until(() => {
        const found = changes.some(test);
        if (found) changes.length = 0;
        return found;
      });
    try {
      // Before .workflow/ exists the root is watched for it.
      await wfs(root, ['session', 'start', '--new', 'watched']);
      await seen((c) => c.membership);
      await wfs(root, ['todo', 'add', 'a step']);
      await seen((c) => c.sessions.has('WFS-watched'));
      await wfs(root, ['session', 'start', '--new', 'second']);
      await seen((c) => c.membership);
      // A session that arrived after the watch began is watched too.
      await wfs(root, ['todo', 'add', 'another', '--session', 'WFS-second']);
      await seen((c) => c.sessions.has('WFS-second'));
      fs.writeFileSync(path.join(root, '.workflow', 'project-guidelines.json'), '{}');
      await seen((c) => c.project);
      await wfs(root, ['session', 'complete', 'WFS-watched']);
      await seen((c) => c.membership);
      expect(watch.unwatched.size).toBe(0);
    } finally {
      watch.close();
    }
  });

  it("readSessionCheckpoints: a session's checkpoints oldest first, a damaged file said to be damaged", async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'timeline']);
    await wfs(root, ['checkpoint', '--data', '{"documents": ["PLAN.md"]}']);
    await wfs(root, ['todo', 'add', 'x']);
    await wfs(root, ['todo', 'done', '1']);
    await wfs(root, ['phase', 'IMPLEMENT']);
    const project = openProject({ cwd: root, env: {} });
    const { session_id, checkpoints } = await readSessionCheckpoints(project, 'WFS-timeline');
    expect(session_id).toBe('WFS-timeline');
    expect(checkpoints.map((c) => `${c.trigger} ${c.phase}`)).toEqual([
      'manual PLAN',
      'todo_milestone PLAN',
      'phase_transition IMPLEMENT',
    ]);
    expect(checkpoints[0]).toMatchObject({
      data: { documents: ['PLAN.md'] },
      todos: { total: 0 },
      revision: 2,
    });
    expect(checkpoints[1]!.todos).toEqual({ total: 1, completed: 1, in_progress: 0 });
    const dir = path.join(root, '.workflow/active/WFS-timeline/.process/checkpoints');
    fs.writeFileSync(path.join(dir, fs.readdirSync(dir).sort()[0]!), 'garbage');
    const again = await readSessionCheckpoints(project, 'WFS-timeline');
    expect(again.checkpoints[0]).toMatchObject({ phase: 'PLAN', damaged: true, trigger: null });
    await expect(readSessionCheckpoints(project, '../x')).rejects.toMatchObject({ code: 'E_INVALID_ID' });
  });

  it('readProjectFiles: missing, damaged with the reason, or the value', async () => {
    const root = makeRepo({ 'package.json': '{"name": "shop"}' });
    const project = openProject({ cwd: root, env: {} });
    expect(readProjectFiles(project).tech.status).toBe('missing');
    await wfs(root, ['init']);
    const read = readProjectFiles(project);
    expect(read.tech).toMatchObject({ status: 'ok', value: { project_name: 'shop' } });
    expect(read.guidelines.status).toBe('ok');
    fs.writeFileSync(path.join(root, '.workflow', 'project-tech.json'), '{"project_name": 1}');
    expect(readProjectFiles(project).tech).toMatchObject({
      status: 'damaged',
      reason: expect.stringMatching(/^schema: /),
    });
    fs.writeFileSync(path.join(root, '.workflow', 'project-guidelines.json'), '{');
    expect(readProjectFiles(project).guidelines).toMatchObject({
      status: 'damaged',
      reason: expect.stringMatching(/^not valid JSON/),
    });
  });

  it('changeSessionPhase checks the phase it is given, as the CLI does (any case)', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'phased']);
    const project = openProject({ cwd: root, env: {} });
    await expect(changeSessionPhase(project, { to: 'LATER' as 'PLAN' })).rejects.toMatchObject({
      code: 'E_INVALID_INPUT',
      message: 'Invalid phase. Valid phases: PLAN, IMPLEMENT, REVIEW',
    });
    expect((await changeSessionPhase(project, { to: 'review' as 'REVIEW' })).phase).toBe('REVIEW');
  });
});
