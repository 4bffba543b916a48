import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString as textOf } from 'mdast-util-to-string';

/**
 * What docs-check needs from a Markdown file, from one parse: every link, image and link
 * definition with its line, the text of every heading, the `id`/`name` attributes of its HTML, and
 * its front matter. Parsed with micromark (CommonMark), so links in code blocks and code spans are
 * not links, as on GitHub and in the site generators.
 */
export interface MarkdownLink {
  url: string;
  line: number;
}

export interface MarkdownFacts {
  links: MarkdownLink[];
  /** Each heading's text as rendered: HTML left out (`## x <Badge />` is `x`), trimmed. */
  headings: string[];
  /** `<a id="x">`, `<span name="x">`: anchors written in HTML, which every renderer keeps. */
  htmlIds: string[];
  /** `{ #x }` after an element in running text: an attribute list (MkDocs's attr_list), outside headings. */
  attrIds: string[];
  /** `--8<-- "file"` lines: files pymdownx.snippets (MkDocs) puts in the page. */
  snippets: string[];
  /** The YAML between a first line `---` and the next `---` or `...`, when there is one. */
  frontMatter?: string;
}

const HTML_ID = /\b(?:id|name)\s*=\s*(?:"([^"]+)"|'([^']+)')/g;
const SNIPPET = /^[ \t]*-{1,}8<-{1,}[ \t]+(["'])([^"'\n]+)\1[ \t]*$/gm;
const ATTR_ID = /\{:?[^{}]*?(?<![\w&])#([A-Za-z][\w-]*)[^{}]*\}/g;

/**
 * Front matter is metadata to GitHub and to every site generator, never content: left out of the
 * parse (its lines kept blank, so line numbers stay true), or its `---` would make a heading of it.
 */
function splitFrontMatter(text: string): { body: string; frontMatter?: string } {
  if (!/^---[ \t]*\r?\n/.test(text)) return { body: text };
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    if (/^(---|\.\.\.)[ \t]*\r?$/.test(lines[i]!)) {
      const frontMatter = lines.slice(1, i).join('\n');
      return { body: `${'\n'.repeat(i + 1)}${lines.slice(i + 1).join('\n')}`, frontMatter };
    }
  }
  return { body: text };
}

export function readMarkdown(text: string): MarkdownFacts {
  const { body, frontMatter } = splitFrontMatter(text);
  const facts: MarkdownFacts = { links: [], headings: [], htmlIds: [], attrIds: [], snippets: [] };
  for (const match of body.matchAll(SNIPPET)) facts.snippets.push(match[2]!);
  if (frontMatter !== undefined) facts.frontMatter = frontMatter;
  const walk = (node: Nodes, inHeading = false) => {
    if ((node.type === 'link' || node.type === 'image' || node.type === 'definition') && node.url)
      facts.links.push({ url: node.url, line: node.position?.start.line ?? 0 });
    if (node.type === 'heading') facts.headings.push(textOf(node, { includeHtml: false }).trim());
    if (node.type === 'html')
      for (const match of node.value.matchAll(HTML_ID)) facts.htmlIds.push(match[1] ?? match[2]!);
    if (node.type === 'text' && !inHeading)
      for (const match of node.value.matchAll(ATTR_ID)) facts.attrIds.push(match[1]!);
    if ('children' in node)
      for (const child of node.children) walk(child as Nodes, inHeading || node.type === 'heading');
  };
  walk(fromMarkdown(body));
  return facts;
}
