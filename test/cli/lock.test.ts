import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli as wfs } from '../cli.js';
import { json, makeRepo } from '../helpers.js';

type Acquired = {
  name: string;
  token: string;
  fence: number;
  expires_at: string;
  holder: { session: string | null; pid: number; host: string };
};

describe('wfs lock', () => {
  it('acquire prints the SPEC shape; held by another exits 4 with the holder; state lives under the git common dir', async () => {
    const root = makeRepo();
    await wfs(root, ['session', 'start', '--new', 'deployer']);
    const first = await wfs(root, ['lock', 'acquire', 'deploy', '--ttl', '5000', '--json']);
    expect(first.code).toBe(0);
    const lease = json<Acquired>(first);
    expect(lease).toMatchObject({
      name: 'deploy',
      token: expect.any(String),
      fence: expect.any(Number),
      holder: { session: 'WFS-deployer' },
    });
    expect(Date.parse(lease.expires_at)).toBeGreaterThan(Date.now());
    const held = await wfs(root, ['lock', 'acquire', 'deploy', '--json'], {
      env: { WFS_SESSION_ID: 'WFS-other' },
    });
    expect(held.code).toBe(4);
    expect(json(held)).toMatchObject({ status: 'held', holder: { session: 'WFS-deployer' } });
    expect((await wfs(root, ['lock', 'acquire', 'deploy'])).stdout).toMatch(
      /^HELD: deploy by WFS-deployer \(pid \d+ on .+\) until /,
    );
    expect(fs.existsSync(path.join(root, '.git', 'wfs', 'leases'))).toBe(true);
    const list = json<{ locks: { name: string; holder: { session: string } }[] }>(
      await wfs(root, ['lock', 'list', '--json']),
    );
    expect(list.locks).toEqual([
      expect.objectContaining({
        name: 'deploy',
        holder: expect.objectContaining({ session: 'WFS-deployer' }),
      }),
    ]);
    expect(JSON.stringify(list)).not.toContain(lease.token);
  });

  it('release says released, not_owner or expired, and exits 0 only for released', async () => {
    const root = makeRepo();
    const lease = json<Acquired>(await wfs(root, ['lock', 'acquire', 'a', '--json']));
    expect(await wfs(root, ['lock', 'release', 'a', '--token', 'wrong', '--json'])).toMatchObject({
      code: 1,
      stdout: '{"result":"not_owner"}\n',
    });
    expect(await wfs(root, ['lock', 'release', 'a', '--token', lease.token, '--json'])).toMatchObject({
      code: 0,
      stdout: '{"result":"released"}\n',
    });
    const short = json<Acquired>(await wfs(root, ['lock', 'acquire', 'b', '--ttl', '50', '--json']));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await wfs(root, ['lock', 'release', 'b', '--token', short.token])).toMatchObject({
      code: 1,
      stdout: 'RESULT: expired\n',
    });
  });

  it('--wait waits for the holder; fences increase with every grant', async () => {
    const root = makeRepo();
    const first = json<Acquired>(await wfs(root, ['lock', 'acquire', 'w', '--ttl', '300', '--json']));
    const second = await wfs(root, ['lock', 'acquire', 'w', '--wait', '5000', '--json']);
    expect(second.code).toBe(0);
    expect(json<Acquired>(second).fence).toBeGreaterThan(first.fence);
  });

  it('refuses a bad name, TTL or missing token with exit 2', async () => {
    const root = makeRepo();
    expect((await wfs(root, ['lock', 'acquire', '../x'])).code).toBe(2);
    expect((await wfs(root, ['lock', 'acquire', 'x', '--ttl', 'soon'])).code).toBe(2);
    expect((await wfs(root, ['lock', 'acquire', 'x', '--ttl', '0'])).code).toBe(2);
    expect((await wfs(root, ['lock', 'release', 'x'])).code).toBe(2);
  });
});
