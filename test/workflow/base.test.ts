import { describe, expect, it } from 'vitest';
import { startNewSession } from '../../src/session/start.js';
import { sessionDir } from '../../src/store/layout.js';
import { openProject } from '../../src/store/project.js';
import { BaseWorkflow, type WorkflowContext } from '../../src/workflow/base.js';
import { loadRun } from '../../src/workflow/runs.js';
import { makeRepo } from '../helpers.js';

/** A workflow written against the library, as a user would: two steps, a shared result. */
class Measure extends BaseWorkflow<{ failSecond: boolean }, { total: number }> {
  readonly name = 'measure';
  calls: string[] = [];

  protected async run(ctx: WorkflowContext, input: { failSecond: boolean }) {
    const first = await ctx.step('count', () => {
      this.calls.push('count');
      return { files: 41 };
    });
    const second = await ctx.step('add', () => {
      this.calls.push('add');
      if (input.failSecond) throw new Error('not yet');
      return first.files + 1;
    });
    await ctx.shareResult(`measure:${ctx.session.id}`, String(second));
    return { total: second };
  }
}

function project(env: NodeJS.ProcessEnv = {}) {
  return openProject({ cwd: makeRepo(), env: { WFS_ROOT: '', ...env } });
}

describe('BaseWorkflow (library)', () => {
  it('records steps durably; a resumed run replays recorded outputs and runs only what is left', async () => {
    const ctx = project();
    const { session_id } = await startNewSession(ctx, { description: 'measuring' });
    const failing = new Measure({ enableCrossSession: true });
    const failed = await failing.execute({ failSecond: true }, { project: ctx });
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'not yet',
      coordination: 'locked',
      steps: [
        { name: 'count', status: 'completed' },
        { name: 'add', status: 'failed' },
      ],
    });
    const again = new Measure({ enableCrossSession: true });
    const done = await again.execute({ failSecond: false }, { project: ctx, resume: failed.run_id! });
    expect(done).toMatchObject({ status: 'completed', output: { total: 42 }, resumed_steps: ['count'] });
    // `count` ran once in all; its recorded output fed `add` on the resumed run.
    expect([...failing.calls, ...again.calls]).toEqual(['count', 'add', 'add']);
    // Another workflow reads what this one shared.
    let shared: string | undefined;
    class Reader extends BaseWorkflow<void, string | undefined> {
      readonly name = 'reader';
      protected async run(c: WorkflowContext) {
        shared = (await c.getSharedResult(`measure:${session_id}`))?.text;
        return shared;
      }
    }
    expect((await new Reader({ enableCrossSession: true }).execute(undefined, { project: ctx })).output).toBe(
      '42',
    );
  });

  it('without cross-session: no lease, no announcements, and sharing says it did not share', async () => {
    const ctx = project();
    await startNewSession(ctx, { description: 'alone' });
    const result = await new Measure().execute({ failSecond: false }, { project: ctx });
    expect(result).toMatchObject({ status: 'completed', coordination: 'off' });
    expect(result.warnings).toEqual([expect.stringMatching(/^Result measure:WFS-alone not shared: /)]);
  });

  it('two steps of one name are refused; no session is an error', async () => {
    class Twice extends BaseWorkflow<void, void> {
      readonly name = 'twice';
      protected async run(c: WorkflowContext) {
        await c.step('same', () => 1);
        await c.step('same', () => 2);
      }
    }
    const ctx = project();
    await expect(new Twice().execute(undefined, { project: ctx })).rejects.toMatchObject({
      code: 'E_NO_ACTIVE_SESSION',
    });
    await startNewSession(ctx, { description: 'twice' });
    expect(await new Twice().execute(undefined, { project: ctx })).toMatchObject({
      status: 'failed',
      reason: 'Step "same" appears twice in twice',
    });
  });

  it('figures reported by a run are in its result and its record, failed or not, and only as named scalars', async () => {
    class Count extends BaseWorkflow<{ fail: boolean }, number> {
      readonly name = 'count';
      protected async run(c: WorkflowContext, input: { fail: boolean }) {
        const files = await c.step('scan', () => 3);
        c.reportFigures({ files, rules: 'plain' });
        c.reportFigures({ broken: input.fail ? 1 : 0, next: null });
        if (input.fail) throw new Error('1 broken');
        return files;
      }
    }
    const ctx = project();
    const { session_id } = await startNewSession(ctx, { description: 'counting' });
    const failed = await new Count().execute({ fail: true }, { project: ctx });
    expect(failed).toMatchObject({
      status: 'failed',
      reason: '1 broken',
      figures: { files: 3, rules: 'plain', broken: 1, next: null },
    });
    const record = loadRun(sessionDir(ctx.layout, session_id, 'active'), 'count', failed.run_id!);
    expect(record.figures).toEqual({ files: 3, rules: 'plain', broken: 1, next: null });
    // A resumed run reports them again (its steps replayed): the record holds this attempt's.
    const done = await new Count().execute({ fail: false }, { project: ctx, resume: failed.run_id! });
    expect(done).toMatchObject({ status: 'completed', output: 3, figures: { files: 3, broken: 0 } });
    expect(loadRun(sessionDir(ctx.layout, session_id, 'active'), 'count', failed.run_id!).figures).toEqual({
      files: 3,
      rules: 'plain',
      broken: 0,
      next: null,
    });

    class Bad extends BaseWorkflow<{ figures: Record<string, never> }, void> {
      readonly name = 'bad';
      protected async run(c: WorkflowContext, input: { figures: Record<string, never> }) {
        c.reportFigures(input.figures);
      }
    }
    expect(
      await new Bad().execute({ figures: { 'Broken Links': 1 as never } }, { project: ctx }),
    ).toMatchObject({
      status: 'failed',
      reason: 'Figure name "Broken Links": lower-case letters, digits and _',
    });
    expect(await new Bad().execute({ figures: { list: [1] as never } }, { project: ctx })).toMatchObject({
      status: 'failed',
      reason: 'Figure list is not a string, number, boolean or null',
    });
    expect((await new Count().execute({ fail: false }, { project: ctx })).figures).toBeDefined();
    expect((await new Bad().execute({ figures: {} }, { project: ctx })).figures).toBeUndefined();
  });
});
