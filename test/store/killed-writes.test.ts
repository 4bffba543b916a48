import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalCoordinator, RECORD_BYTES } from '../../src/coord/local/leases.js';
import { writeFixedRecord } from '../../src/coord/local/records.js';
import { copyFileAtomic, TEMP_SUFFIX } from '../../src/store/atomic.js';
import { cli } from '../cli.js';
import { makeRepo, tempDir } from '../helpers.js';

// A process killed inside a write is stood in for by a write that throws where the kill would land
// (after the file is opened, before or while its bytes go in): what is left under the file's name
// must be the old version, the whole new one, or nothing; never an empty or partial file (the
// torture suite's aimed kills found empty lease records and empty backups of project-tech.json).
class Killed extends Error {}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Names of a folder that a reader would take for records (temp files are swept by the doctor). */
const recordsIn = (dir: string) => fs.readdirSync(dir).filter((name) => !name.endsWith(TEMP_SUFFIX));

describe('a write killed midway leaves no partial file under its name', () => {
  it('a fixed record that did not exist yet (a lease name used for the first time)', () => {
    const dir = tempDir('wfs-killed-');
    const file = path.join(dir, 'L3.json');
    vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw new Killed();
    });
    vi.spyOn(fs, 'writeFileSync').mockImplementation(() => {
      throw new Killed();
    });
    expect(() => writeFixedRecord(file, { fence: 1 }, 128, { durable: false, what: 'A record' })).toThrow(
      Killed,
    );
    expect(recordsIn(dir)).toEqual([]);
    vi.restoreAllMocks();
    writeFixedRecord(file, { fence: 2 }, 128, { durable: false, what: 'A record' });
    expect(fs.statSync(file).size).toBe(128);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ fence: 2 });
  });

  it('a lease taken under a new name by a process that dies leaves the name free', async () => {
    const dir = tempDir('wfs-killed-');
    const coordinator = new LocalCoordinator(dir);
    // Made before the kill stands in: the folders and the counters exist as after earlier use.
    const warm = await coordinator.acquire('warm', { ttlMs: 60_000 });
    expect(warm.status).toBe('acquired');
    const writeSync = fs.writeSync;
    vi.spyOn(fs, 'writeSync').mockImplementation((...args: Parameters<typeof fs.writeSync>) => {
      // Only the lease record's own write dies; the counters and index still write.
      if (typeof args[1] === 'object' && (args[1] as Buffer).length === RECORD_BYTES) throw new Killed();
      return (writeSync as (...a: unknown[]) => number)(...args);
    });
    vi.spyOn(fs, 'writeFileSync').mockImplementation(() => {
      throw new Killed();
    });
    await expect(coordinator.acquire('L3', { ttlMs: 60_000 })).rejects.toThrow();
    vi.restoreAllMocks();
    expect(recordsIn(path.join(dir, 'leases')).sort()).toEqual(['warm.json']);
    const next = await new LocalCoordinator(dir).acquire('L3', { ttlMs: 60_000 });
    expect(next.status).toBe('acquired');
  });

  it('a copy (a backup) that dies midway', () => {
    const dir = tempDir('wfs-killed-');
    const source = path.join(dir, 'project-tech.json');
    fs.writeFileSync(source, JSON.stringify({ big: 'x'.repeat(100_000) }));
    const target = path.join(dir, 'project-tech.backup.json');
    vi.spyOn(fs, 'copyFileSync').mockImplementation((_from, to) => {
      fs.writeFileSync(to as string, '{"big": "xx');
      throw new Killed();
    });
    expect(() => copyFileAtomic(source, target)).toThrow(Killed);
    expect(recordsIn(dir)).toEqual(['project-tech.json']);
  });

  it('init --force keeps its backup of project-tech.json whole or not at all', async () => {
    const root = makeRepo({});
    expect((await cli(root, ['init'])).code).toBe(0);
    const backups = path.join(root, '.workflow', '.backups');
    const before = fs.existsSync(backups) ? recordsIn(backups) : [];
    vi.spyOn(fs, 'copyFileSync').mockImplementation((_from, to) => {
      fs.writeFileSync(to as string, '');
      throw new Killed();
    });
    await cli(root, ['init', '--force']);
    vi.restoreAllMocks();
    const after = fs.existsSync(backups) ? recordsIn(backups) : [];
    for (const name of after.filter((name) => !before.includes(name)))
      expect(() => JSON.parse(fs.readFileSync(path.join(backups, name), 'utf8'))).not.toThrow();
  });

  it('a rewrite of a record refused by the system (EFBIG: a file size limit) names the record', () => {
    const dir = tempDir('wfs-killed-');
    const file = path.join(dir, 'L9.json');
    writeFixedRecord(file, { fence: 1 }, 128, { durable: false, what: 'A record' });
    vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('EFBIG: file too large, write'), {
        code: 'EFBIG',
        errno: -27,
        syscall: 'write',
      });
    });
    let thrown: NodeJS.ErrnoException | undefined;
    try {
      writeFixedRecord(file, { fence: 2 }, 128, { durable: false, what: 'A record' });
    } catch (error) {
      thrown = error as NodeJS.ErrnoException;
    }
    expect(thrown?.code).toBe('EFBIG');
    expect(thrown?.path).toBe(file);
  });
});
