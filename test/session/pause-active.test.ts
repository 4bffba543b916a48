import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startNewSession } from '../../src/session/start.js';
import { inTransaction } from '../../src/session/transaction.js';
import { openProject } from '../../src/store/project.js';
import { makeRepo } from '../helpers.js';

describe('pausing the active sessions but one', () => {
  it('does not read the session to keep when the pointer names it, even one that does not read', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const { session_id: id } = await startNewSession(ctx, { description: 'kept' });
    // As a migration killed between the pointer's write and the session's leaves it: the pointer
    // names the session, whose file is still in a schema this wfs cannot read, with no backup.
    const dir = path.join(ctx.layout.root, '.workflow', 'active', id);
    fs.writeFileSync(path.join(dir, 'workflow-session.json'), '{"session_id": "other form"}\n');
    fs.rmSync(path.join(dir, '.process', 'backups'), { recursive: true, force: true });
    expect(await inTransaction(ctx, (tx) => tx.pauseActive(id))).toEqual([]);
    // Any other session to keep still reads the pointer's session, and says it is damaged.
    await expect(inTransaction(ctx, (tx) => tx.pauseActive('WFS-another'))).rejects.toThrow(/is corrupt/);
  });

  it("pauses the pointer's session when another is to be kept", async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const { session_id: first } = await startNewSession(ctx, { description: 'first' });
    expect(await inTransaction(ctx, (tx) => tx.pauseActive('WFS-second'))).toEqual([first]);
  });
});
