import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { globToRegExp } from '../../project/detect/repo.js';
import { anchorsOf } from './anchors.js';
import { type DocsRules, type DocsSite, siteOf } from './docs-sites.js';
import { type MarkdownFacts, readMarkdown } from './markdown.js';

export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  problem: string;
}

export const MARKDOWN = /\.(md|markdown|mdx)$/i;
// Anything with a scheme (https:, mailto:, pathname:) or protocol-relative: not a file of this repository.
const EXTERNAL = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

const join = (...parts: string[]) => {
  const joined = path.posix.normalize(path.posix.join('.', ...parts));
  return joined === '.' ? '' : joined.replace(/\/$/, '');
};

/** What is on disk, asked once per path. */
class Disk {
  private readonly kinds = new Map<string, 'file' | 'dir' | 'none'>();
  constructor(private readonly root: string) {}
  kind(file: string): 'file' | 'dir' | 'none' {
    let kind = this.kinds.get(file);
    if (kind === undefined) {
      try {
        kind = fs.statSync(path.join(this.root, file)).isDirectory() ? 'dir' : 'file';
      } catch {
        kind = 'none';
      }
      this.kinds.set(file, kind);
    }
    return kind;
  }
}

type Resolved = { file: string } | { problem: string };

/**
 * A page of a site by its path without the site's conventions: the file itself, `x.html` as
 * `x.md`, `x` as `x.md` (or the site's other extensions), a folder (or a trailing `/`) as its
 * index page. Undefined when none exists; `tried` says what was looked for.
 */
function page(
  disk: Disk,
  site: DocsSite,
  candidate: string,
  folder: boolean,
  tried: string[],
): string | undefined {
  const indexes = () => {
    for (const index of site.indexes) {
      const file = join(candidate, index);
      tried.push(file);
      if (disk.kind(file) === 'file') return file;
    }
    return undefined;
  };
  if (folder || candidate === '') return indexes();
  tried.push(candidate);
  const kind = disk.kind(candidate);
  if (kind === 'file') return candidate;
  if (kind === 'dir') return indexes();
  const ext = path.posix.extname(candidate);
  const stem = ext.toLowerCase() === '.html' && site.htmlLinks ? candidate.slice(0, -ext.length) : candidate;
  if (stem !== candidate && path.posix.basename(stem) === 'index')
    return page(disk, site, path.posix.dirname(stem) === '.' ? '' : path.posix.dirname(stem), true, tried);
  // `/guide/v1.2` has an "extension" too: every name without the page's extension is tried.
  if (stem === candidate && MARKDOWN.test(candidate)) return undefined;
  for (const extension of site.extensions) {
    tried.push(`${stem}${extension}`);
    if (disk.kind(`${stem}${extension}`) === 'file') return `${stem}${extension}`;
  }
  return undefined;
}

const NUMBER_PREFIX = /^\d+\s*[-_.]+\s*(?=[^-_.\s])/;

function routeOf(...parts: string[]): string {
  const joined = parts.join('/').replace(/\/+/g, '/').replace(/\/$/, '');
  return joined === '' ? '/' : joined.startsWith('/') ? joined : `/${joined}`;
}

function frontMatterOf(facts: MarkdownFacts): { slug?: string; id?: string } {
  if (facts.frontMatter === undefined) return {};
  try {
    const data = parseYaml(facts.frontMatter) as Record<string, unknown> | null;
    return {
      ...(typeof data?.slug === 'string' ? { slug: data.slug } : {}),
      ...(typeof data?.id === 'string' ? { id: data.id } : {}),
    };
  } catch {
    // Front matter the generator would refuse is its build's error, not a broken link.
    return {};
  }
}

/**
 * Docusaurus's URLs of its pages, which are not their paths: number prefixes are dropped
 * (`01-intro.md` is `intro`), front matter `id` names the page and `slug` sets its URL, a folder's
 * `index`, `README` or same-named page is the folder, `_` files are partials (no page), and blog
 * posts named by date are `/blog/YYYY/MM/DD/name`.
 */
