import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { completeSession } from '../../src/session/archive.js';
import { pauseSession, resumeSession, switchSession } from '../../src/session/lifecycle.js';
import { listSessions } from '../../src/session/list.js';
import { startNewSession } from '../../src/session/start.js';
import { changeSessionPhase } from '../../src/session/state.js';
import { appendLinesDurably } from '../../src/store/atomic.js';
import { openProject } from '../../src/store/project.js';
import {
  locateRegistryLines,
  Registry,
  type RegistryEntry,
  readRegistry,
  registryLine,
  serializeRegistry,
  updateRegistry,
} from '../../src/store/registry.js';
import { makeRepo, readJson, registryLines, tempDir } from '../helpers.js';

const entry = (id: string, status = 'paused', phase = 'PLAN'): RegistryEntry => ({
  id,
  status: status as 'paused',
  type: 'workflow',
  description: `d ${id}`,
  created: 't',
  updated: 't',
  directory: `.workflow/active/${id}`,
  phase: phase as 'PLAN',
  project: id,
});

/** Every line parses on its own, and no session has two (SPEC 2). */
function linesOf(file: string): RegistryEntry[] {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RegistryEntry);
  expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
  return lines;
}

function registryFile(entries: RegistryEntry[]): string {
  const file = path.join(tempDir(), 'session_status.jsonl');
  fs.writeFileSync(file, serializeRegistry(entries));
  return file;
}

describe('registry lines', () => {
  it('are compact JSON with room: spaces up to a multiple of 32 bytes, at least 16, that every JSONL reader ignores', () => {
    for (const e of [entry('WFS-a'), { ...entry('WFS-b'), description: 'Grüße 🔐 '.repeat(7) }]) {
      const line = registryLine(e);
      const bytes = Buffer.byteLength(line);
      expect(bytes % 32).toBe(0);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.trimEnd()).toBe(JSON.stringify(e));
      expect(bytes - Buffer.byteLength(JSON.stringify(e)) - 1).toBeGreaterThanOrEqual(16);
      expect(JSON.parse(line)).toEqual(e);
    }
    const registry = Registry.parse(serializeRegistry([entry('WFS-a'), entry('WFS-b', 'active')]));
    expect([registry.get('WFS-b')?.status, registry.damagedLines]).toEqual(['active', 0]);
  });

  it('a second line of a session is damage, and the first is the one read and changed', () => {
    const text = registryLine(entry('WFS-a')) + registryLine(entry('WFS-a', 'active'));
    const registry = Registry.parse(text);
    expect(registry.get('WFS-a')?.status).toBe('paused');
    expect(registry.indexAll().get('WFS-a')?.status).toBe('paused');
    expect([registry.size, registry.damagedLines]).toEqual([1, 1]);
  });
});

describe('entriesById (listing)', () => {
  it('parses the whole file at once, and line by line when a line is damaged, empty, doubled or holds two objects', () => {
    const good = serializeRegistry([entry('WFS-a'), entry('WFS-b', 'active')]);
    const ids = (text: string) =>
      [...Registry.parse(text).entriesById().values()].map((e) => `${e.id}:${e.status}`);
    expect(ids(good)).toEqual(['WFS-a:paused', 'WFS-b:active']);
    expect(ids(`${good}{"id":"WFS-c","sta\n`)).toEqual(['WFS-a:paused', 'WFS-b:active']);
    expect(ids(`${good}\n\n${registryLine(entry('WFS-c'))}`)).toEqual([
      'WFS-a:paused',
      'WFS-b:active',
      'WFS-c:paused',
    ]);
    expect(ids(`${good}${registryLine(entry('WFS-a', 'active'))}`)).toEqual(['WFS-a:paused', 'WFS-b:active']);
    // Two objects on one line are one damaged line, not two sessions.
    const two = `${JSON.stringify(entry('WFS-c'))},${JSON.stringify(entry('WFS-d'))}\n`;
    expect(ids(good + two)).toEqual(['WFS-a:paused', 'WFS-b:active']);
    expect(Registry.parse(undefined).entriesById().size).toBe(0);
  });
});

