import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script of the Redis backend, typed in one place: the names of its keys and arguments (in
 * the order Redis passes them), the type of its reply, and the Lua text. The text reads its keys
 * and arguments by those names (a prelude binds `local <name> = KEYS[i]` / `ARGV[i]`), and a
 * caller passes them by name, so the key count, the argument list and the script cannot drift
 * apart. Each operation is one script, so it is atomic: no SETNX-then-EXPIRE window, no
 * GET-compare-DEL race, no read-then-write between two clients. Every key of a script is in the
 * project's hash tag, so on one Redis Cluster slot.
 */
export interface LuaScript<Key extends string, Arg extends string, Reply> {
  readonly keys: readonly Key[];
  readonly args: readonly Arg[];
  /** The text sent to Redis: the prelude and the body. */
  readonly lua: string;
  readonly sha: string;
  /** Only carries the reply's type. */
  readonly reply?: Reply;
}

/** What running a script needs of a client (a single server's, or a Cluster's: both route EVAL by its first key). */
export type ScriptClient = Pick<Redis, 'eval' | 'evalsha'>;

/** The server's time in milliseconds, as `now`: never the time of a client whose clock may be off. */
export const NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * Defines a script; the reply type is given first, the names are inferred:
 * `luaScript<[string, string] | null>()({ keys: ['leaseKey'], args: ['token'], lua: '...' })`.
 */
export function luaScript<Reply>() {
  return <const Key extends string, const Arg extends string>(definition: {
    keys: readonly Key[];
    args: readonly Arg[];
    body: string;
  }): LuaScript<Key, Arg, Reply> => {
    const bind = (names: readonly string[], table: string) =>
      names.map((name, i) => `local ${name} = ${table}[${i + 1}]\n`).join('');
    const lua = `${bind(definition.keys, 'KEYS')}${bind(definition.args, 'ARGV')}${definition.body}`;
    return {
      keys: definition.keys,
      args: definition.args,
      lua,
      sha: createHash('sha1').update(lua).digest('hex'),
    };
  };
}

/**
 * Runs a script by its SHA (the server keeps scripts across connections, so a short request),
 * sending the text only when the server answers NOSCRIPT (it restarted or flushed its scripts). A
 * NOSCRIPT answer means nothing ran, so sending the text then is safe.
 */
export function runScript<Key extends string, Arg extends string, Reply>(
  client: ScriptClient,
  script: LuaScript<Key, Arg, Reply>,
  keys: Record<Key, string>,
  args: Record<Arg, string | number>,
): Promise<Reply> {
  const values = [...script.keys.map((name) => keys[name]), ...script.args.map((name) => args[name])];
  return runScriptWith(client, script, script.keys.length, values);
}

/**
 * `runScript` for a script that takes a number of keys known only when it runs (it reads `KEYS`
 * and `ARGV` itself, declaring none by name): `keyCount` keys, then the arguments, in `values`.
 */
export function runScriptWith<Reply>(
  client: ScriptClient,
  script: LuaScript<string, string, Reply>,
  keyCount: number,
  values: (string | number)[],
): Promise<Reply> {
  // No async frame of its own: a lease's acquire and release run thousands of times a second.
  return (client.evalsha(script.sha, keyCount, ...values) as Promise<Reply>).catch((error: unknown) => {
    if (!(error as Error | undefined)?.message?.startsWith('NOSCRIPT')) throw error;
    return client.eval(script.lua, keyCount, ...values) as Promise<Reply>;
  });
}
