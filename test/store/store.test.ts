import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMP_SUFFIX, writeFilesAtomic, writeJsonAtomic } from '../../src/store/atomic.js';
import { holderName, type LockHolder, withLock } from '../../src/store/lock.js';
import { thisProcess } from '../../src/store/processes.js';
import { parseRegistry, serializeRegistry } from '../../src/store/registry.js';
import { findRoot } from '../../src/store/root.js';
import { makeRepo } from '../helpers.js';

describe('atomic writes', () => {
  it('replaces files whole and leaves no temp files behind', () => {
    const dir = makeRepo({}, { git: false });
    const a = path.join(dir, 'a.json');
    writeJsonAtomic(a, { v: 1 });
    writeJsonAtomic(a, { v: 2 });
    writeFilesAtomic([
      { path: path.join(dir, 'b.txt'), data: 'b' },
      { path: a, data: '{"v":3}' },
    ]);
    expect(JSON.parse(fs.readFileSync(a, 'utf8'))).toEqual({ v: 3 });
    expect(fs.readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('b');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(TEMP_SUFFIX))).toEqual([]);
  });

  it('cleans up its temp files and keeps the old version when a write fails', () => {
    const dir = makeRepo({ 'keep.json': 'old' }, { git: false });
    expect(() =>
      writeFilesAtomic([
        { path: path.join(dir, 'keep.json'), data: 'new' },
        { path: path.join(dir, 'missing-dir', 'x.json'), data: 'x' },
      ]),
    ).toThrow();
    expect(fs.readFileSync(path.join(dir, 'keep.json'), 'utf8')).toBe('old');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(TEMP_SUFFIX))).toEqual([]);
  });
});

