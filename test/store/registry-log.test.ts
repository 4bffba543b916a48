import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSessions } from '../../src/session/list.js';
import { startNewSession } from '../../src/session/start.js';
import { changeSessionPhase } from '../../src/session/state.js';
import { appendLinesDurably } from '../../src/store/atomic.js';
import { openProject } from '../../src/store/project.js';
import {
  appendToRegistry,
  Registry,
  type RegistryEntry,
  readRegistry,
  serializeRegistry,
} from '../../src/store/registry.js';
import { makeRepo, tempDir } from '../helpers.js';

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

const line = (e: RegistryEntry) => `${JSON.stringify(e)}\n`;

describe('the registry log', () => {
  it("reads a session's last line as its entry, found by search and by full index alike", () => {
    const text = [entry('WFS-a'), entry('WFS-b'), entry('WFS-a', 'active', 'REVIEW')].map(line).join('');
    for (const index of [false, true]) {
      const registry = Registry.parse(text);
      if (index) registry.indexAll();
      expect(registry.get('WFS-a')).toMatchObject({ status: 'active', phase: 'REVIEW' });
      expect(registry.peek('WFS-a')?.phase).toBe('REVIEW');
      expect(registry.get('WFS-b')?.status).toBe('paused');
    }
    const registry = Registry.parse(text);
    // Sessions keep the place of their first line; superseded lines are neither live nor damage.
    expect([...registry.entries()].map((e) => `${e.id}:${e.status}`)).toEqual([
      'WFS-a:active',
      'WFS-b:paused',
    ]);
    expect([registry.size, registry.lineCount, registry.damagedLines]).toEqual([2, 3, 0]);
    // Compacted: one line per session, the last one.
    expect(registry.serialize()).toBe(line(entry('WFS-a', 'active', 'REVIEW')) + line(entry('WFS-b')));
  });

  it('a file of the earlier form (one line per session) is read as it always was', () => {
    const text = serializeRegistry([entry('WFS-a'), entry('WFS-b', 'active')]);
    const registry = Registry.parse(text);
    expect([...registry.entries()].map((e) => `${e.id}:${e.status}`)).toEqual([
      'WFS-a:paused',
      'WFS-b:active',
    ]);
    expect(registry.lineCount).toBe(2);
  });

  it('a last line torn by a crash reads as damage, the session keeps its line before, and the next append starts a line of its own', () => {
    const file = path.join(tempDir(), 'session_status.jsonl');
    const torn = line(entry('WFS-a', 'active', 'REVIEW')).slice(0, 40);
    fs.writeFileSync(file, line(entry('WFS-a')) + line(entry('WFS-b')) + torn);
    expect(readRegistry(file).get('WFS-a')?.status).toBe('paused');
    // A tear that still ends in a brace (inside the description) and passes the cheap line check:
    // JSON decides, and the line before is used.
    const braced = { ...entry('WFS-b', 'active'), description: 'x } y' };
    const tornBraced = JSON.stringify(braced).slice(0, JSON.stringify(braced).indexOf('}') + 1);
    const other = path.join(tempDir(), 'session_status.jsonl');
    fs.writeFileSync(other, `${line(entry('WFS-b'))}${tornBraced}\n`);
    for (const registry of [readRegistry(other), readRegistry(other).indexAll()])
      expect(registry.get('WFS-b')?.status).toBe('paused');

    appendToRegistry(file, [entry('WFS-c', 'active')]);
    const registry = readRegistry(file);
    expect(registry.damagedLines).toBe(1);
    expect(registry.get('WFS-c')?.status).toBe('active');
    expect(registry.get('WFS-a')?.status).toBe('paused');
    expect(fs.readFileSync(file, 'utf8').endsWith(`${torn}\n${line(entry('WFS-c', 'active'))}`)).toBe(true);
  });

  it('appends without rewriting what is there, and compacts once superseded lines outnumber live ones', () => {
    const file = path.join(tempDir(), 'session_status.jsonl');
    const live = Array.from({ length: 20 }, (_, i) => entry(`WFS-s${i}`));
    appendToRegistry(file, live);
    let compactions = 0;
    let largest = 0;
    for (let change = 0; change < 500; change++) {
      const before = fs.readFileSync(file);
      const changed = entry(`WFS-s${change % 20}`, 'active', change % 2 ? 'PLAN' : 'IMPLEMENT');
      if (appendToRegistry(file, [changed])) compactions++;
      else expect(fs.readFileSync(file).subarray(0, before.length).equals(before)).toBe(true);
      largest = Math.max(largest, fs.statSync(file).size);
    }
    // ~95 KB of changes in all: the log never grows far past the point where it is first considered.
    expect(compactions).toBeGreaterThan(0);
    expect(largest).toBeLessThan(100 * 1024);
    const registry = readRegistry(file);
    expect(registry.size).toBe(20);
    expect(registry.get('WFS-s19')?.phase).toBe('PLAN');
    expect(registry.get('WFS-s0')?.phase).toBe('IMPLEMENT');
    expect(registry.lineCount).toBeLessThan(500);
    expect([...registry.entries()].map((e) => e.id)).toEqual(live.map((e) => e.id));
  });

  it('a phase change or a start appends one line per changed session, whatever the number of sessions', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    for (let i = 0; i < 5; i++) await startNewSession(ctx, { description: `task ${i}` });
    const size = () => fs.statSync(ctx.layout.registryPath).size;
    const lines = () => fs.readFileSync(ctx.layout.registryPath, 'utf8').trimEnd().split('\n');
    const before = lines();
    const bytes = fs.readFileSync(ctx.layout.registryPath);
    await changeSessionPhase(ctx, { to: 'IMPLEMENT' });
    expect(lines()).toEqual([...before, expect.stringContaining('"id":"WFS-task-4"')]);
    expect(fs.readFileSync(ctx.layout.registryPath).subarray(0, bytes.length).equals(bytes)).toBe(true);
    const atStart = size();
    // The new session, and the one it paused.
    await startNewSession(ctx, { description: 'task 5' });
    expect(
      lines()
        .slice(-2)
        .map((l) => JSON.parse(l).id),
    ).toEqual(['WFS-task-4', 'WFS-task-5']);
    expect(size()).toBeGreaterThan(atStart);
    const listed = listSessions(ctx).map((s) => `${s.id}:${s.status}:${s.phase}`);
    expect(listed).toEqual(expect.arrayContaining(['WFS-task-5:active:PLAN', 'WFS-task-4:paused:IMPLEMENT']));
  });

  it('a missing registry is rebuilt whole from the folders by the next change', async () => {
    const ctx = openProject({ cwd: makeRepo(), env: {} });
    await startNewSession(ctx, { description: 'one' });
    await startNewSession(ctx, { description: 'two' });
    fs.rmSync(ctx.layout.registryPath);
    await changeSessionPhase(ctx, { to: 'REVIEW' });
    const registry = readRegistry(ctx.layout.registryPath);
    expect([registry.size, registry.lineCount]).toEqual([2, 2]);
    expect(registry.get('WFS-two')).toMatchObject({ status: 'active', phase: 'REVIEW' });
    expect(registry.get('WFS-one')?.status).toBe('paused');
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
