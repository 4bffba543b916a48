import fs from 'node:fs';

/** This much of a file is read at a time: a buffer that stays in the processor's cache. */
export const SEARCH_CHUNK = 256 * 1024;

/**
 * Where each needle first occurs in the open file `fd` (of `size` bytes) at a place `accept`
 * takes, found by reading the file in chunks of `chunkBytes` into one buffer and searching each
 * chunk for every needle; stops once all are found. Reading a 4 MB file (the registry or the
 * archive manifest at 10,000 sessions) whole into a fresh buffer and searching it once per needle
 * cost about twice as much (measured here). `accept(view, at)` is asked about a match at `view[at]`,
 * and may look at the byte before it (`view[at - 1]`, there unless the match starts the file).
 */
export function firstMatches(
  fd: number,
  size: number,
  needles: readonly Uint8Array[],
  accept: (view: Buffer, at: number, position: number) => boolean = () => true,
  chunkBytes = SEARCH_CHUNK,
): (number | undefined)[] {
  const found: (number | undefined)[] = needles.map(() => undefined);
  // Each chunk is read after the last bytes of the one before, so that a match straddling two
  // chunks is seen whole, with the byte before it. `from`: per needle, the first position where it
  // could start that no chunk has shown whole yet.
  const overlap = Math.max(0, ...needles.map((n) => n.length)) + 1;
  const from = needles.map(() => 0);
  const buffer = Buffer.allocUnsafe(chunkBytes + overlap);
  let left = needles.length;
  let kept = 0;
  for (let position = 0; position < size && left > 0; ) {
    const read = fs.readSync(fd, buffer, kept, Math.min(chunkBytes, size - position), position);
    if (read === 0) break;
    const view = buffer.subarray(0, kept + read);
    const viewStart = position - kept;
    needles.forEach((needle, i) => {
      if (found[i] !== undefined) return;
      const first = Math.max(from[i]! - viewStart, viewStart > 0 ? 1 : 0);
      for (let at = view.indexOf(needle, first); at >= 0; at = view.indexOf(needle, at + 1)) {
        if (!accept(view, at, viewStart + at)) continue;
        found[i] = viewStart + at;
        left--;
        break;
      }
      from[i] = Math.max(from[i]!, viewStart + view.length - needle.length + 1);
    });
    position += read;
    kept = Math.min(overlap, view.length);
    view.copy(buffer, 0, view.length - kept);
  }
  return found;
}
