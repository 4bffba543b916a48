import fs from 'node:fs';
import path from 'node:path';
import type { AnchorRule, DocsCheckSettings } from '../../core/config.js';
import { WfsError } from '../../core/errors.js';
import { globToRegExp } from '../../project/detect/repo.js';

/**
 * The link rules of the documentation sites in a repository. A Markdown page of a site is read as
 * its generator renders it, not as GitHub shows the file: `/guide/x` is the site's root (VitePress:
 * its source folder; MkDocs: `docs_dir`; Docusaurus: the docs at `/docs/`, the blog at `/blog/`,
 * `src/pages` at `/`), `./x` and `/x/` are the pages `x.md` and `x/index.md`, `/logo.svg` may be a
 * static file (`public/`, `static/`), and headings get the generator's anchors. The rest of the
 * repository keeps GitHub's rules. Found from the generators' own configuration files, or set in
 * `.workflow/config.json` (`workflows.docs-check`).
 */
export type Generator = 'VitePress' | 'Docusaurus' | 'MkDocs' | 'configured';

export interface Mount {
  /** The URL prefix (`/`, `/docs`, `/blog`). */
  url: string;
  /** The folder it serves, repository-relative. */
  dir: string;
  /** What kind of content, for Docusaurus's routes. */
  kind: 'pages' | 'docs' | 'blog';
}

export interface DocsSite {
  generator: Generator;
  /** The file it was found from, or `.workflow/config.json`. */
  source: string;
  /** The folder whose Markdown follows these rules (repository-relative, '' the whole repository). */
  root: string;
  /** Site-absolute links: URL prefix to folder, the longest prefix first. */
  mounts: Mount[];
  /** Folders served at the site's root as they are. */
  statics: string[];
  /** Tried in order for a link to a page without its extension. */
  extensions: string[];
  /** A `.html` link names the page of that name (VitePress builds `x.md` as `x.html`). */
  htmlLinks: boolean;
  /** A folder's page. */
  indexes: string[];
  anchors: AnchorRule;
  explicitIds: boolean;
  /** MkDocs: where pymdownx.snippets' `--8<-- "file"` paths start (the folder of mkdocs.yml). */
  snippetBase?: string;
  /** Docusaurus: the pages whose URL is not their path (number prefixes, front matter `slug`/`id`). */
  routes?: boolean;
  /** What the label adds: a setting read from the configuration, or one that could not be. */
  remarks: string[];
}

export interface DocsRules {
  sites: DocsSite[];
  /** `workflows.docs-check.ignore`: Markdown files not checked, and link targets not checked. */
  ignore: string[];
  /** One line for people: which rules, where (`VitePress (docs root docs/), GitHub elsewhere`). */
  label: string;
}

const CONFIG_EXTENSIONS = '{js,ts,mjs,mts,cjs,cts}';

const join = (...parts: string[]) => {
  const joined = path.posix.normalize(path.posix.join('.', ...parts));
  return joined === '.' ? '' : joined.replace(/\/$/, '');
};
const shown = (dir: string) => (dir === '' ? './' : `${dir}/`);

function read(root: string, file: string): string {
  try {
    return fs.readFileSync(path.join(root, file), 'utf8');
  } catch {
    return '';
  }
}

/** A string option written literally in a JS/TS config (`srcDir: 'src'`): every such value found (none when absent or computed). */
function literalOption(source: string, name: string): string[] {
  return [...source.matchAll(new RegExp(`\\b${name}\\s*:\\s*(['"\`])([^'"\`$]*)\\1`, 'g'))].map((m) => m[2]!);
}

function vitepressSite(docsRoot: string, source: string, remarks: string[] = []): DocsSite {
  return {
    generator: 'VitePress',
    source,
    root: docsRoot,
    mounts: [{ url: '/', dir: docsRoot, kind: 'pages' }],
    statics: [join(docsRoot, 'public')],
    extensions: ['.md'],
    htmlLinks: true,
    indexes: ['index.md'],
    anchors: 'vitepress',
    explicitIds: true,
    remarks,
  };
}

function docusaurusSite(site: string, source: string, docsUrl = '/docs', remarks: string[] = []): DocsSite {
  return {
    generator: 'Docusaurus',
    source,
    root: site,
    mounts: [
      { url: docsUrl, dir: join(site, 'docs'), kind: 'docs' as const },
      { url: '/blog', dir: join(site, 'blog'), kind: 'blog' as const },
      { url: '/', dir: join(site, 'src/pages'), kind: 'pages' as const },
    ].sort((a, b) => b.url.length - a.url.length),
    statics: [join(site, 'static')],
    extensions: ['.md', '.mdx'],
    htmlLinks: false,
    indexes: ['index.md', 'index.mdx', 'README.md', 'README.mdx'],
    anchors: 'github',
    explicitIds: true,
    routes: true,
    remarks: [`docs ${shown(join(site, 'docs'))} at ${docsUrl === '/' ? '/' : `${docsUrl}/`}`, ...remarks],
  };
}

