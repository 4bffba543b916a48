import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');

/** What a user gets from `npm pack` and a global install of the tarball, with Node 20's engines enforced. */
describe('the published package', () => {
  it('installs globally with --engine-strict and no warning, carries its docs and licence, runs, and its library imports, requires and type-checks', () => {
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
    for (const needed of [
      'LICENSE',
      'README.md',
      'docs/reference.md',
      'dist/wfs.cjs',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
    ])
      expect(files, needed).toContain(needed);
    expect(files.some((f) => /^dist\/lib\/chunks\/.+\.js$/.test(f))).toBe(true);
    // Nothing of the development setup that the package does not ship, nor the tests' internals.
    expect(
      files.filter((f) => /^(scripts|test|src|bench)\//.test(f) || f.startsWith('dist/internals')),
    ).toEqual([]);
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

    // The library, as a project that depends on wfs finds it (node_modules/wfs): by import, by
    // require (Node 20.19+ loads the ES modules), with no warning, and its types with what they
    // name (zod's) resolved from the package's own dependencies.
    const user = makeRepo({ 'package.json': '{"type": "module"}' }, { git: false });
    fs.mkdirSync(path.join(user, 'node_modules'));
    fs.symlinkSync(path.join(prefix, 'lib', 'node_modules', 'wfs'), path.join(user, 'node_modules', 'wfs'));
    const script = (loader: string) =>
      `${loader}\nconst s = await wfs.startNewSession(wfs.openProject({ cwd: ${JSON.stringify(project)} }), { description: 'from the library' }); console.log(s.session_id);`;
    for (const [kind, args] of [
      ['import', ['--input-type=module', '-e', script("import * as wfs from 'wfs';")]],
      [
        'require',
        ['--input-type=commonjs', '-e', `(async () => { ${script("const wfs = require('wfs');")} })()`],
      ],
    ] as const) {
      const run = spawnSync(process.execPath, args, {
        cwd: user,
        encoding: 'utf8',
        env: { ...process.env, WFS_ROOT: '' },
      });
      expect(run.status, `${kind}: ${run.stderr}`).toBe(0);
      expect(run.stdout.trim(), kind).toMatch(/^WFS-from-the-library/);
      expect(run.stderr, kind).toBe('');
    }
    fs.writeFileSync(
      path.join(user, 'consumer.ts'),
      `import { openProject, type SessionState, startNewSession } from 'wfs';
const started = await startNewSession(openProject(), { description: 'typed' });
const id: string = started.session_id;
const phase: SessionState['current_phase'] = 'PLAN';
console.log(id, phase);
`,
    );
    fs.writeFileSync(
      path.join(user, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [path.join(REPO, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const types = spawnSync(
      process.execPath,
      [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(user, 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    expect(types.status, types.stdout).toBe(0);
  }, 180_000);
});
