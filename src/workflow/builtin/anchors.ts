import GithubSlugger from 'github-slugger';
import type { AnchorRule } from '../../core/config.js';
import type { MarkdownFacts } from './markdown.js';

/**
 * The anchors a page's headings get, by the rules of what renders it. Each renderer has its own:
 *
 * - GitHub (and Docusaurus): lower case, punctuation dropped, each space a `-`; a repeated heading
 *   gets `-1`, `-2`, ... (github-slugger, which is GitHub's own algorithm).
 * - VitePress: Unicode compatibility decomposition without its combining marks, every run of spaces
 *   and ASCII punctuation one `-`, no `-` at either end, `_` before a leading digit, lower case
 *   (`## server.ws` is `#server-ws`); repeats get `-1`, `-2`, ...
 * - MkDocs (Python-Markdown's `toc`): ASCII only, anything but letters, digits, `_`, `-` and spaces
 *   dropped, lower case, runs of spaces and `-` one `-`; repeats get `_1`, `_2`, ...
 *
 * The generators also take an explicit id written after the heading, `## Title {#custom}` (and
 * MDX's `{/* #custom *\/}`, MkDocs's attribute lists `{: #custom .class }`), which GitHub shows as
 * text. HTML `id`/`name` attributes are anchors everywhere; MkDocs's attribute lists after any
 * element (`**locale**{ #locale }`) are anchors there.
 */
export interface AnchorStyle {
  rule: AnchorRule;
  explicitIds: boolean;
}

const EXPLICIT_ID = /\s*\{(?:\/\*\s*#([^\s*]+)\s*\*\/|:?[^}]*?#([^\s}]+)[^}]*)\}\s*$/;

const VITEPRESS_SEPARATORS = /[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'\u201c\u201d\u2018\u2019<>,.?/]+/g;

function vitepressSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u0000-\u001f]/g, '')
    .replace(VITEPRESS_SEPARATORS, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^(\d)/, '_$1')
    .toLowerCase();
}

function mkdocsSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '-');
}

/** A slugger that numbers repeats as the renderer does (`x`, `x-1` or `x_1`, ...). */
function numbered(slug: (text: string) => string, separator: string): (text: string) => string {
  const seen = new Set<string>();
  return (text) => {
    const base = slug(text);
    let unique = base;
    for (let i = 1; seen.has(unique); i++) unique = `${base}${separator}${i}`;
    seen.add(unique);
    return unique;
  };
}

/** Every anchor of the page, lower-cased (links are compared without case). */
export function anchorsOf(facts: MarkdownFacts, style: AnchorStyle): Set<string> {
  const anchors = new Set(facts.htmlIds.map((id) => id.toLowerCase()));
  // Python-Markdown's attr_list gives any element an id; the other renderers show `{ #x }` as text.
  if (style.rule === 'mkdocs') for (const id of facts.attrIds) anchors.add(id.toLowerCase());
  let slug: (text: string) => string;
  if (style.rule === 'vitepress') slug = numbered(vitepressSlug, '-');
  else if (style.rule === 'mkdocs') slug = numbered(mkdocsSlug, '_');
  else {
    const slugger = new GithubSlugger();
    slug = (text) => slugger.slug(text);
  }
  for (const heading of facts.headings) {
    const explicit = style.explicitIds ? EXPLICIT_ID.exec(heading) : null;
    if (explicit) anchors.add((explicit[1] ?? explicit[2]!).toLowerCase());
    else anchors.add(slug(heading).toLowerCase());
  }
  return anchors;
}
