import { spawnSync } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { CLI, ISOLATED, json, makeRepo } from '../helpers.js';

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
      encoding: 'utf8',
      bytes: Buffer.byteLength(value),
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

  it('put and get are byte-exact for bytes that are not text (ff fe 00 41, a gzip); --json gives them in base64', async () => {
    const root = makeRepo();
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const put = await wfs(root, ['results', 'put', 'raw'], { input: raw });
    expect(put).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^RESULT: raw \(4 bytes, binary, until /),
    });
    const got = await wfs(root, ['results', 'get', 'raw']);
    expect(got.code).toBe(0);
    expect(got.stdoutBytes.toString('hex')).toBe('fffe0041');

    const log = 'PASS test/one.test.ts\n'.repeat(5_000);
    const gzipped = gzipSync(log);
    expect(json(await wfs(root, ['results', 'put', 'log.gz', '--json'], { input: gzipped }))).toMatchObject({
      key: 'log.gz',
      encoding: 'base64',
      bytes: gzipped.length,
    });
    const unzipped = await wfs(root, ['results', 'get', 'log.gz']);
    expect(unzipped.stdoutBytes.equals(gzipped)).toBe(true);
    expect(gunzipSync(unzipped.stdoutBytes).toString('utf8')).toBe(log);

    const document = json<{ value: string; encoding: string; bytes: number }>(
      await wfs(root, ['results', 'get', 'raw', '--json']),
    );
    expect(document).toMatchObject({ key: 'raw', value: '//4AQQ==', encoding: 'base64', bytes: 4 });
    expect(Buffer.from(document.value, document.encoding as BufferEncoding).equals(raw)).toBe(true);
    expect(
      json<{ results: Record<string, unknown>[] }>(await wfs(root, ['results', 'list', '--json'])).results,
    ).toEqual([
      expect.objectContaining({ key: 'log.gz', encoding: 'base64', bytes: gzipped.length }),
      expect.objectContaining({ key: 'raw', encoding: 'base64', bytes: 4 }),
    ]);
    expect(
      json<{ results: unknown[] }>(await wfs(root, ['results', 'list', '--json'])).results[0],
    ).not.toHaveProperty('value');
    const table = (await wfs(root, ['results', 'list'])).stdout;
    expect(table).toMatch(/^raw\s+-\s+4 \(binary\)\s+\d{4}-/m);
    // The announcement counts the bytes put.
    const events = json<{ events: { type: string; data: Record<string, unknown> }[] }>(
      await wfs(root, ['events', '--json']),
    );
    expect(events.events.filter((e) => e.type === 'result.shared').map((e) => e.data)).toEqual([
      { key: 'raw', bytes: 4 },
      { key: 'log.gz', bytes: gzipped.length },
    ]);
  });

  it('the value on stdin counts its bytes against the 8 MiB bound', async () => {
    const root = makeRepo();
    const at = Buffer.alloc(8 * 1024 * 1024, 0xff);
    expect((await wfs(root, ['results', 'put', 'at-bound'], { input: at })).code).toBe(0);
    expect((await wfs(root, ['results', 'get', 'at-bound'])).stdoutBytes.equals(at)).toBe(true);
    expect(
      await wfs(root, ['results', 'put', 'over'], { input: Buffer.concat([at, Buffer.from([0])]) }),
    ).toMatchObject({ code: 2, stderr: expect.stringMatching(/^ERROR: The result on stdin is too large/) });
  });

  it('the built CLI writes the bytes to its stdout as they are (a pipe, as `wfs results get k | gunzip`)', () => {
    const root = makeRepo();
    const gzipped = gzipSync('a value\n'.repeat(100));
    const run = (args: string[], input?: Buffer) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, ...ISOLATED }, input });
    expect(
      run(['results', 'put', 'k'], Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x41]), gzipped])).status,
    ).toBe(0);
    const got = run(['results', 'get', 'k']);
    expect(got.status).toBe(0);
    expect(got.stdout.subarray(0, 4).toString('hex')).toBe('fffe0041');
    expect(got.stdout.subarray(4).equals(gzipped)).toBe(true);
  });
});