describe('entryChunks (listing 10,000 sessions)', () => {
  it('yields runs of whole lines in file order; a damaged line makes only its run go line by line', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `WFS-s${i}`);
    const lines = ids.map((id) => registryLine(entry(id)));
    lines[17] = '{"id":"WFS-s17","sta\n';
    // A doubled line in a later run: yielded again, and the first counts for entriesById.
    lines.push(registryLine(entry('WFS-s2', 'active')));
    const registry = Registry.parse(lines.join(''));
    const chunks = [...registry.entryChunks(1_000)];
    expect(chunks.length).toBeGreaterThan(5);
    const seen = chunks.flat().map((e) => e.id);
    expect(seen).toEqual([...ids.filter((id) => id !== 'WFS-s17'), 'WFS-s2']);
    expect(registry.entriesById().get('WFS-s2')?.status).toBe('paused');
    expect([...registry.entriesById().keys()]).toEqual(ids.filter((id) => id !== 'WFS-s17'));
    expect([...Registry.parse('').entryChunks()].flat()).toEqual([]);
  });
});

describe('updateRegistry', () => {
  it('overwrites a changed line in place, one line per session, the other bytes untouched', () => {
    const file = registryFile([entry('WFS-a'), entry('WFS-b'), entry('WFS-c')]);
    const before = fs.readFileSync(file);
    const ino = fs.statSync(file).ino;
    const changed = { ...entry('WFS-b', 'completed', 'IMPLEMENT'), directory: '.workflow/archives/WFS-b' };
    expect(updateRegistry(file, readRegistry(file), [changed])).toBe('in-place');
    const after = fs.readFileSync(file);
    // Same file (no rename), same length, only the second line differs.
    expect([fs.statSync(file).ino, after.length]).toEqual([ino, before.length]);
    const [a, b, c] = before.toString().split('\n');
    const [a2, b2, c2] = after.toString().split('\n');
    expect([a2, c2]).toEqual([a, c]);
    expect(b2).not.toBe(b);
    expect(b2!.length).toBe(b!.length);
    expect(linesOf(file).map((l) => `${l.id}:${l.status}`)).toEqual([
      'WFS-a:paused',
      'WFS-b:completed',
      'WFS-c:paused',
    ]);
    expect(readRegistry(file).get('WFS-b')).toEqual(changed);
  });

  it('appends a new session after the others, the file as it was kept byte for byte', () => {
    const file = registryFile([entry('WFS-a'), entry('WFS-b', 'active')]);
    const before = fs.readFileSync(file);
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-b'), entry('WFS-c', 'active')])).toBe(
      'in-place',
    );
    const after = fs.readFileSync(file);
    expect(after.length).toBe(before.length + Buffer.byteLength(registryLine(entry('WFS-c', 'active'))));
    expect(linesOf(file).map((l) => `${l.id}:${l.status}`)).toEqual([
      'WFS-a:paused',
      'WFS-b:paused',
      'WFS-c:active',
    ]);
  });

  it('a line that outgrew its room rewrites the file atomically, with room on every line', () => {
    const file = registryFile([entry('WFS-a'), entry('WFS-b')]);
    const ino = fs.statSync(file).ino;
    const longer = { ...entry('WFS-a', 'active'), description: 'a much longer description '.repeat(4) };
    expect(updateRegistry(file, readRegistry(file), [longer, entry('WFS-c')])).toBe('rewritten');
    expect(fs.statSync(file).ino).not.toBe(ino);
    expect(fs.readFileSync(file, 'utf8')).toBe(serializeRegistry([longer, entry('WFS-b'), entry('WFS-c')]));
    // And the next change of that session fits again.
    expect(updateRegistry(file, readRegistry(file), [{ ...longer, status: 'paused' }])).toBe('in-place');
  });

  it('reads a registry written without room as it is; its first change that does not fit rewrites it with room', () => {
    const file = path.join(tempDir(), 'session_status.jsonl');
    const old = `${JSON.stringify(entry('WFS-a'))}\n${JSON.stringify(entry('WFS-b'))}\n`;
    fs.writeFileSync(file, old);
    expect(readRegistry(file).get('WFS-b')?.status).toBe('paused');
    expect([...readRegistry(file).entries()].map((e) => e.id)).toEqual(['WFS-a', 'WFS-b']);
    // A change of the same length fits even without room; a longer one rewrites.
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-a', 'active')])).toBe('in-place');
    expect(fs.readFileSync(file, 'utf8')).toBe(old.replace('paused', 'active'));
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-a', 'completed')])).toBe('rewritten');
    expect(fs.readFileSync(file, 'utf8')).toBe(
      serializeRegistry([entry('WFS-a', 'completed'), entry('WFS-b')]),
    );
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-a')])).toBe('in-place');
  });

  it('after a kill mid-append (a torn last line) the next change rewrites the file: one whole line per session again', () => {
    const file = registryFile([entry('WFS-a'), entry('WFS-b')]);
    const torn = registryLine(entry('WFS-c', 'active')).slice(0, 40);
    fs.appendFileSync(file, torn);
    // Read meanwhile: the torn line is damage, the session it began has no line (its folder decides).
    const read = readRegistry(file);
    expect([read.get('WFS-c'), read.indexAll().damagedLines]).toEqual([undefined, 1]);
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-a', 'active')])).toBe('rewritten');
    expect(linesOf(file).map((l) => `${l.id}:${l.status}`)).toEqual(['WFS-a:active', 'WFS-b:paused']);
    expect(readRegistry(file).damagedLines).toBe(0);
  });

  it("a damaged line in the middle is overwritten whole by its session's next change", () => {
    const file = registryFile([entry('WFS-a'), entry('WFS-b'), entry('WFS-c')]);
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf('{"id":"WFS-b"');
    // Half of the line lost, as a machine crash could leave a line that crossed a page boundary.
    fs.writeFileSync(file, `${text.slice(0, at + 30)}${'\0'.repeat(20)}${text.slice(at + 50)}`);
    expect(readRegistry(file).get('WFS-b')).toBeUndefined();
    expect(readRegistry(file).indexAll().get('WFS-c')?.id).toBe('WFS-c');
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-b', 'active')])).toBe('in-place');
    expect(linesOf(file).map((l) => `${l.id}:${l.status}`)).toEqual([
      'WFS-a:paused',
      'WFS-b:active',
      'WFS-c:paused',
    ]);
  });

  it('rewrites when the file changed size since it was read (offsets no longer true)', () => {
    const file = registryFile([entry('WFS-a'), entry('WFS-b')]);
    const read = readRegistry(file);
    fs.appendFileSync(file, registryLine(entry('WFS-c')));
    expect(updateRegistry(file, read, [entry('WFS-a', 'active')])).toBe('rewritten');
    expect(linesOf(file).map((l) => `${l.id}:${l.status}`)).toEqual([
      'WFS-a:active',
      'WFS-b:paused',
      'WFS-c:paused',
    ]);
  });

  it('creates the file with the first session', () => {
    const file = path.join(tempDir(), 'session_status.jsonl');
    expect(updateRegistry(file, readRegistry(file), [entry('WFS-a', 'active')])).toBe('in-place');
    expect(fs.readFileSync(file, 'utf8')).toBe(registryLine(entry('WFS-a', 'active')));
  });
});