function docusaurusRoutes(
  site: DocsSite,
  markdown: readonly string[],
  facts: (file: string) => MarkdownFacts,
) {
  const routes = new Map<string, string>();
  const byFile = new Map<string, string>();
  for (const file of markdown) {
    const mount = site.mounts.find((m) => m.dir === '' || file.startsWith(`${m.dir}/`));
    if (mount === undefined) continue;
    const rel = mount.dir === '' ? file : file.slice(mount.dir.length + 1);
    const segments = rel.split('/');
    if (segments.some((s) => s.startsWith('_'))) continue;
    const name = segments.pop()!.replace(MARKDOWN, '');
    const front = frontMatterOf(facts(file));
    let route: string;
    if (mount.kind === 'blog') {
      const post = [...segments, name].join('/').replace(/\/index$/i, '');
      const dated = /^(\d{4})[-/](\d{2})[-/](\d{2})[-/]?(.*)$/.exec(post);
      route = front.slug
        ? routeOf(mount.url, front.slug)
        : dated
          ? routeOf(mount.url, dated[1]!, dated[2]!, dated[3]!, dated[4]!)
          : routeOf(mount.url, post);
    } else if (mount.kind === 'pages') {
      route = routeOf(mount.url, ...segments, /^index$/i.test(name) ? '' : name);
    } else {
      const dirs = segments.map((s) => s.replace(NUMBER_PREFIX, ''));
      const last = front.id ?? name.replace(NUMBER_PREFIX, '');
      const isIndex =
        front.id === undefined && (/^(index|readme)$/i.test(name) || last === dirs[dirs.length - 1]);
      route = front.slug
        ? front.slug.startsWith('/')
          ? routeOf(mount.url, front.slug)
          : routeOf(mount.url, ...dirs, front.slug)
        : routeOf(mount.url, ...dirs, isIndex ? '' : last);
    }
    routes.set(route, file);
    byFile.set(file, route);
  }
  return { routes, byFile };
}

/**
 * Checks every link of the Markdown files that is not a web link: the file or page must exist, and
 * a heading anchor in a Markdown target too. A page of a site follows its generator's rules
 * (docs-sites.ts); any other file GitHub's: a path relative to the file, `/x` from the
 * repository's root, GitHub's anchors. `rules.ignore` globs leave files and targets unchecked.
 */
