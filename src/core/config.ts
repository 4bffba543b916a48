import * as z from 'zod/mini';
import { WfsError } from './errors.js';
import { describeIssues } from './schema-errors.js';

/**
 * `.workflow/config.json` (SPEC 1), the coordination part, and how the environment overrides it.
 * Unknown keys are kept and ignored: a newer wfs may add settings an older one does not know.
 */
export const UNREACHABLE_POLICIES = ['fail', 'run-unlocked', 'skip'] as const;
export type UnreachablePolicy = (typeof UNREACHABLE_POLICIES)[number];
export const BACKENDS = ['local', 'redis'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The site generators whose link rules docs-check knows; `github` is GitHub's own (no generator). */
export const DOCS_GENERATORS = ['vitepress', 'docusaurus', 'mkdocs', 'github'] as const;
/** How heading anchors are made: GitHub's (Docusaurus's too), VitePress's, MkDocs's; `off` checks none. */
export const ANCHOR_RULES = ['github', 'vitepress', 'mkdocs', 'off'] as const;
const nonEmpty = () => z.string().check(z.minLength(1), z.maxLength(1_000));
// A path the workflows resolve against the project root: relative, and never leaving it.
const repoPath = () =>
  nonEmpty().check(
    z.refine((p) => !/^([a-zA-Z]:)?[\\/]/.test(p) && !p.split(/[\\/]/).includes('..'), {
      error: 'a relative path inside the project (no leading / and no ..)',
    }),
  );

// Built on first use: most commands never read config.json, and every CLI start pays for what
// module top-levels build.
const configSchema = () =>
  z.looseObject({
    project_id: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
    coordination: z.optional(
      z.looseObject({
        backend: z.optional(z.enum(BACKENDS)),
        redis_url: z.optional(z.string()),
        on_unreachable: z.optional(z.enum(UNREACHABLE_POLICIES)),
        timeout_ms: z.optional(z.number().check(z.int(), z.minimum(50), z.maximum(60_000))),
        cluster: z.optional(z.boolean()),
      }),
    ),
    workflows: z.optional(
      z.looseObject({
        'test-coverage': z.optional(z.looseObject({ command: z.optional(nonEmpty()) })),
        'docs-check': z.optional(
          z.looseObject({
            generator: z.optional(z.enum(DOCS_GENERATORS)),
            docs_root: z.optional(repoPath()),
            extensions: z.optional(
              z.array(
                z
                  .string()
                  .check(
                    z.refine((e) => /^\.[A-Za-z0-9]{1,10}$/.test(e), { error: 'an extension such as ".md"' }),
                  ),
              ),
            ),
            html_links: z.optional(z.boolean()),
            static: z.optional(z.array(repoPath())),
            anchors: z.optional(z.enum(ANCHOR_RULES)),
            ignore: z.optional(z.array(nonEmpty())),
          }),
        ),
        'release-prep': z.optional(z.looseObject({ changelog: z.optional(repoPath()) })),
      }),
    ),
  });
export type WfsConfig = z.infer<ReturnType<typeof configSchema>>;
export type DocsGenerator = (typeof DOCS_GENERATORS)[number];
export type AnchorRule = (typeof ANCHOR_RULES)[number];
export type DocsCheckSettings = NonNullable<NonNullable<WfsConfig['workflows']>['docs-check']>;
let builtSchema: ReturnType<typeof configSchema> | undefined;

/** Parses config.json's text (undefined: there is none). Bad JSON or bad values are an error, never ignored. */
export function parseConfig(text: string | undefined): WfsConfig {
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new WfsError(
      'E_INVALID_INPUT',
      `.workflow/config.json is not valid JSON: ${(error as Error).message}`,
    );
  }
  builtSchema ??= configSchema();
  const parsed = builtSchema.safeParse(raw);
  if (!parsed.success)
    throw new WfsError(
      'E_INVALID_INPUT',
      `.workflow/config.json is invalid: ${describeIssues(parsed.error)}`,
    );
  return parsed.data;
}

export interface CoordinationSettings {
  backend: Backend;
  /** Why this backend: which variable or setting chose it. */
  chosenBy: string;
  redisUrl?: string;
  onUnreachable: UnreachablePolicy;
  timeoutMs: number;
  /** Redis: true a Redis Cluster, false a single server; unset, the server is asked. */
  redisCluster?: boolean;
}

