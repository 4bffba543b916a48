import { describe, expect, it } from 'vitest';
import type { DocsCheckSettings } from '../../src/core/config.js';
import { scanRepository } from '../../src/project/scan.js';
import { anchorsOf } from '../../src/workflow/builtin/anchors.js';
import { checkLinks, MARKDOWN } from '../../src/workflow/builtin/docs-links.js';
import { docsRules } from '../../src/workflow/builtin/docs-sites.js';
import { readMarkdown } from '../../src/workflow/builtin/markdown.js';
import { makeRepo } from '../helpers.js';

function check(files: Record<string, string>, settings: DocsCheckSettings = {}) {
  const root = makeRepo(files);
  const all = scanRepository(root).files;
  const markdown = all.filter((f) => MARKDOWN.test(f));
  const rules = docsRules(root, all, markdown, settings);
  const { links, broken } = checkLinks(root, markdown, rules);
  return {
    rules: rules.label,
    links,
    broken: broken.map((b) => `${b.file}:${b.line} ${b.target} (${b.problem})`),
  };
}

describe('heading anchors by renderer', () => {
  const facts = readMarkdown(
    [
      '---',
      'title: Front matter is not a heading',
      '---',
      '# Über die API',
      '## server.ws <Badge text="new" />',
      '## 2. Steps',
      '## Steps',
      '## Steps',
      '## Options {#opts}',
      '<a id="Legacy-Anchor"></a>',
      '',
    ].join('\n'),
  );

  it('GitHub, VitePress and MkDocs each slug, number repeats and take explicit ids their own way', () => {
    expect(facts.headings).toEqual([
      'Über die API',
      'server.ws',
      '2. Steps',
      'Steps',
      'Steps',
      'Options {#opts}',
    ]);
    expect([...anchorsOf(facts, { rule: 'github', explicitIds: false })]).toEqual([
      'legacy-anchor',
      'über-die-api',
      'serverws',
      '2-steps',
      'steps',
      'steps-1',
      'options-opts',
    ]);
    expect([...anchorsOf(facts, { rule: 'vitepress', explicitIds: true })]).toEqual([
      'legacy-anchor',
      'uber-die-api',
      'server-ws',
      '_2-steps',
      'steps',
      'steps-1',
      'opts',
    ]);
    expect([...anchorsOf(facts, { rule: 'mkdocs', explicitIds: true })]).toEqual([
      'legacy-anchor',
      'uber-die-api',
      'serverws',
      '2-steps',
      'steps',
      'steps_1',
      'opts',
    ]);
  });
});

