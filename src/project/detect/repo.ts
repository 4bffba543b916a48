import path from 'node:path';
import { compareText } from '../../core/ids.js';

/** Reads a file of the repository by its relative path; undefined when it cannot be read. */
export type Reader = (relativePath: string) => string | undefined;

export type Json = Record<string, unknown>;

/**
 * What a detector sees of the repository: the scanned file list and the files' text through the
 * Reader seam. Detectors never touch the disk, so tests feed them small file trees in memory.
 */
export interface Repo {
  /** Relative paths with `/`, sorted. */
  readonly files: readonly string[];
  has(file: string): boolean;
  /** A scanned file's text (a file the scan did not list is never read). */
  read(file: string): string | undefined;
  /** A scanned JSON file whose value is an object; undefined when missing or not such JSON. */
  json(file: string): Json | undefined;
  /** The value of a derivation shared by several detectors, computed once per repository. */
  once<T>(derive: (repo: Repo) => T): T;
}

export function repoView(files: readonly string[], reader: Reader): Repo {
  const sorted = [...files].sort(compareText);
  const set = new Set(sorted);
  const texts = new Map<string, string | undefined>();
  const parsed = new Map<string, Json | undefined>();
  const derived = new Map<unknown, unknown>();
  const read = (file: string): string | undefined => {
    if (!set.has(file)) return undefined;
    if (!texts.has(file)) texts.set(file, reader(file));
    return texts.get(file);
  };
  const repo: Repo = {
    files: sorted,
    has: (file) => set.has(file),
    read,
    json: (file) => {
      // Parsed once and shared: detectors only read the values.
      if (!parsed.has(file)) parsed.set(file, parseJson(read(file)));
      return parsed.get(file);
    },
    once: <T>(derive: (r: Repo) => T): T => {
      if (!derived.has(derive)) derived.set(derive, derive(repo));
      return derived.get(derive) as T;
    },
  };
  return repo;
}

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown): Json {
  return isRecord(value) ? value : {};
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function parseJson(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON with comments and trailing commas (tsconfig.json). Written here rather than taken from a
 * library: the only dependency allowed in would be for these twenty lines, run once per `wfs init`.
 */
export function parseJsonc(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
      out += ' ';
    } else out += c;
  }
  return parseJson(out.replace(/,(\s*[}\]])/g, '$1'));
}

/**
 * The sections of a TOML file by header (`project`, `tool.poetry.dependencies`; `''` before the
 * first), each its body's text. Enough for the manifests read here, which need dependency names
 * and a few strings, not values: no TOML parser is a dependency of wfs.
 */
export function tomlSections(text: string | undefined): Map<string, string> {
  const sections = new Map<string, string>();
  if (text === undefined) return sections;
  let header = '';
  let body: string[] = [];
  const flush = () => sections.set(header, (sections.get(header) ?? '') + body.join('\n'));
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (match) {
      flush();
      header = match[1]!.replace(/["']/g, '');
      body = [];
    } else body.push(line);
  }
  flush();
  return sections;
}

/** A `key = "value"` string of a TOML section. */
export function tomlString(section: string | undefined, key: string): string | undefined {
  if (section === undefined) return undefined;
  return new RegExp(`^\\s*${escapeRegExp(key)}\\s*=\\s*["']([^"']*)["']`, 'm').exec(section)?.[1];
}

/** The text inside the brackets of a `key = [ ... ]` TOML array (possibly over several lines). */
export function tomlArray(section: string | undefined, key: string): string | undefined {
  if (section === undefined) return undefined;
  return new RegExp(`^\\s*${escapeRegExp(key)}\\s*=\\s*\\[([\\s\\S]*?)\\]\\s*(#.*)?$`, 'm').exec(
    section,
  )?.[1];
}

/** The quoted strings in a piece of text (a TOML array's items). */
export function quotedStrings(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...text.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Does a manifest's text declare this dependency name (requirements, Gemfile, Cargo.toml, go.mod)? */
export function declares(text: string, name: string): boolean {
  return new RegExp(`(^|[\\s"'\\[(,])${escapeRegExp(name)}($|[\\s"'<>=~!;,\\[\\]()@/:.]|\\.v)`, 'im').test(
    text,
  );
}

export function pick(map: Record<string, string>, has: (dependency: string) => boolean): string[] {
  return Object.entries(map)
    .filter(([dependency]) => has(dependency))
    .map(([, label]) => label);
}

export function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** The folder of a relative path (`''` for the root). */
export function dirName(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash === -1 ? '' : file.slice(0, slash);
}

/** Joins relative paths, normalised (`./`, `..`), `''` for the root; one that leaves the root starts with `..`. */
export function joinPath(...parts: string[]): string {
  const joined = path.posix.normalize(path.posix.join('.', ...parts));
  return joined === '.' ? '' : joined.replace(/\/$/, '');
}

/** A declared path (`./dist/index.js`) as a relative path inside its package. */
export function cleanPath(declared: string): string {
  return declared.replace(/^\.\//, '').replace(/\/$/, '');
}

/**
 * A workspace glob (`packages/*`, `playground/**`, `{apps,libs}/*`) as a regular expression for
 * relative paths: `*` and `?` stay inside one folder, `**` crosses any number of them.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end === -1) source += '\\{';
      else {
        source += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) => escapeRegExp(alt))
          .join('|')})`;
        i = end;
      }
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}
