import semver from 'semver';
import type { ParsedCommit } from './release-plan.js';

/**
 * The project's changelog, and a new release's section written the way that file already writes
 * them: express's `History.md` has `5.2.1 / 2025-12-01` underlined with `=` and `*` items, a
 * Keep a Changelog file `## [1.2.3] - 2026-01-01` with `### Added` groups, conventional-changelog's
 * `## [1.2.3](compare link) (date)` with `### Features`. The newest release heading is the model:
 * its version and ISO date are replaced (a compare link's versions too), its bullet, its groups and
 * their titles are kept. Pure: the workflow reads and writes the file.
 */

/** Names a changelog goes by, the likeliest first; any case, with or without an extension. */
const KINDS = [/^change[-_]?log$/i, /^history$/i, /^changes$/i, /^news$/i];
const EXTENSIONS = ['.md', '.markdown', '', '.txt', '.rst', '.adoc'];

export interface ChangelogChoice {
  file: string;
  exists: boolean;
  /** How it was chosen: `config.json`, `found`, or `new` (none found: CHANGELOG.md is made). */
  chosen_by: 'config.json' | 'found' | 'new';
  /** Other changelogs found beside it, left alone. */
  others: string[];
}

/**
 * The changelog among the project root's file names; `configured` (workflows.release-prep.changelog)
 * wins, a path that may not exist yet (`exists` says whether it does).
 */
export function findChangelog(
  rootFiles: readonly string[],
  configured?: string,
  exists: (file: string) => boolean = (file) => rootFiles.includes(file),
): ChangelogChoice {
  const ranked = rootFiles
    .map((name) => {
      const dot = name.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot).toLowerCase()] : [name, ''];
      return { name, kind: KINDS.findIndex((k) => k.test(stem)), ext: EXTENSIONS.indexOf(ext) };
    })
    .filter((c) => c.kind >= 0 && c.ext >= 0)
    .sort((a, b) => a.kind - b.kind || a.ext - b.ext || (a.name < b.name ? -1 : 1))
    .map((c) => c.name);
  if (configured !== undefined)
    return {
      file: configured,
      exists: exists(configured),
      chosen_by: 'config.json',
      others: ranked.filter((f) => f !== configured),
    };
  if (ranked.length === 0) return { file: 'CHANGELOG.md', exists: false, chosen_by: 'new', others: [] };
  return { file: ranked[0]!, exists: true, chosen_by: 'found', others: ranked.slice(1) };
}

const VERSION = /(?<![\w.])v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)(?![\w.])/;
const ISO_DATE = /\b\d{4}-\d{2}-\d{2}\b/;
const UNDERLINE = /^(=+|-+|~+|\^+)\s*$/;

interface ReleaseHeading {
  /** The line of the heading's text (0-based). */
  line: number;
  /** ATX: the `#`s; underlined: the underline's character. */
  marker: string;
  /** 1-6, the Markdown level (`=` 1, `-` 2; other underlines 3). */
  level: number;
  text: string;
  underline?: string;
  version: string;
}

interface Heading {
  line: number;
  level: number;
  text: string;
}

