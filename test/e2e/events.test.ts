import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WfsEvent } from '../../src/coord/types.js';
import { json, makeRepo, spawnWfs, stdoutOf, wfs } from '../helpers.js';

type Event = WfsEvent;

describe('wfs events', () => {
  it('session lifecycle commands announce, in order, with growing IDs; --since and --limit select', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'first']);
    await wfs(root, ['session', 'start', '--new', 'second']);
    await wfs(root, ['session', 'switch', 'WFS-first']);
    await wfs(root, ['session', 'pause']);
    await wfs(root, ['session', 'resume']);
    await wfs(root, ['session', 'complete']);
    const { events } = json<{ events: Event[] }>(await wfs(root, ['events', '--json']));
    expect(events.map((e) => `${e.type} ${e.session}`)).toEqual([
      'session.started WFS-first',
      'session.paused WFS-first',
      'session.started WFS-second',
      'session.paused WFS-second',
      'session.activated WFS-first',
      'session.paused WFS-first',
      'session.resumed WFS-first',
      'session.completed WFS-first',
      'session.archived WFS-first',
    ]);
    for (let i = 1; i < events.length; i++) expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id);
    expect(events[0]).toEqual({
      id: expect.any(Number),
      type: 'session.started',
      at: expect.any(String),
      session: 'WFS-first',
      host: expect.any(String),
      workspace: { id: expect.stringMatching(/^ws-/), name: path.basename(root) },
      data: { type: 'workflow' },
    });
    const since = json<{ events: Event[] }>(
      await wfs(root, ['events', '--json', '--since', String(events[6]!.id)]),
    ).events;
    expect(since.map((e) => e.type)).toEqual(['session.completed', 'session.archived']);
    const limited = json<{ events: Event[] }>(await wfs(root, ['events', '--json', '--limit', '2'])).events;
    expect(limited.map((e) => e.id)).toEqual([events[7]!.id, events[8]!.id]);
    expect((await wfs(root, ['events', '--since', 'soon'])).code).toBe(2);
  });

  it('--follow delivers new events to another process as they are published', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'watched']);
    const follower = spawnWfs(root, ['events', '--follow', '--json']);
    let out = '';
    const seen = (pattern: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (out.includes(pattern)) resolve();
        };
        follower.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          check();
        });
        check();
      });
    await seen('"session.started"');
    await wfs(root, ['session', 'pause']);
    await seen('"session.paused"');
    follower.kill('SIGTERM');
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Event);
    expect(lines.map((e) => e.type)).toEqual(['session.started', 'session.paused']);
  });

  it('--follow --limit N prints the newest N of the backlog, then what comes', async () => {
    const root = makeRepo();
    for (const name of ['a', 'b', 'c', 'd']) await wfs(root, ['session', 'start', '--new', name]);
    const follower = spawnWfs(root, ['events', '--follow', '--limit', '1', '--json']);
    const out = stdoutOf(follower);
    const types = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => `${(JSON.parse(l) as Event).type} ${(JSON.parse(l) as Event).session}`);
    try {
      expect(types(await out.until('\n'))).toEqual(['session.started WFS-d']);
      await wfs(root, ['session', 'pause']);
      expect(types(await out.until('"session.paused"'))).toEqual([
        'session.started WFS-d',
        'session.paused WFS-d',
      ]);
    } finally {
      follower.kill('SIGTERM');
    }
  });

  it('a failed announcement is a WARNING; the session change stands', async () => {
    const root = makeRepo();
    fs.writeFileSync(path.join(root, '.git', 'wfs'), 'not a folder');
    const run = await wfs(root, ['session', 'start', '--new', 'unannounced']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SESSION_ID: WFS-unannounced');
    expect(run.stderr).toMatch(/^WARNING: Could not announce session\.started for WFS-unannounced: /m);
  });
});