describe('the registry through the session commands', () => {
  it('holds one line per session, matching its folder, after start, phase, pause, resume, switch, complete and archive; none of them rewrites it', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const file = ctx.layout.registryPath;
    await startNewSession(ctx, { description: 'one' });
    const ino = fs.statSync(file).ino;
    const check = () => {
      const lines = registryLines(ctx.layout.root);
      for (const line of lines) {
        const state = readJson<{ status: string; current_phase: string }>(
          path.join(ctx.layout.root, String(line.directory), 'workflow-session.json'),
        );
        expect(`${line.id}:${line.status}:${line.phase}`).toBe(
          `${line.id}:${state.status}:${state.current_phase}`,
        );
      }
      // In place or appended: the same file all along.
      expect(fs.statSync(file).ino).toBe(ino);
      return lines.map((l) => `${l.id}:${l.status}`);
    };
    await startNewSession(ctx, { description: 'two' });
    await startNewSession(ctx, { description: 'three' });
    expect(check()).toEqual(['WFS-one:paused', 'WFS-two:paused', 'WFS-three:active']);
    await changeSessionPhase(ctx, { to: 'IMPLEMENT' });
    await changeSessionPhase(ctx, { to: 'REVIEW' });
    await pauseSession(ctx);
    expect(check()).toEqual(['WFS-one:paused', 'WFS-two:paused', 'WFS-three:paused']);
    await resumeSession(ctx, 'WFS-three');
    await switchSession(ctx, 'WFS-one');
    expect(check()).toEqual(['WFS-one:active', 'WFS-two:paused', 'WFS-three:paused']);
    await completeSession(ctx, 'WFS-two');
    await completeSession(ctx, 'WFS-one', { archive: false });
    expect(check()).toEqual(['WFS-one:completed', 'WFS-two:archived', 'WFS-three:paused']);
    const listed = listSessions(ctx, { includeArchived: true }).map(
      (s) => `${s.id}:${s.status}:${s.location}`,
    );
    expect(listed.sort()).toEqual([
      'WFS-one:completed:active',
      'WFS-three:paused:active',
      'WFS-two:archived:archives',
    ]);
  });

  it('a missing registry is rebuilt whole from the folders by the next change', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'one' });
    await startNewSession(ctx, { description: 'two' });
    fs.rmSync(ctx.layout.registryPath);
    await changeSessionPhase(ctx, { to: 'REVIEW' });
    expect(registryLines(ctx.layout.root).map((l) => `${l.id}:${l.status}:${l.phase}`)).toEqual([
      'WFS-one:paused:PLAN',
      'WFS-two:active:REVIEW',
    ]);
  });
});

