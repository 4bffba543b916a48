import fs from 'node:fs';

/**
 * The page's own script and style sheet: plain files in `assets/`, served as written (no build
 * chain). Read beside this module where the sources or the library run; the CLI's bundle holds them
 * instead (scripts/build.mjs replaces this module with one that has them inside).
 */
export type StaticFile = 'dashboard.js' | 'dashboard.css';

const read = new Map<StaticFile, string>();

export function staticFile(name: StaticFile): string {
  let text = read.get(name);
  if (text === undefined) {
    text = fs.readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    read.set(name, text);
  }
  return text;
}