export function checkLinks(
  root: string,
  files: readonly string[],
  rules: DocsRules,
): { links: number; broken: BrokenLink[] } {
  const disk = new Disk(root);
  const parsed = new Map<string, MarkdownFacts | null>();
  const factsOf = (file: string): MarkdownFacts | null => {
    let facts = parsed.get(file);
    if (facts === undefined) {
      try {
        facts = readMarkdown(fs.readFileSync(path.join(root, file), 'utf8'));
      } catch {
        facts = null;
      }
      parsed.set(file, facts);
    }
    return facts;
  };
  const emptyFacts: MarkdownFacts = { links: [], headings: [], htmlIds: [], attrIds: [], snippets: [] };
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (file: string): Set<string> | undefined => {
    const site = siteOf(rules.sites, file);
    if (site?.anchors === 'off') return undefined;
    let found = anchors.get(file);
    if (found === undefined) {
      const facts = factsOf(file) ?? emptyFacts;
      const style = { rule: site?.anchors ?? 'github', explicitIds: site?.explicitIds ?? false } as const;
      found = anchorsOf(facts, style);
      // MkDocs's snippets put another file's headings in the page (paths from the snippets' base).
      if (site?.snippetBase !== undefined)
        for (const snippet of facts.snippets) {
          const included = factsOf(join(site.snippetBase, snippet));
          if (included) for (const anchor of anchorsOf(included, style)) found.add(anchor);
        }
      anchors.set(file, found);
    }
    return found;
  };
  const routed = new Map<DocsSite, ReturnType<typeof docusaurusRoutes>>();
  const routesOf = (site: DocsSite) => {
    let routes = routed.get(site);
    if (routes === undefined) {
      routes = docusaurusRoutes(
        site,
        files.filter((f) => siteOf(rules.sites, f) === site),
        (f) => factsOf(f) ?? emptyFacts,
      );
      routed.set(site, routes);
    }
    return routes;
  };
  const ignored = rules.ignore.map((glob) => globToRegExp(glob.replace(/\/$/, '/**')));
  const isIgnored = (file: string) => ignored.some((re) => re.test(file));

  // The repository path a link names before any convention is applied (what ignore globs match):
  // a site-absolute link's under the folder its URL prefix serves.
  const pointsAt = (file: string, decoded: string): string => {
    if (!decoded.startsWith('/')) return join(path.posix.dirname(file), decoded);
    const site = siteOf(rules.sites, file);
    const mount = site?.mounts.find(
      (m) => m.url === '/' || decoded === m.url || decoded.startsWith(`${m.url}/`),
    );
    if (mount === undefined) return join(decoded.slice(1));
    return join(mount.dir, decoded.slice(mount.url === '/' ? 1 : mount.url.length + 1));
  };
  const resolve = (file: string, decoded: string): Resolved => {
    const site = siteOf(rules.sites, file);
    const folder = decoded.endsWith('/');
    if (site === undefined) {
      // GitHub: `/x` is the repository's root; the file must exist as written.
      const target = join(
        decoded.startsWith('/') ? decoded.slice(1) : join(path.posix.dirname(file), decoded),
      );
      if (target.startsWith('..')) return { problem: 'outside the repository' };
      return disk.kind(target) === 'none' ? { problem: `no such file: ${target}` } : { file: target };
    }
    const tried: string[] = [];
    if (decoded.startsWith('/')) {
      for (const dir of site.statics) {
        const asset = join(dir, decoded.slice(1));
        if (!folder && disk.kind(asset) === 'file') return { file: asset };
      }
      if (site.routes) {
        const hit = routesOf(site).routes.get(routeOf(decoded.replace(/\/$/, '')));
        if (hit) return { file: hit };
      }
      for (const mount of site.mounts) {
        const prefix = mount.url === '/' ? '/' : `${mount.url}/`;
        if (decoded !== mount.url && !decoded.startsWith(prefix)) continue;
        const found = page(disk, site, join(mount.dir, decoded.slice(prefix.length)), folder, tried);
        if (found) return { file: found };
      }
      return {
        problem: `no such page: ${decoded} (looked for ${[...new Set(tried)].slice(0, 4).join(', ')})`,
      };
    }
    const candidate = join(path.posix.dirname(file), decoded);
    if (candidate.startsWith('..')) return { problem: 'outside the repository' };
    const found = page(disk, site, candidate, folder, tried);
    if (found) return { file: found };
    if (site.routes) {
      // Docusaurus: a link that is not a file's path is a URL, relative to the page's own.
      const own = routesOf(site).byFile.get(file);
      if (own) {
        const hit = routesOf(site).routes.get(routeOf(path.posix.join(path.posix.dirname(own), decoded)));
        if (hit) return { file: hit };
      }
    }
    return {
      problem: `no such page: ${candidate} (looked for ${[...new Set(tried)].slice(0, 4).join(', ')})`,
    };
  };

  const broken: BrokenLink[] = [];
  let count = 0;
  for (const file of files) {
    if (isIgnored(file)) continue;
    const facts = factsOf(file);
    if (facts === null) continue;
    for (const link of facts.links) {
      if (EXTERNAL.test(link.url)) continue;
      count++;
      const hash = link.url.indexOf('#');
      const rawPath = hash < 0 ? link.url : link.url.slice(0, hash);
      const fragment = hash < 0 ? undefined : link.url.slice(hash + 1);
      let decoded: string;
      let anchor: string | undefined;
      try {
        decoded = decodeURIComponent(rawPath.split('?')[0]!);
        anchor = fragment ? decodeURIComponent(fragment).toLowerCase() : undefined;
      } catch {
        broken.push({ file, line: link.line, target: link.url, problem: 'not a valid path' });
        continue;
      }
      if (decoded !== '' && isIgnored(pointsAt(file, decoded))) continue;
      // `` (only a fragment) is this file.
      const resolved: Resolved = decoded === '' ? { file } : resolve(file, decoded);
      if ('problem' in resolved) {
        broken.push({ file, line: link.line, target: link.url, problem: resolved.problem });
        continue;
      }
      if (isIgnored(resolved.file)) continue;
      if (anchor && MARKDOWN.test(resolved.file) && disk.kind(resolved.file) === 'file') {
        const known = anchorsIn(resolved.file);
        if (known !== undefined && !known.has(anchor))
          broken.push({
            file,
            line: link.line,
            target: link.url,
            problem: `no heading #${anchor} in ${resolved.file}`,
          });
      }
    }
  }
  return { links: count, broken };
}
