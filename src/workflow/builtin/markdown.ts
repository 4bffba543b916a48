import GithubSlugger from 'github-slugger';
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString as textOf } from 'mdast-util-to-string';

/**
 * What docs-check needs from a Markdown file: every link, image and link definition with its
 * line, and the anchors its headings get on GitHub. Parsed with micromark (CommonMark), so links
 * in code blocks and code spans are not links, as on GitHub.
 */
export interface MarkdownLink {
  url: string;
  line: number;
}

export function linksOf(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  const walk = (node: Nodes) => {
    if ((node.type === 'link' || node.type === 'image' || node.type === 'definition') && node.url)
      links.push({ url: node.url, line: node.position?.start.line ?? 0 });
    if ('children' in node) for (const child of node.children) walk(child as Nodes);
  };
  walk(fromMarkdown(text));
  return links;
}

/** The anchors GitHub gives the headings (`## Getting started` is `#getting-started`). */
export function anchorsOf(text: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  const walk = (node: Nodes) => {
    if (node.type === 'heading') anchors.add(slugger.slug(textOf(node)));
    if ('children' in node) for (const child of node.children) walk(child as Nodes);
  };
  walk(fromMarkdown(text));
  return anchors;
}