describe('the cross-process lock', () => {
  it('serialises critical sections in one process too', async () => {
    const dir = makeRepo({}, { git: false });
    const order: string[] = [];
    const section = (name: string) =>
      withLock(dir, 'test', async () => {
        order.push(`${name}:in`);
        await new Promise((r) => setTimeout(r, 20));
        order.push(`${name}:out`);
      });
    await Promise.all([section('a'), section('b'), section('c')]);
    for (let i = 0; i < order.length; i += 2)
      expect(order[i]!.split(':')[0]).toBe(order[i + 1]!.split(':')[0]);
    expect(fs.existsSync(path.join(dir, 'test.lock'))).toBe(false);
  });

  /** A lock folder as wfs makes it, held by `holder` (whose fields default to this very process). */
  const heldBy = (dir: string, holder: Partial<LockHolder> = {}) => {
    const lock = path.join(dir, 'held.lock');
    fs.mkdirSync(lock, { recursive: true });
    const file = path.join(lock, holderName({ ...thisProcess(), nonce: 'n0', ...holder }));
    fs.writeFileSync(file, '');
    return { lock, file };
  };

  /** A process that has exited: its pid is free. */
  const deadPid = () =>
    Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
        .stdout,
    );

  it('waits for a live holder and fails with E_LOCK_TIMEOUT naming it', async () => {
    const dir = makeRepo({}, { git: false });
    heldBy(dir);
    await expect(withLock(dir, 'held', () => 1, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'E_LOCK_TIMEOUT',
      message: expect.stringContaining(`held by pid ${process.pid} on ${os.hostname()}`),
    });
  });

  it('never breaks a live holder for its age: an old lock of a live process still holds', async () => {
    const dir = makeRepo({}, { git: false });
    const { lock, file } = heldBy(dir);
    const longAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(file, longAgo, longAgo);
    fs.utimesSync(lock, longAgo, longAgo);
    await expect(withLock(dir, 'held', () => 1, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'E_LOCK_TIMEOUT',
    });
    expect(fs.existsSync(file)).toBe(true);
  });

  it('breaks at once a lock whose holder process on this host is gone', async () => {
    const dir = makeRepo({}, { git: false });
    heldBy(dir, { pid: deadPid() });
    await expect(withLock(dir, 'held', () => 'ran', { timeoutMs: 150 })).resolves.toBe('ran');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('breaks a holder whose pid now belongs to another process, or that was made before a reboot', async () => {
    const dir = makeRepo({}, { git: false });
    // Our own pid, but a start time that is not ours: the pid was reused.
    heldBy(dir, { start: thisProcess().start + 1 });
    await expect(withLock(dir, 'held', () => 'reused', { timeoutMs: 150 })).resolves.toBe('reused');
    heldBy(dir, { boot: '00000000-0000-0000-0000-000000000000' });
    await expect(withLock(dir, 'held', () => 'rebooted', { timeoutMs: 150 })).resolves.toBe('rebooted');
  });

  it('never breaks a holder on another host, and says so', async () => {
    const dir = makeRepo({}, { git: false });
    heldBy(dir, { host: 'other-machine', pid: 1 });
    await expect(withLock(dir, 'held', () => 1, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'E_LOCK_TIMEOUT',
      message: expect.stringContaining('wfs cannot see processes on other-machine'),
    });
  });

  it('waits for a stopped holder (Ctrl-Z) and says how to resume it', async () => {
    const dir = makeRepo({}, { git: false });
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const start = Number(
        fs.readFileSync(`/proc/${child.pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[19],
      );
      child.kill('SIGSTOP');
      heldBy(dir, { pid: child.pid!, start });
      await expect(withLock(dir, 'held', () => 1, { timeoutMs: 200 })).rejects.toMatchObject({
        code: 'E_LOCK_TIMEOUT',
        message: expect.stringContaining(
          `that process is stopped (Ctrl-Z or a debugger): resume it (fg, or kill -CONT ${child.pid})`,
        ),
      });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a lock folder holding what wfs did not make, a link in its place, and a damaged legacy file', async () => {
    const dir = makeRepo({}, { git: false });
    fs.mkdirSync(path.join(dir, 'a.lock'));
    fs.writeFileSync(path.join(dir, 'a.lock', 'notes.txt'), 'x');
    await expect(withLock(dir, 'a', () => 1)).rejects.toMatchObject({ code: 'E_CORRUPT' });
    const outside = makeRepo({}, { git: false });
    fs.symlinkSync(outside, path.join(dir, 'b.lock'));
    await expect(withLock(dir, 'b', () => 1)).rejects.toMatchObject({ code: 'E_SYMLINK' });
    expect(fs.readdirSync(outside)).toEqual([]);
    fs.writeFileSync(path.join(dir, 'c.lock'), 'garbage');
    await expect(withLock(dir, 'c', () => 1)).rejects.toMatchObject({ code: 'E_CORRUPT' });
    // Nothing left behind by the refused attempts.
    expect(fs.readdirSync(dir).sort()).toEqual(['a.lock', 'b.lock', 'c.lock']);
  });

  it('takes over a lock file of the older format whose holder is gone, and waits for a live one', async () => {
    const dir = makeRepo({}, { git: false });
    const legacy = path.join(dir, 'held.lock');
    fs.writeFileSync(legacy, JSON.stringify({ pid: deadPid(), host: os.hostname(), nonce: 'x' }));
    await expect(withLock(dir, 'held', () => 'ran', { timeoutMs: 150 })).resolves.toBe('ran');
    fs.writeFileSync(legacy, JSON.stringify({ pid: process.pid, host: os.hostname(), nonce: 'x' }));
    await expect(withLock(dir, 'held', () => 1, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'E_LOCK_TIMEOUT',
    });
  });

  it('an empty lock folder (a release interrupted between its two steps) is simply taken', async () => {
    const dir = makeRepo({}, { git: false });
    fs.mkdirSync(path.join(dir, 'held.lock'));
    await expect(withLock(dir, 'held', () => 'ran', { timeoutMs: 150 })).resolves.toBe('ran');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a holder broken while it holds (by a wrong judgement) does not remove its successor on release', async () => {
    const dir = makeRepo({}, { git: false });
    await withLock(dir, 'mine', () => {
      // Someone removed our holder file and took the lock: our release must leave theirs alone.
      const lock = path.join(dir, 'mine.lock');
      for (const name of fs.readdirSync(lock)) fs.unlinkSync(path.join(lock, name));
      fs.writeFileSync(path.join(lock, holderName({ ...thisProcess(), nonce: 'theirs' })), '');
    });
    expect(fs.readdirSync(path.join(dir, 'mine.lock'))).toEqual([
      holderName({ ...thisProcess(), nonce: 'theirs' }),
    ]);
  });
});

describe('root discovery (SPEC 1)', () => {
  it('prefers --root, then WFS_ROOT', () => {
    const a = makeRepo();
    const b = makeRepo();
    expect(findRoot({ root: a, env: { WFS_ROOT: b }, cwd: '/' })).toEqual({ root: a, source: 'flag' });
    expect(findRoot({ env: { WFS_ROOT: b }, cwd: '/' })).toEqual({ root: b, source: 'env' });
    expect(() => findRoot({ root: path.join(a, 'nope'), cwd: '/' })).toThrow(/not a directory/);
  });

  it('finds the nearest .workflow/, else the git top-level, never a subfolder', () => {
    const repo = makeRepo({ 'pkg/sub/deep/file.txt': 'x' });
    const deep = path.join(repo, 'pkg', 'sub', 'deep');
    expect(findRoot({ env: {}, cwd: deep })).toEqual({ root: repo, source: 'git' });
    fs.mkdirSync(path.join(repo, 'pkg', '.workflow'));
    expect(findRoot({ env: {}, cwd: deep })).toEqual({ root: path.join(repo, 'pkg'), source: 'workflow' });
  });

  it('does not climb out of a repository to a stray .workflow/ above it', () => {
    const outer = makeRepo({}, { git: false });
    fs.mkdirSync(path.join(outer, '.workflow'));
    const inner = path.join(outer, 'project');
    fs.mkdirSync(path.join(inner, '.git'), { recursive: true });
    expect(findRoot({ env: {}, cwd: inner })).toEqual({ root: inner, source: 'git' });
  });

  it('treats a worktree .git file as a repository top-level', () => {
    const dir = makeRepo({ 'wt/.git': 'gitdir: /elsewhere\n', 'wt/src/a.ts': '' }, { git: false });
    expect(findRoot({ env: {}, cwd: path.join(dir, 'wt', 'src') }).root).toBe(path.join(dir, 'wt'));
  });
});

describe('registry format', () => {
  it('round-trips and counts damaged lines', () => {
    const entry = {
      id: 'WFS-a',
      status: 'active' as const,
      type: 'workflow' as const,
      description: 'a',
      created: 't',
      updated: 't',
      directory: '.workflow/active/WFS-a',
      phase: 'PLAN' as const,
      project: 'a',
    };
    const text = serializeRegistry([entry]);
    expect(Object.keys(JSON.parse(text.trim())).slice(0, 7)).toEqual([
      'id',
      'status',
      'type',
      'description',
      'created',
      'updated',
      'directory',
    ]);
    const parsed = parseRegistry(`${text}{broken\n\n`);
    expect(parsed.get('WFS-a')).toEqual(entry);
    expect(parsed.damagedLines).toBe(1);
  });
});

describe('readers never see half a file (SPEC 1)', () => {
  it('a reader racing a writer that replaces a 200 KB file 300 times always reads a whole version', async () => {
    const dir = makeRepo({}, { git: false });
    const file = path.join(dir, 'state.json');
    const version = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(200_000) });
    fs.writeFileSync(file, version(0));
    const lib = path.resolve(import.meta.dirname, '..', '..', 'dist', 'internals.js');
    const script = `import(${JSON.stringify(lib)}).then((m) => { for (let n = 1; n <= 300; n++) m.writeFileAtomic(${JSON.stringify(file)}, JSON.stringify({ n, pad: 'x'.repeat(200000) })); })`;
    const writer = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
    const finished = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    let reads = 0;
    let torn = 0;
    let last = 0;
    let done = false;
    void finished.then(() => {
      done = true;
    });
    while (!done) {
      const text = fs.readFileSync(file, 'utf8');
      reads++;
      try {
        last = (JSON.parse(text) as { n: number }).n;
      } catch {
        torn++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await finished).toBe(0);
    expect(torn).toBe(0);
    expect(reads).toBeGreaterThan(50);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).n).toBe(300);
    expect(last).toBeGreaterThan(0);
  });
});