function mkdocsSite(docsRoot: string, source: string, customSlugs = false, remarks: string[] = []): DocsSite {
  return {
    generator: 'MkDocs',
    source,
    root: docsRoot,
    mounts: [{ url: '/', dir: docsRoot, kind: 'pages' }],
    statics: [],
    extensions: ['.md'],
    htmlLinks: false,
    indexes: ['index.md', 'README.md'],
    anchors: customSlugs ? 'off' : 'mkdocs',
    explicitIds: true,
    remarks: [...remarks, ...(customSlugs ? ['anchors not checked: a toc slugify of its own'] : [])],
  };
}

function plainSite(docsRoot: string): DocsSite {
  return {
    generator: 'configured',
    source: CONFIG_JSON,
    root: docsRoot,
    mounts: [{ url: '/', dir: docsRoot, kind: 'pages' }],
    statics: [],
    extensions: ['.md', '.mdx'],
    htmlLinks: true,
    indexes: ['index.md', 'README.md'],
    anchors: 'github',
    explicitIds: false,
    remarks: [],
  };
}

const CONFIG_JSON = '.workflow/config.json';

/** A site from its configuration file: what it says, where it can be read without running it. */
const FROM_CONFIG_FILE = {
  vitepress(root: string, config: string): DocsSite {
    const siteDir = path.posix.dirname(path.posix.dirname(config));
    // srcDir moves the pages (and public/) below the folder of .vitepress/.
    const srcDir = literalOption(read(root, config), 'srcDir');
    const docsRoot = join(siteDir, srcDir.length === 1 ? srcDir[0]! : '');
    return vitepressSite(docsRoot, config, srcDir.length === 1 ? [`srcDir ${srcDir[0]}`] : []);
  },
  docusaurus(root: string, config: string): DocsSite {
    const site = join(path.posix.dirname(config));
    // The docs' URL prefix, when the configuration names exactly one (docs-only sites say '/');
    // with several (docs and blog both set), which is which cannot be read without running it.
    const bases = literalOption(read(root, config), 'routeBasePath');
    if (bases.length === 1) return docusaurusSite(site, config, `/${bases[0]!.replace(/^\/+|\/+$/g, '')}`);
    return docusaurusSite(
      site,
      config,
      '/docs',
      bases.length > 1 ? ['routeBasePath not read: set more than once'] : [],
    );
  },
  mkdocs(root: string, config: string): DocsSite {
    const text = read(root, config);
    const docsDir = /^docs_dir:\s*(['"]?)([^'"#\n]+?)\1\s*(#.*)?$/m.exec(text)?.[2]?.trim();
    // A toc `slugify` of its own (pymdownx.slugs, say) makes anchors this check cannot know.
    const customSlugs = /^\s+slugify\s*:/m.test(text);
    const docsRoot = join(path.posix.dirname(config), docsDir ?? 'docs');
    const site = mkdocsSite(docsRoot, config, customSlugs, docsDir ? [`docs_dir ${docsDir}`] : []);
    if (/pymdownx\.snippets/.test(text)) site.snippetBase = join(path.posix.dirname(config));
    return site;
  },
};

/** A site of this generator rooted where config.json says (its configuration file not read). */
const AT_DOCS_ROOT = {
  vitepress: (docsRoot: string) => vitepressSite(docsRoot, CONFIG_JSON),
  docusaurus: (site: string) => docusaurusSite(site, CONFIG_JSON),
  mkdocs: (docsRoot: string) => mkdocsSite(docsRoot, CONFIG_JSON),
};

type Kind = keyof typeof FROM_CONFIG_FILE;
const CONFIG_FILES: Record<Kind, { pattern: RegExp; name: string }> = {
  vitepress: {
    pattern: globToRegExp(`**/.vitepress/config.${CONFIG_EXTENSIONS}`),
    name: '.vitepress/config.*',
  },
  docusaurus: {
    pattern: globToRegExp(`**/docusaurus.config.${CONFIG_EXTENSIONS}`),
    name: 'docusaurus.config.*',
  },
  mkdocs: { pattern: globToRegExp('**/mkdocs.{yml,yaml}'), name: 'mkdocs.yml' },
};
const NAMES: Record<Kind, Generator> = { vitepress: 'VitePress', docusaurus: 'Docusaurus', mkdocs: 'MkDocs' };

/** The sites the generators' configuration files declare, by the repository's files. */
export function detectSites(root: string, files: readonly string[]): DocsSite[] {
  const sites: DocsSite[] = [];
  for (const kind of Object.keys(CONFIG_FILES) as Kind[])
    for (const file of files)
      if (CONFIG_FILES[kind].pattern.test(file)) sites.push(FROM_CONFIG_FILE[kind](root, file));
  return sites;
}

function isFolder(root: string, dir: string): boolean {
  try {
    return fs.statSync(path.join(root, dir)).isDirectory();
  } catch {
    return false;
  }
}

function bad(setting: string, message: string): WfsError {
  return new WfsError('E_INVALID_INPUT', `${CONFIG_JSON}: workflows.docs-check.${setting} ${message}`);
}

/**
 * The rules for this repository: the detected sites, or the one `workflows.docs-check.docs_root`
 * names (with `generator`'s rules, the detected site's there, or plain ones: site-absolute links
 * and pages without their extension, GitHub's anchors); `generator: "github"` for GitHub's rules
 * everywhere. `extensions`, `html_links`, `static` and `anchors` then override every site's.
 * `markdown` is the Markdown files checked (for the label: does any follow GitHub's rules).
 */
export function docsRules(
  root: string,
  files: readonly string[],
  markdown: readonly string[],
  settings: DocsCheckSettings = {},
): DocsRules {
  const docsRoot = settings.docs_root === undefined ? undefined : join(settings.docs_root);
  if (docsRoot !== undefined && !isFolder(root, docsRoot))
    throw bad('docs_root', `is ${JSON.stringify(settings.docs_root)}: no such folder in the project`);
  const generator = settings.generator;
  let sites: DocsSite[];
  if (generator === 'github') {
    if (docsRoot !== undefined) throw bad('docs_root', 'needs a site generator, and generator is "github"');
    sites = [];
  } else if (docsRoot !== undefined) {
    const detected = detectSites(root, files).find(
      (s) => s.root === docsRoot && (generator === undefined || s.generator === NAMES[generator]),
    );
    sites = [detected ?? (generator ? AT_DOCS_ROOT[generator](docsRoot) : plainSite(docsRoot))];
  } else {
    sites = detectSites(root, files);
    if (generator !== undefined) {
      sites = sites.filter((s) => s.generator === NAMES[generator]);
      if (sites.length === 0)
        throw bad(
          'generator',
          `is "${generator}", but no ${NAMES[generator]} site was found (no ${CONFIG_FILES[generator].name}): set workflows.docs-check.docs_root to its folder`,
        );
    }
  }
  for (const [i, dir] of (settings.static ?? []).entries())
    if (!isFolder(root, join(dir)))
      throw bad(`static[${i}]`, `is ${JSON.stringify(dir)}: no such folder in the project`);
  for (const site of sites) {
    if (settings.extensions) site.extensions = [...settings.extensions];
    if (settings.html_links !== undefined) site.htmlLinks = settings.html_links;
    if (settings.static) site.statics = settings.static.map((d) => join(d));
    if (settings.anchors) site.anchors = settings.anchors;
  }
  // The deepest site first: a page belongs to the innermost site around it.
  sites.sort((a, b) => b.root.length - a.root.length);
  return { sites, ignore: [...(settings.ignore ?? [])], label: label(sites, markdown) };
}

function label(sites: readonly DocsSite[], markdown: readonly string[]): string {
  if (sites.length === 0) return 'GitHub';
  const parts = sites.map((s) => {
    const what = s.generator === 'configured' ? 'Site' : s.generator;
    const where = s.generator === 'Docusaurus' ? `site ${shown(s.root)}` : `docs root ${shown(s.root)}`;
    const from = s.source === CONFIG_JSON ? `, from ${CONFIG_JSON}` : '';
    return `${what} (${[where, ...s.remarks].join(', ')}${from})`;
  });
  const elsewhere = markdown.some((f) => siteOf(sites, f) === undefined);
  return `${parts.join('; ')}${elsewhere ? ', GitHub elsewhere' : ''}`;
}

/** The site whose rules a repository file follows (the innermost), if any. */
export function siteOf(sites: readonly DocsSite[], file: string): DocsSite | undefined {
  return sites.find((s) => s.root === '' || file === s.root || file.startsWith(`${s.root}/`));
}