function oneOf<T extends string>(values: readonly T[], value: string, name: string): T {
  if (!values.includes(value as T))
    throw new WfsError(
      'E_INVALID_INPUT',
      `${name}=${JSON.stringify(value)}: expected one of ${values.join('|')}`,
    );
  return value as T;
}

/**
 * The backend: `WFS_COORD` when set; else Redis when `WFS_REDIS_URL` is set; else config.json's
 * `coordination.backend`, or Redis when it names a `redis_url`; else the embedded backend. The
 * URL: `WFS_REDIS_URL`, else config.json. The policy when the backend cannot be reached:
 * `WFS_ON_UNREACHABLE`, else config.json, else `fail` (the one that never does work unprotected).
 * Whether the Redis URL names a node of a Redis Cluster: `WFS_REDIS_CLUSTER` (true, false, or
 * auto: ask the server), else config.json's `coordination.cluster`, else asked of the server.
 */
export function resolveCoordination(config: WfsConfig, env: NodeJS.ProcessEnv): CoordinationSettings {
  const section = config.coordination ?? {};
  const redisUrl = env.WFS_REDIS_URL || section.redis_url;
  let backend: Backend;
  let chosenBy: string;
  if (env.WFS_COORD) {
    backend = oneOf(BACKENDS, env.WFS_COORD, 'WFS_COORD');
    chosenBy = 'WFS_COORD';
  } else if (env.WFS_REDIS_URL) {
    backend = 'redis';
    chosenBy = 'WFS_REDIS_URL';
  } else if (section.backend) {
    backend = section.backend;
    chosenBy = 'config.json';
  } else if (section.redis_url) {
    backend = 'redis';
    chosenBy = 'config.json';
  } else {
    backend = 'local';
    chosenBy = 'default';
  }
  if (backend === 'redis') {
    if (!redisUrl)
      throw new WfsError(
        'E_INVALID_INPUT',
        `The Redis backend was chosen (${chosenBy}) but no URL is set: set WFS_REDIS_URL or coordination.redis_url in .workflow/config.json`,
      );
    if (!/^rediss?:\/\//.test(redisUrl))
      throw new WfsError('E_INVALID_INPUT', 'A Redis URL begins with redis:// or rediss:// (TLS)');
  }
  // WFS_REDIS_CLUSTER overrides config.json; `auto` asks the server even when config.json says.
  const clusterSetting = env.WFS_REDIS_CLUSTER
    ? oneOf(['true', 'false', 'auto'] as const, env.WFS_REDIS_CLUSTER, 'WFS_REDIS_CLUSTER')
    : undefined;
  const redisCluster =
    clusterSetting === undefined
      ? section.cluster
      : clusterSetting === 'auto'
        ? undefined
        : clusterSetting === 'true';
  const onUnreachable = env.WFS_ON_UNREACHABLE
    ? oneOf(UNREACHABLE_POLICIES, env.WFS_ON_UNREACHABLE, 'WFS_ON_UNREACHABLE')
    : (section.on_unreachable ?? 'fail');
  return {
    backend,
    chosenBy,
    ...(backend === 'redis' && redisUrl ? { redisUrl } : {}),
    onUnreachable,
    timeoutMs: section.timeout_ms ?? 2_000,
    ...(backend === 'redis' && redisCluster !== undefined ? { redisCluster } : {}),
  };
}

export type IdentitySource = 'WFS_PROJECT_ID' | 'config.json' | 'origin' | 'root-commit' | 'root-path';

/**
 * A git remote URL in the one form every clone agrees on: no scheme, user, password or port,
 * lower case, no trailing `.git` or slash. `git@github.com:Org/Repo.git`,
 * `https://github.com/org/repo` and `ssh://git@github.com:22/org/repo.git` are all
 * `github.com/org/repo`.
 */
export function normaliseRemoteUrl(url: string): string {
  let text = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (scheme) {
    if (scheme[1]!.toLowerCase() === 'file') return `file:${scheme[2]!.replace(/\/+$/, '')}`;
    text = scheme[2]!;
    // user[:password]@ and :port
    text = text.replace(/^[^@/]*@/, '').replace(/^([^/:]+):\d*(?=\/|$)/, '$1');
  } else {
    const scp = /^(?:[^@/]+@)?([^:/]+):(.*)$/.exec(text);
    if (scp) text = `${scp[1]}/${scp[2]}`;
    else return `file:${text.replace(/\/+$/, '')}`;
  }
  return text
    .toLowerCase()
    .replace(/\/+/g, '/')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
}
