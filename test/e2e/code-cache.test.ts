import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheName } from '../../src/cli/run.js';
import { CLI, CLI_BUNDLE, ISOLATED, makeRepo, tempDir } from '../helpers.js';

/**
 * The bin's code cache (src/launcher.ts): whatever state the cache is in, a command prints the same
 * and exits the same as it does without one. Every run points XDG_CACHE_HOME at a folder of the
 * test's, so nothing is written to the real ~/.cache.
 */

const BUNDLE = CLI_BUNDLE;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv, input = '', node: string[] = []): Result {
  const r = spawnSync(process.execPath, [...node, CLI, ...args], {
    cwd,
    env: { ...process.env, ...ISOLATED, ...env },
    input,
    encoding: 'utf8',
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A repository with one session, and a cache folder (not yet created) of its own. */
function setup(): { repo: string; xdg: string; dir: string } {
  const repo = makeRepo();
  const xdg = path.join(tempDir('wfs-cache-'), 'xdg');
  expect(run(repo, ['session', 'start', '--new', 'cached task'], { WFS_CODE_CACHE: '0' }).code).toBe(0);
  return { repo, xdg, dir: path.join(xdg, 'wfs') };
}

function files(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** The one cache file of `command` in `dir`. */
function cacheFile(dir: string, command: string): string {
  const found = files(dir).filter((f) => f.endsWith(`-${command}.bin`));
  expect(found, `${command} in ${files(dir).join(', ')}`).toHaveLength(1);
  return path.join(dir, found[0]!);
}

/** Every file under `root`, relative, but the repository's .git. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') walk(file);
      } else out.push(path.relative(root, file));
    }
  };
  walk(root);
  return out.sort();
}

const SAME = (a: Result, b: Result) => {
  expect({ code: b.code, signal: b.signal, stdout: b.stdout, stderr: b.stderr }).toEqual({
    code: a.code,
    signal: a.signal,
    stdout: a.stdout,
    stderr: a.stderr,
  });
};

describe('the code cache', () => {
  it('is written once per command after it has run, outside the repository, and reused with the same output', () => {
    const { repo, xdg, dir } = setup();
    const before = tree(repo);
    const plain = run(repo, ['session', 'show', '--json'], { WFS_CODE_CACHE: '0' });
    expect(files(dir)).toEqual([]);
    const first = run(repo, ['session', 'show', '--json'], { XDG_CACHE_HOME: xdg });
    SAME(plain, first);
    const file = cacheFile(dir, 'session-show');
    // Keyed by the bundle's content: a cache of one build is never read by another.
    const hash = createHash('sha256').update(fs.readFileSync(BUNDLE)).digest('hex').slice(0, 16);
    expect(path.basename(file)).toContain(hash);
    expect(path.basename(file)).toContain(process.version);
    const written = fs.statSync(file).mtimeMs;
    const bytes = fs.readFileSync(file);
    const second = run(repo, ['session', 'show', '--json'], { XDG_CACHE_HOME: xdg });
    SAME(plain, second);
    // Accepted, so not written again.
    expect(fs.statSync(file).mtimeMs).toBe(written);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    // One file per command; options before the command's words find it too, and write no other.
    SAME(
      run(repo, ['todo', 'list', '--json'], { WFS_CODE_CACHE: '0' }),
      run(repo, ['todo', 'list', '--json'], { XDG_CACHE_HOME: xdg }),
    );
    cacheFile(dir, 'todo-list');
    SAME(
      run(repo, ['--json', 'session', 'show'], { WFS_CODE_CACHE: '0' }),
      run(repo, ['--json', 'session', 'show'], { XDG_CACHE_HOME: xdg }),
    );
    expect(fs.statSync(file).mtimeMs).toBe(written);
    expect(files(dir).filter((f) => !f.endsWith('.bin'))).toEqual([]);
    // Nothing of it in the repository.
    expect(tree(repo)).toEqual(before);
  });

  it('is under ~/.cache/wfs without XDG_CACHE_HOME, and not written at all with HOME unset', () => {
    const { repo } = setup();
    const home = tempDir('wfs-home-');
    const plain = run(repo, ['session', 'list', '--json'], { WFS_CODE_CACHE: '0' });
    SAME(plain, run(repo, ['session', 'list', '--json'], { XDG_CACHE_HOME: '', HOME: home }));
    cacheFile(path.join(home, '.cache', 'wfs'), 'session-list');
    // A relative XDG_CACHE_HOME is ignored (XDG), and so is a relative HOME: no folder in the cwd.
    const before = tree(repo);
    SAME(plain, run(repo, ['session', 'list', '--json'], { XDG_CACHE_HOME: 'cache', HOME: 'home' }));
    SAME(plain, run(repo, ['session', 'list', '--json'], { XDG_CACHE_HOME: '', HOME: '' }));
    expect(tree(repo)).toEqual(before);
  });

  it('ignores a corrupt, torn or foreign cache, gives the same output, and writes a good one', () => {
    const { repo, xdg, dir } = setup();
    const args = ['session', 'show', '--json'];
    const plain = run(repo, args, { WFS_CODE_CACHE: '0' });
    run(repo, args, { XDG_CACHE_HOME: xdg });
    const file = cacheFile(dir, 'session-show');
    const good = fs.readFileSync(file);
    const damaged: [string, Buffer][] = [
      ['a flipped byte', Buffer.from(good.map((b, i) => (i === good.length >> 1 ? b ^ 0xff : b)))],
      ['a torn file', good.subarray(0, good.length >> 1)],
      ['an empty file', Buffer.alloc(0)],
      ['no header', good.subarray(16)],
      // The payload is stored twice: a byte flipped in either copy, or a length that lies.
      [
        'a flipped byte in the second copy',
        Buffer.from(good.map((b, i) => (i === good.length - 3 ? b ^ 0x10 : b))),
      ],
      ['a flipped byte in the first copy', Buffer.from(good.map((b, i) => (i === 40 ? b ^ 0x01 : b)))],
      [
        'a length that lies',
        Buffer.concat([good.subarray(0, 4), Buffer.from([1, 0, 0, 0]), good.subarray(8)]),
      ],
      ['one copy only', good.subarray(0, 16 + good.readUInt32LE(4))],
    ];
    for (const [what, bytes] of damaged) {
      fs.writeFileSync(file, bytes);
      const again = run(repo, args, { XDG_CACHE_HOME: xdg });
      SAME(plain, again);
      expect(fs.readFileSync(file).equals(bytes), what).toBe(false);
      expect(fs.readFileSync(file).length, what).toBeGreaterThan(16);
      // Rewritten whole: the next run accepts it and leaves it alone.
      const mtime = fs.statSync(file).mtimeMs;
      SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }));
      expect(fs.statSync(file).mtimeMs, what).toBe(mtime);
    }
    // A well-formed cache of other code (another command's, here) under this name: V8 rejects it
    // and it is replaced.
    run(repo, ['todo', 'list'], { XDG_CACHE_HOME: xdg });
    fs.copyFileSync(cacheFile(dir, 'todo-list'), file);
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }));
    // Of a build with other source: a cache of a bundle one byte longer.
    const otherBuild = path.join(tempDir('wfs-build-'), 'dist');
    fs.cpSync(path.dirname(CLI), otherBuild, { recursive: true });
    fs.appendFileSync(path.join(otherBuild, 'cli.cjs'), '\n// another build\n');
    const otherXdg = path.join(tempDir('wfs-cache-'), 'xdg');
    spawnSync(process.execPath, [path.join(otherBuild, 'wfs.cjs'), ...args], {
      cwd: repo,
      env: { ...process.env, ...ISOLATED, XDG_CACHE_HOME: otherXdg },
    });
    fs.copyFileSync(cacheFile(path.join(otherXdg, 'wfs'), 'session-show'), file);
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }));
    expect(
      fs.readFileSync(file).equals(fs.readFileSync(cacheFile(path.join(otherXdg, 'wfs'), 'session-show'))),
    ).toBe(false);
  });

  it('works under node --jitless (no WebAssembly, no JIT), in a file of its own', () => {
    const { repo, xdg, dir } = setup();
    const args = ['session', 'show', '--json'];
    const plain = run(repo, args, { WFS_CODE_CACHE: '0' }, '', ['--jitless']);
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }, '', ['--jitless']));
    const file = cacheFile(dir, 'session-show');
    const mtime = fs.statSync(file).mtimeMs;
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }, '', ['--jitless']));
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good.map((b, i) => (i === good.length - 1 ? b ^ 1 : b)));
    fs.writeFileSync(file, flipped);
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }, '', ['--jitless']));
    expect(fs.readFileSync(file).equals(flipped)).toBe(false);
    const rewritten = fs.statSync(file).mtimeMs;
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }, '', ['--jitless']));
    expect(fs.statSync(file).mtimeMs).toBe(rewritten);
    // Without the option, another file: V8 takes a cache only under the options it was made with.
    run(repo, args, { XDG_CACHE_HOME: xdg });
    expect(files(dir).filter((f) => f.endsWith('-session-show.bin'))).toHaveLength(2);
  });

  it('a cache folder that cannot be made or written changes nothing', () => {
    const { repo } = setup();
    const args = ['session', 'show', '--json'];
    const plain = run(repo, args, { WFS_CODE_CACHE: '0' });
    const base = tempDir('wfs-cache-');
    // A file where the folder belongs, and a path below a file.
    fs.writeFileSync(path.join(base, 'wfs'), 'not a folder');
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: base }));
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: path.join(base, 'wfs', 'below') }));
    expect(fs.readFileSync(path.join(base, 'wfs'), 'utf8')).toBe('not a folder');
    // A read-only folder (root writes to it anyway, so only as another user).
    if (process.getuid?.() !== 0) {
      const readOnly = tempDir('wfs-cache-');
      fs.mkdirSync(path.join(readOnly, 'wfs'), { mode: 0o555 });
      SAME(plain, run(repo, args, { XDG_CACHE_HOME: readOnly }));
      expect(files(path.join(readOnly, 'wfs'))).toEqual([]);
    }
    // A folder that does not exist yet is made.
    const missing = path.join(tempDir('wfs-cache-'), 'a', 'b');
    SAME(plain, run(repo, args, { XDG_CACHE_HOME: missing }));
    cacheFile(path.join(missing, 'wfs'), 'session-show');
  });

  it('WFS_CODE_CACHE=0 neither reads nor writes one', () => {
    const { repo, xdg, dir } = setup();
    const args = ['session', 'show', '--json'];
    const plain = run(repo, args, { WFS_CODE_CACHE: '0', XDG_CACHE_HOME: xdg });
    expect(files(dir)).toEqual([]);
    // A file that would be rewritten were it read is left as it is.
    run(repo, args, { XDG_CACHE_HOME: xdg });
    const file = cacheFile(dir, 'session-show');
    fs.writeFileSync(file, 'corrupt');
    SAME(plain, run(repo, args, { WFS_CODE_CACHE: '0', XDG_CACHE_HOME: xdg }));
    expect(fs.readFileSync(file, 'utf8')).toBe('corrupt');
  });

  it('keeps exit codes, set through process.exitCode or process.exit, and writes no cache for usage errors', () => {
    const { repo, xdg, dir } = setup();
    for (const args of [
      ['session', 'show', 'WFS-no-such-session'],
      ['exec', '--', process.execPath, '-e', 'process.exit(3)'],
    ]) {
      const plain = run(repo, args, { WFS_CODE_CACHE: '0' });
      expect(plain.code).not.toBe(0);
      SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }));
      SAME(plain, run(repo, args, { XDG_CACHE_HOME: xdg }));
    }
    cacheFile(dir, 'session-show');
    cacheFile(dir, 'exec');
    const usage = run(repo, ['no-such-command'], { XDG_CACHE_HOME: xdg });
    expect(usage.code).toBe(2);
    expect(files(dir).filter((f) => f.includes('no-such'))).toEqual([]);
    // process.exit: a reader that has gone away (`| true` closes its end at once, long before the
    // CLI has started) ends the CLI through process.exit on EPIPE (src/cli/io.ts): exit code 0,
    // nothing on stderr, and the cache is written all the same.
    const piped = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" session list --all | true`], {
      cwd: repo,
      env: { ...process.env, ...ISOLATED, XDG_CACHE_HOME: xdg },
      encoding: 'utf8',
    });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    cacheFile(dir, 'session-list');
  });

  it('a command killed by a signal writes nothing; one that ends on a signal it handles writes a whole cache', async () => {
    const { repo, xdg, dir } = setup();
    const ready = path.join(tempDir('wfs-ready-'), 'ready');
    const child = [
      'exec',
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`,
    ];
    const runUntilReady = async (signal: NodeJS.Signals) => {
      fs.rmSync(ready, { force: true });
      const proc = spawn(process.execPath, [CLI, ...child], {
        cwd: repo,
        env: { ...process.env, ...ISOLATED, XDG_CACHE_HOME: xdg },
        stdio: 'ignore',
      });
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        proc.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      while (!fs.existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 20));
      proc.kill(signal);
      return ended;
    };
    // SIGKILL: no exit handler runs, so no cache and no temporary file.
    expect(await runUntilReady('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(files(dir)).toEqual([]);
    // SIGTERM: `wfs exec` passes it to its command and exits 143 as a shell would: the cache is whole.
    expect(await runUntilReady('SIGTERM')).toEqual({ code: 143, signal: null });
    const file = cacheFile(dir, 'exec');
    expect(files(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const mtime = fs.statSync(file).mtimeMs;
    expect(await runUntilReady('SIGTERM')).toEqual({ code: 143, signal: null });
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
  });

  it('serves the hooks, and writes none for the commands that run until stopped', () => {
    const { repo, xdg, dir } = setup();
    const event = JSON.stringify({ hook_event_name: 'SessionStart', session_id: 'c1', cwd: repo });
    const plain = run(repo, ['hook', 'claude'], { WFS_CODE_CACHE: '0' }, event);
    SAME(plain, run(repo, ['hook', 'claude'], { XDG_CACHE_HOME: xdg }, event));
    cacheFile(dir, 'hook');
    SAME(plain, run(repo, ['hook', 'claude'], { XDG_CACHE_HOME: xdg }, event));
    // The MCP server ends when its client closes stdin: no cache to hold up that exit.
    const mcp = run(repo, ['mcp'], { XDG_CACHE_HOME: xdg }, '');
    expect(mcp.code).toBe(0);
    expect(files(dir).filter((f) => f.includes('mcp'))).toEqual([]);
  });

  it('is named by the command the CLI resolves, and by none for help, usage errors and long runs', () => {
    expect(codeCacheName(['session', 'list', '--json'])).toBe('session-list');
    expect(codeCacheName(['--json', 'session', 'list'])).toBe('session-list');
    expect(codeCacheName(['todo', 'add', 'write the tests'])).toBe('todo-add');
    expect(codeCacheName(['claim', 'list'])).toBe('claim-list');
    expect(codeCacheName(['claim', 'src/a.ts'])).toBe('claim');
    expect(codeCacheName(['hook', 'claude'])).toBe('hook');
    expect(codeCacheName(['events'])).toBe('events');
    for (const none of [
      ['events', '--follow'],
      ['mcp'],
      ['dashboard'],
      ['--help'],
      ['--version'],
      ['session', 'list', '--help'],
      ['no-such-command'],
      ['session', 'list', '--no-such-option'],
    ])
      expect(codeCacheName(none), none.join(' ')).toBeUndefined();
  });
});

describe('the bundle', () => {
  it('holds the coordination commands, which were files of their own that mostly repeated it', () => {
    const bundle = fs.readFileSync(BUNDLE, 'utf8');
    const lazy = fs.readdirSync(path.join(path.dirname(CLI), 'lazy'));
    for (const command of ['events', 'lock', 'results', 'exec', 'claim']) {
      expect(bundle, command).toContain(`// src/cli/commands/${command}.ts`);
      expect(lazy, command).not.toContain(`${command}-command.cjs`);
    }
    // What is big and rare stays out of it.
    for (const file of ['mcp-command.cjs', 'dashboard-command.cjs', 'redis.cjs', 'workflow-command.cjs'])
      expect(lazy).toContain(file);
  });
});