describe('link rules of the site generators', () => {
  it('VitePress: the docs root for /links, pages without .md, .html as .md, folders as index.md, public/, its anchors; GitHub outside it', () => {
    const result = check({
      'README.md':
        'See [the guide](docs/guide/index.md) and [a page](docs/guide/features) and [site](/guide/).\n',
      'docs/.vitepress/config.ts': "export default { title: 'x', cleanUrls: true }\n",
      'docs/index.md':
        '# Home\n\n[Guide](/guide/) [team](/team) [features](/guide/features.html#server-ws) ![logo](/logo.svg)\n',
      'docs/team.md': '# Team\n\n[home](./) [up](../docs/index.md)\n',
      'docs/public/logo.svg': '<svg/>',
      'docs/guide/index.md': [
        '# Guide',
        '',
        '[features](./features#server-ws) [root](/#home) [self](#guide) [cfg](../config/shared#resolve-alias)',
        '[gone](/guide/gone) [bad anchor](./features#serverws) [no asset](/missing.png)',
        '',
      ].join('\n'),
      'docs/guide/features.md': '# Features\n\n## server.ws <Badge />\n',
      'docs/config/shared.md': '# Shared\n\n## resolve.alias\n',
    });
    expect(result.rules).toBe('VitePress (docs root docs/), GitHub elsewhere');
    expect(result.links).toBe(16);
    expect(result.broken).toEqual([
      'README.md:1 docs/guide/features (no such file: docs/guide/features)',
      'README.md:1 /guide/ (no such file: guide)',
      'docs/guide/index.md:4 /guide/gone (no such page: /guide/gone (looked for docs/guide/gone, docs/guide/gone.md))',
      'docs/guide/index.md:4 ./features#serverws (no heading #serverws in docs/guide/features.md)',
      'docs/guide/index.md:4 /missing.png (no such page: /missing.png (looked for docs/missing.png, docs/missing.png.md))',
    ]);
  });

  it("VitePress's srcDir moves the docs root and public/", () => {
    const result = check({
      'site/.vitepress/config.mjs': "export default { srcDir: 'src' }\n",
      'site/src/index.md': '# Home\n\n[a](/a) ![i](/i.png)\n',
      'site/src/a.md': '# A\n',
      'site/src/public/i.png': 'png',
    });
    expect(result).toEqual({ rules: 'VitePress (docs root site/src/, srcDir src)', links: 2, broken: [] });
  });

  it('Docusaurus: /docs/ routes without number prefixes, front matter slug (under /docs/) and id, {#id}, static/, blog dates; file links too', () => {
    const result = check({
      'website/docusaurus.config.js': "module.exports = { title: 'x', presets: [['classic', {}]] };\n",
      'website/docs/01-intro.md': [
        '# Intro',
        '',
        '[setup](/docs/install#opts) [by file](./guides/setup.mdx#opts) [by url](guides/api-ref) [logo](/img/logo.png)',
        '[post](/blog/2024/01/02/hello) [about](/about) [category](/docs/guides) [missing](/docs/missing)',
        '',
      ].join('\n'),
      'website/docs/guides/setup.mdx': '---\nslug: /install\n---\n# Setup\n\n## Options {#opts}\n',
      'website/docs/guides/api.md': '---\nid: api-ref\n---\n# API\n\n[intro](../intro)\n',
      'website/docs/guides/index.md': '# Guides\n',
      'website/static/img/logo.png': 'png',
      'website/blog/2024-01-02-hello.md': '# Hello\n\n[docs](/docs/intro)\n',
      'website/src/pages/about.md': '# About\n',
    });
    expect(result.rules).toBe('Docusaurus (site website/, docs website/docs/ at /docs/)');
    expect(result.broken).toEqual([
      'website/docs/01-intro.md:4 /docs/missing (no such page: /docs/missing (looked for website/docs/missing, website/docs/missing.md, website/docs/missing.mdx, website/src/pages/docs/missing))',
    ]);
    expect(result.links).toBe(10);
  });

  it("MkDocs: docs_dir, /links from it, folders as index.md, Python-Markdown's anchors; a toc slugify of its own leaves anchors unchecked", () => {
    const files = {
      'mkdocs.yml': 'site_name: x\ndocs_dir: documentation # the sources\n',
      'documentation/index.md':
        '# Home\n\n[api](api/#uber-die-api) [abs](/api/) [gone](about.md) [dup](api/index.md#steps_1) [x](api/#nope) [attr](api/#api-locale)\n',
      'documentation/api/index.md':
        '# Über die API\n\n## Steps\n\n## Steps\n\n*   **`locale`**{ #api-locale }: the language\n',
    };
    const result = check(files);
    expect(result.rules).toBe('MkDocs (docs root documentation/, docs_dir documentation)');
    expect(result.broken).toEqual([
      'documentation/index.md:3 about.md (no such page: documentation/about.md (looked for documentation/about.md))',
      'documentation/index.md:3 api/#nope (no heading #nope in documentation/api/index.md)',
    ]);
    const snippets = check({
      'mkdocs.yml': 'docs_dir: docs\nmarkdown_extensions:\n  - pymdownx.snippets\n',
      'CONTRIBUTING.md': '# Contributing\n\n## Installing for development\n',
      'docs/contributing.md': '--8<-- "CONTRIBUTING.md"\n',
      'docs/index.md': '# Home\n\n[dev](contributing.md#installing-for-development)\n',
    });
    expect(snippets.broken).toEqual([]);
    const custom = check({
      ...files,
      'mkdocs.yml':
        'docs_dir: documentation\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/object/apply:pymdownx.slugs.slugify\n',
    });
    expect(custom.rules).toBe(
      'MkDocs (docs root documentation/, docs_dir documentation, anchors not checked: a toc slugify of its own)',
    );
    expect(custom.broken).toHaveLength(1);
  });

  it('config.json sets the docs root, the extensions and ignore globs, or GitHub rules everywhere; bad settings are errors', () => {
    const files = {
      'handbook/index.md':
        '# Handbook\n\n[a](/topics/a) [b](topics/b) [api](/api/index.md) [gen](../generated/x.md)\n',
      'handbook/topics/a.markdown': '# A\n',
      'handbook/topics/b.md': '# B\n\n[broken](c.md)\n',
      'docs/.vitepress/config.ts': 'export default {}\n',
      'docs/index.md': '# Docs\n\n[a](./a)\n',
      'docs/a.md': '# A\n',
    };
    const configured = check(files, {
      docs_root: 'handbook',
      extensions: ['.md', '.markdown'],
      ignore: ['handbook/api/**', 'generated/', 'handbook/topics/b.md'],
    });
    expect(configured.rules).toBe('Site (docs root handbook/, from .workflow/config.json), GitHub elsewhere');
    // docs/ is not a site now: its extension-less link is broken by GitHub's rules.
    expect(configured.broken).toEqual(['docs/index.md:3 ./a (no such file: docs/a)']);
    expect(check(files, { generator: 'github' }).rules).toBe('GitHub');
    expect(check(files, { generator: 'vitepress', docs_root: 'handbook' }).rules).toBe(
      'VitePress (docs root handbook/, from .workflow/config.json), GitHub elsewhere',
    );
    expect(() => check(files, { docs_root: 'nowhere' })).toThrow(
      '.workflow/config.json: workflows.docs-check.docs_root is "nowhere": no such folder in the project',
    );
    expect(() => check(files, { generator: 'mkdocs' })).toThrow(
      'workflows.docs-check.generator is "mkdocs", but no MkDocs site was found (no mkdocs.yml): set workflows.docs-check.docs_root to its folder',
    );
    expect(() => check(files, { generator: 'github', docs_root: 'docs' })).toThrow(/needs a site generator/);
  });
});
