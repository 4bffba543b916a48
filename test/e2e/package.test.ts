import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');

/** What a user gets from `npm pack` and a global install of the tarball, with Node 20's engines enforced. */
describe('the published package', () => {
  it('installs globally with --engine-strict and no warning, carries its docs and licence, and runs', () => {
    const dir = makeRepo({}, { git: false });
    const built = fs.statSync(path.join(REPO, 'dist', 'wfs.cjs')).mtimeMs;
    // Packed from a copy of the checkout's tracked files, as a fresh clone would be: prepack builds
    // there. Packed in the checkout, its build would replace dist/ under every other test that runs
    // the CLI meanwhile (they failed with "Cannot find module dist/wfs.cjs").
    const clone = path.join(dir, 'clone');
    const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' });
    expect(tracked.status, tracked.stderr).toBe(0);
    for (const file of tracked.stdout.split('\0').filter(Boolean)) {
      if (!fs.existsSync(path.join(REPO, file))) continue; // deleted in the working tree
      fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO, file), path.join(clone, file));
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
    const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--json'], {
      cwd: clone,
      encoding: 'utf8',
      // prepack builds: the build's own output is not what this test reads.
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed!.files.map((f) => f.path);
    for (const needed of ['LICENSE', 'README.md', 'docs/reference.md', 'dist/wfs.cjs', 'dist/lib/index.js'])
      expect(files, needed).toContain(needed);
    // Nothing of the development setup that the package does not ship.
    expect(files.some((f) => f.startsWith('scripts/') || f.startsWith('test/') || f.startsWith('src/'))).toBe(
      false,
    );
    const prefix = path.join(dir, 'global');
    const install = spawnSync(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--engine-strict',
        '--no-audit',
        '--no-fund',
        path.join(dir, packed!.filename),
      ],
      { encoding: 'utf8' },
    );
    expect(install.status, install.stderr).toBe(0);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/npm warn/i);
    const bin = path.join(prefix, 'bin', 'wfs');
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(
      JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version,
    );
    // The checkout's own build was left alone (the other tests run it).
    expect(fs.statSync(path.join(REPO, 'dist', 'wfs.cjs')).mtimeMs).toBe(built);
    const project = makeRepo();
    const start = spawnSync(bin, ['session', 'start', '--new', 'from the tarball'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(start.stdout).toContain('SESSION_ID: WFS-from-the-tarball');
  }, 180_000);
});