describe('listing many sessions (the registry read run by run)', () => {
  it('stays true when files were edited in place, removed, made by hand, or the registry damaged', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    const ids: string[] = [];
    // More than a listing looks up one by one (64): the registry is read run by run.
    for (let i = 0; i < 70; i++)
      ids.push((await startNewSession(ctx, { description: `task ${i}` })).session_id);
    const file = (id: string) => path.join(ctx.layout.activeDir, id, 'workflow-session.json');
    // Edited in place by hand (same inode, new size), removed, and a folder the registry never saw.
    const edited = JSON.parse(fs.readFileSync(file(ids[5]!), 'utf8')) as Record<string, unknown>;
    const fd = fs.openSync(file(ids[5]!), 'r+');
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, JSON.stringify({ ...edited, current_phase: 'REVIEW', project: 'edited by hand' }), 0);
    fs.closeSync(fd);
    fs.rmSync(file(ids[6]!));
    fs.cpSync(path.join(ctx.layout.activeDir, ids[8]!), path.join(ctx.layout.activeDir, 'WFS-by-hand'), {
      recursive: true,
    });
    const copied = JSON.parse(fs.readFileSync(file('WFS-by-hand'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file('WFS-by-hand'), JSON.stringify({ ...copied, session_id: 'WFS-by-hand' }));
    // A damaged line, and a doubled one (the first counts) after the others.
    const lines = fs.readFileSync(ctx.layout.registryPath, 'utf8').split('\n');
    const seventh = lines.findIndex((line) => line.startsWith(`{"id":"${ids[7]}"`));
    const ninth = lines.find((line) => line.startsWith(`{"id":"${ids[9]}"`))!;
    lines[seventh] = lines[seventh]!.slice(0, 40);
    lines.splice(-1, 0, ninth.replace('"status":"paused"', '"status":"completed"'));
    fs.writeFileSync(ctx.layout.registryPath, lines.join('\n'));

    const listed = listSessions(ctx);
    const byId = new Map(listed.map((s) => [s.id, s]));
    // 70 made, one by hand; the folder without its file is listed, marked corrupt, never hidden.
    expect(listed).toHaveLength(71);
    expect(byId.get(ids[6]!)?.corrupt).toBe(true);
    expect([byId.get(ids[5]!)?.phase, byId.get(ids[5]!)?.project]).toEqual(['REVIEW', 'edited by hand']);
    expect(byId.get(ids[7]!)?.status).toBe('paused');
    expect(byId.get(ids[9]!)?.status).toBe('paused');
    expect(byId.get('WFS-by-hand')?.project).toBe('task 8');
    const order = listed.map((s) => `${s.updated} ${s.id}`);
    expect(order).toEqual(
      [...order].sort((a, b) => (a.slice(0, 24) === b.slice(0, 24) ? (a < b ? -1 : 1) : a < b ? 1 : -1)),
    );
  });
});