/** Headings outside fenced code: ATX (`## x`) and underlined (`x` then `===`), as Markdown and reStructuredText write them. */
function headingsOf(lines: readonly string[]): (Heading & { marker: string; underline?: string })[] {
  const found: (Heading & { marker: string; underline?: string })[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (opening) {
      if (fence === undefined) fence = opening[1]![0];
      else if (opening[1]![0] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const atx = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (atx) {
      found.push({ line: i, level: atx[1]!.length, text: atx[2]!, marker: atx[1]! });
      continue;
    }
    const next = lines[i + 1];
    // An underlined heading: a line of text (no list item, no indented code) over a rule of one character.
    if (
      next !== undefined &&
      UNDERLINE.test(next) &&
      line.trim() !== '' &&
      !/^(\s{4}|\s*([-*+]|\d+\.)\s)/.test(line)
    ) {
      const char = next.trim()[0]!;
      found.push({
        line: i,
        level: char === '=' ? 1 : char === '-' ? 2 : 3,
        text: line.trim(),
        marker: char,
        underline: next.trimEnd(),
      });
      i++;
    }
  }
  return found;
}

function releasesOf(lines: readonly string[]): ReleaseHeading[] {
  return headingsOf(lines).flatMap((h) => {
    const version = VERSION.exec(h.text)?.[1];
    return version !== undefined && semver.valid(version) ? [{ ...h, version }] : [];
  });
}

export interface ChangelogStyle {
  /** The newest release heading, as it is written; undefined: the file has none (or is new). */
  model?: { marker: string; level: number; text: string; underline?: string; version: string };
  bullet: string;
  /** Group titles, when the releases are grouped (`### Features`): ours mapped to the file's own. */
  groups?: { level: number; titles: Record<GroupKey, string> };
  /** Newest release first (the usual), or at the end. */
  newestFirst: boolean;
  /** For people: how the section will look and where it goes. */
  description: string;
  /** A reason the section cannot be placed (a file that is not Markdown and has no release heading). */
  problem?: string;
}

type GroupKey = 'breaking' | 'features' | 'fixes' | 'performance';
const GROUPS: [GroupKey, string, RegExp, (c: ParsedCommit) => boolean][] = [
  ['breaking', 'Breaking changes', /breaking/i, (c) => c.breaking],
  [
    'features',
    'Features',
    /feature|added|improvement|enhancement|\bnew\b/i,
    (c) => !c.breaking && c.type === 'feat',
  ],
  ['fixes', 'Bug fixes', /fix/i, (c) => !c.breaking && c.type === 'fix'],
  ['performance', 'Performance', /perf/i, (c) => !c.breaking && c.type === 'perf'],
];

const DEFAULT_STYLE: ChangelogStyle = {
  bullet: '-',
  groups: {
    level: 3,
    titles: {
      breaking: 'Breaking changes',
      features: 'Features',
      fixes: 'Bug fixes',
      performance: 'Performance',
    },
  },
  newestFirst: true,
  description: '',
};

/** How this changelog writes a release (`markdown`: the file is Markdown, so a new one can be begun). */
export function changelogStyle(text: string | undefined, markdown: boolean): ChangelogStyle {
  if (text === undefined || text.trim() === '')
    return { ...DEFAULT_STYLE, description: 'a new file: "## [X.Y.Z] - date" with grouped "-" items' };
  const lines = text.split('\n');
  const releases = releasesOf(lines);
  const model = releases[0];
  if (model === undefined) {
    if (!markdown)
      return {
        ...DEFAULT_STYLE,
        description: 'no release heading found',
        problem:
          'has no release heading (a line with a version, as a heading or underlined) to write the new one like: write its section by hand, or name another file in workflows.release-prep.changelog',
      };
    return { ...DEFAULT_STYLE, description: 'no release heading yet: "## [X.Y.Z] - date" at the end' };
  }
  const newestFirst = releases.length < 2 || !semver.lt(model.version, releases[1]!.version);
  // The model release's own lines: to its next heading of its level or above.
  const all = headingsOf(lines);
  const after = all.find((h) => h.line > model.line && h.level <= model.level);
  const end = after?.line ?? lines.length;
  const body = lines.slice(model.line + (model.underline ? 2 : 1), end);
  const bullet = /^\s*([-*+])\s/.exec(body.find((l) => /^\s*[-*+]\s/.test(l)) ?? '')?.[1] ?? '-';
  const sub = all.filter((h) => h.line > model.line && h.line < end && h.level > model.level);
  let groups: ChangelogStyle['groups'];
  if (sub.length > 0) {
    // Each of ours by the title this file already uses for it (anywhere in it), else ours.
    const titles = {} as Record<GroupKey, string>;
    for (const [key, title, pattern] of GROUPS)
      titles[key] =
        all.find((h) => h.level > 1 && !VERSION.test(h.text) && pattern.test(h.text))?.text ?? title;
    groups = { level: sub[0]!.level, titles };
  }
  const shownModel = model.underline
    ? `"${model.text}" underlined with ${model.marker}`
    : `"${model.marker} ${model.text}"`;
  return {
    model: {
      marker: model.marker,
      level: model.level,
      text: model.text,
      ...(model.underline ? { underline: model.underline } : {}),
      version: model.version,
    },
    bullet,
    ...(groups ? { groups } : {}),
    newestFirst,
    description: `in its style: headings like ${shownModel}, "${bullet}" items${groups ? `, grouped (${Object.values(groups.titles).join(', ')})` : ''}; ${newestFirst ? `before ${model.version}` : 'at the end (oldest release first)'}`,
  };
}

/** The heading text for `version`, made from the model's: its version, ISO date and compare link replaced. */
function headingText(
  model: NonNullable<ChangelogStyle['model']>,
  version: string,
  date: string,
): string | undefined {
  let text = model.text.replace(/\]\(([^)]*)\)/g, (_all, url: string) => {
    // A compare link, `v1.2.2...v1.2.3`: the model's version becomes the start, the new one the end.
    const marked = url.split(model.version).join('\u0000');
    const from = marked.replace(/\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?/g, model.version);
    return `](${from.split('\u0000').join(version)})`;
  });
  text = text.replace(new RegExp(`(?<![\\w.])${model.version.replace(/[.+]/g, '\\$&')}(?![\\w.])`), version);
  text = text.replace(ISO_DATE, date);
  // Anything else that looks like a date or a number (a codename, another date format) would be the
  // old release's: not copied.
  const rest = text
    .replace(/\]\([^)]*\)/g, '](link)')
    .replace(version, '')
    .replace(date, '');
  return /\d/.test(rest) ? undefined : text;
}

