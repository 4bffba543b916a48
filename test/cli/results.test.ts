import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo } from '../helpers.js';

describe('wfs results', () => {
  it('get prints the value exactly as it was put; a missing key exits 1; put announces result.shared', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'producer']);
    const value = 'first line\n\tsecond \u00e9 line without newline';
    const put = await wfs(root, ['results', 'put', 'coverage:tree-1', '--json'], { input: value });
    expect(put.code).toBe(0);
    expect(json(put)).toMatchObject({
      key: 'coverage:tree-1',
      session: 'WFS-producer',
      bytes: Buffer.byteLength(value),
    });
    const got = await wfs(root, ['results', 'get', 'coverage:tree-1']);
    expect(got).toMatchObject({ code: 0, stdout: value });
    expect(json(await wfs(root, ['results', 'get', 'coverage:tree-1', '--json']))).toMatchObject({
      value,
      session: 'WFS-producer',
    });
    expect(await wfs(root, ['results', 'get', 'missing'])).toMatchObject({
      code: 1,
      stderr: 'ERROR: No shared result missing (never put, or expired)\n',
    });
    expect(
      json<{ results: { key: string }[] }>(await wfs(root, ['results', 'list', '--json'])).results.map(
        (r) => r.key,
      ),
    ).toEqual(['coverage:tree-1']);
    const events = json<{ events: { type: string; data: Record<string, unknown> }[] }>(
      await wfs(root, ['events', '--json']),
    );
    expect(events.events.at(-1)).toMatchObject({ type: 'result.shared', data: { key: 'coverage:tree-1' } });
  });

  it('a result past its TTL is gone; bad keys and TTLs exit 2', async () => {
    const root = makeRepo();
    await wfs(root, ['results', 'put', 'brief', '--ttl', '1'], { input: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await wfs(root, ['results', 'get', 'brief'])).code).toBe(1);
    expect((await wfs(root, ['results', 'put', '../escape'], { input: 'x' })).code).toBe(2);
    expect((await wfs(root, ['results', 'put', 'k', '--ttl', 'never'], { input: 'x' })).code).toBe(2);
  });
});