describe('durable appends', () => {
  it('create the file, end a torn line before appending, and report the sizes', () => {
    const file = path.join(tempDir(), 'log.jsonl');
    expect(appendLinesDurably(file, '{"a":1}\n')).toEqual({ before: 0, after: 8 });
    fs.appendFileSync(file, '{"b":');
    expect(appendLinesDurably(file, '{"c":3}\n')).toEqual({ before: 13, after: 22 });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":\n{"c":3}\n');
  });

  it('never append through a link', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'elsewhere'), '');
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'log.jsonl'));
    expect(() => appendLinesDurably(path.join(dir, 'log.jsonl'), 'x\n')).toThrow(/link/);
    expect(fs.readFileSync(path.join(dir, 'elsewhere'), 'utf8')).toBe('');
  });
});

describe("locating sessions' lines in the registry file, chunk by chunk", () => {
  it('finds the lines Registry.findLine finds, whatever the chunk size, in a file with damage, doubled lines and a torn end', () => {
    const entry = (id: string, description = `work on ${id}`): RegistryEntry => ({
      id,
      status: 'active',
      type: 'workflow',
      description,
      created: '2026-12-04T00:00:00.000Z',
      updated: '2026-12-04T00:00:00.000Z',
      directory: `.workflow/active/${id}`,
      phase: 'PLAN',
      project: id,
    });
    const file = path.join(tempDir(), 'session_status.jsonl');
    const text = [
      registryLine(entry('WFS-a')),
      // A line that mentions another session's line inside a string: not at a line start.
      registryLine(entry('WFS-b', 'see {"id":"WFS-c", below')),
      'damaged line {"id":"WFS-d",\n',
      registryLine(entry('WFS-c')),
      registryLine(entry('WFS-a', 'a second line of WFS-a: the first one counts')),
      `${registryLine(entry('WFS-long', 'x'.repeat(9_000)))}`,
      registryLine(entry('WFS-d')),
      // The last line torn by a crash during an append: no newline.
      JSON.stringify(entry('WFS-torn')),
    ].join('');
    fs.writeFileSync(file, text);
    const whole = Registry.parse(Buffer.from(text));
    const ids = ['WFS-a', 'WFS-b', 'WFS-c', 'WFS-d', 'WFS-long', 'WFS-torn', 'WFS-absent', 'WFS-'];
    for (const chunk of [1, 7, 16, 33, 64, 100, 257, 1024, 4096, 256 * 1024]) {
      const located = locateRegistryLines(file, ids, chunk);
      expect(located.exists).toBe(true);
      expect(located.size).toBe(Buffer.byteLength(text));
      expect(located.endsWithNewline).toBe(false);
      for (const id of ids)
        expect(located.findLine(id), `${id}, chunks of ${chunk}`).toEqual(whole.findLine(id));
    }
    expect(whole.findLine('WFS-torn')?.terminated).toBe(false);
    expect(whole.findLine('WFS-absent')).toBeUndefined();
    // One ID at a time finds the same as all of them at once.
    for (const id of ids)
      expect(locateRegistryLines(file, [id], 64).findLine(id)).toEqual(whole.findLine(id));
    fs.appendFileSync(file, '\n');
    expect(locateRegistryLines(file, ['WFS-a']).endsWithNewline).toBe(true);
    expect(locateRegistryLines(path.join(path.dirname(file), 'none.jsonl'), ['WFS-a']).exists).toBe(false);
  });

  it('a change of the sessions through the located lines writes what a change through the whole file writes', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    for (let i = 0; i < 40; i++) await startNewSession(ctx, { description: `task ${i}` });
    const file = ctx.layout.registryPath;
    const before = fs.readFileSync(file);
    const changed = [registryLines(ctx.layout.root)[3], registryLines(ctx.layout.root)[30]].map((line) => ({
      ...(line as unknown as RegistryEntry),
      phase: 'IMPLEMENT' as const,
    }));
    const added = { ...(registryLines(ctx.layout.root)[0] as unknown as RegistryEntry), id: 'WFS-new-one' };
    expect(updateRegistry(file, Registry.parse(before), [...changed, added])).toBe('in-place');
    const throughWhole = fs.readFileSync(file);
    fs.writeFileSync(file, before);
    const ids = [...changed, added].map((e) => e.id);
    expect(updateRegistry(file, locateRegistryLines(file, ids, 512), [...changed, added])).toBe('in-place');
    expect(fs.readFileSync(file).equals(throughWhole)).toBe(true);
  });
});