/** The section for `version`, written in `style`. */
export function renderSection(
  style: ChangelogStyle,
  version: string,
  date: string,
  commits: readonly ParsedCommit[],
): string {
  const model = style.model;
  const text = model ? headingText(model, version, date) : undefined;
  const lines: string[] = [];
  if (model && text !== undefined) {
    if (model.underline) {
      const char = model.marker;
      const length =
        model.underline.length === model.text.length
          ? text.length
          : Math.max(model.underline.length, text.length);
      lines.push(text, char.repeat(length));
    } else lines.push(`${model.marker} ${text}`);
  } else if (model?.underline)
    lines.push(`${version} / ${date}`, model.marker.repeat(version.length + 3 + date.length));
  else lines.push(`${model?.marker ?? '##'} [${version}] - ${date}`);
  lines.push('');
  const entry = (c: ParsedCommit, prefix = '') =>
    `${style.bullet} ${prefix}${c.scope ? `**${c.scope}:** ` : ''}${c.subject} (${c.hash.slice(0, 7)})`;
  if (style.groups) {
    for (const [key, , , belongs] of GROUPS) {
      const entries = commits.filter(belongs);
      if (entries.length === 0) continue;
      lines.push(`${'#'.repeat(style.groups.level)} ${style.groups.titles[key]}`, '');
      for (const c of entries) lines.push(entry(c));
      lines.push('');
    }
  } else {
    // Not grouped: one list, breaking changes first and said so.
    for (const [key, , , belongs] of GROUPS)
      for (const c of commits.filter(belongs))
        lines.push(entry(c, key === 'breaking' ? '**Breaking:** ' : ''));
    lines.push('');
  }
  return lines.join('\n');
}

/** The changelog with the section where its style puts it (a new file: under a `# Changelog` title). */
export function placeSection(text: string | undefined, section: string, style: ChangelogStyle): string {
  if (style.problem) throw new Error(style.problem);
  if (text === undefined || text.trim() === '') return `# Changelog\n\n${section}`;
  const lines = text.split('\n');
  const newest = releasesOf(lines)[0];
  if (newest === undefined || !style.newestFirst) return `${text.replace(/\n*$/, '\n\n')}${section}`;
  return [...lines.slice(0, newest.line), ...section.split('\n'), ...lines.slice(newest.line)].join('\n');
}

/** A heading above the newest release that says it collects unreleased changes (`## [Unreleased]`). */
export function unreleasedHeading(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const newest = releasesOf(lines)[0];
  return headingsOf(lines).find(
    (h) => (newest === undefined || h.line < newest.line) && /unreleased/i.test(h.text),
  )?.text;
}
