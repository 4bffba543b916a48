import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { makeRepo } from '../helpers.js';

/** `wfs claim` (SPEC 3): paths relative to the project, overlaps with other live sessions, --strict. */
describe('wfs claim', () => {
  it('claims, reports the overlaps of another live session, refuses with --strict (exit 4), releases some or all', async () => {
    const root = makeRepo();
    // The first session is an agent conversation's, so it stays live when the second start pauses it.
    const env = { CLAUDE_CODE_SESSION_ID: 'conversation-1' };
    expect((await cli(root, ['session', 'start', '--new', 'first'], { env })).code).toBe(0);
    const first = await cli(root, ['claim', 'src/auth/**', `${root}/docs/auth.md`, '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      session_id: 'WFS-first',
      claimed: true,
      paths: ['src/auth/**', 'docs/auth.md'],
      conflicts: [],
    });
    expect((await cli(root, ['session', 'start', '--new', 'second'])).code).toBe(0);
    // WFS-first is paused (one active session), but its conversation works on: its claims count.
    const strict = await cli(root, ['claim', 'src/auth/login.ts', '--strict']);
    expect(strict.code).toBe(4);
    expect(strict.stdout).toMatch(
      /^CONFLICT: src\/auth\/login\.ts overlaps src\/auth\/\*\*, claimed by WFS-first until /m,
    );
    expect(strict.stdout).toMatch(/^NOT CLAIMED: /m);
    const loose = await cli(root, ['claim', 'src/auth/login.ts', '--json']);
    expect(loose.code).toBe(0);
    expect(JSON.parse(loose.stdout).conflicts).toEqual([
      {
        session: 'WFS-first',
        workspace: { id: expect.stringMatching(/^ws-/), name: path.basename(root) },
        label: 'WFS-first',
        theirs: 'src/auth/**',
        ours: 'src/auth/login.ts',
        until: expect.any(String),
      },
    ]);
    const events = JSON.parse((await cli(root, ['events', '--json'])).stdout).events;
    expect(events.map((e: { type: string }) => e.type)).toContain('conflict.detected');
    const released = await cli(root, [
      'claim',
      'release',
      'docs/auth.md',
      '--session',
      'WFS-first',
      '--json',
    ]);
    expect(JSON.parse(released.stdout)).toMatchObject({ released: ['docs/auth.md'], paths: ['src/auth/**'] });
    expect((await cli(root, ['claim', 'release', '--session', 'WFS-first'])).code).toBe(0);
    const list = JSON.parse((await cli(root, ['claim', 'list', '--json'])).stdout).claims;
    expect(list.map((c: { session: string }) => c.session)).toEqual(['WFS-second']);
    const outside = await cli(root, ['claim', '/etc/passwd']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^ERROR: \/etc\/passwd is not a path inside the project/);
  });
});
