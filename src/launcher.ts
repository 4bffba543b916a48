import fs from 'node:fs';

/**
 * dist/wfs.cjs, the bin: loads the CLI bundle (dist/cli.cjs) with V8's code cache. Node 20 has no
 * compile cache, so without one every command compiles the bundle and then, on first call, each
 * function it runs. The cache is written after the command has run, so it holds the functions that
 * command compiled (for `wfs context` 299 KB, against 125 KB made right after compiling, measured
 * here), one file per command (they compile different functions). It lives outside the repository
 * ($XDG_CACHE_HOME/wfs or ~/.cache/wfs); anything wrong with it (missing, from another build or
 * Node, corrupt, a folder that cannot be read or written) only means the command compiles as it
 * would without one: it never changes what the command prints or its exit code.
 * WFS_CODE_CACHE=0 turns it off.
 */

/** The bundle's version and content hash, set by scripts/build.mjs: a cache is for one build only. */
declare const WFS_BUNDLE_ID: string;

const BUNDLE = `${__dirname}/cli.cjs`;
const MAGIC = 0x32434657; // 'WFC2', little-endian
const HEADER = 16; // magic, payload length, two zero words
/** Files of other builds are removed when this old (a build in use rewrites none of its files). */
const STALE_MS = 30 * 24 * 3600 * 1000;
/** A command's name: lowercase words, as the CLI's command paths are. */
const WORD = /^[a-z]+(-[a-z]+)*$/;

// V8 checks a cache's version, flags and the source's length, but a release build does not
// checksum its contents: a flipped byte must be caught here. The payload is stored twice and the
// two copies compared (one memcmp, ~0.1 ms for 280 KB, and the second copy's read ~0.1 ms), rather
// than summed: a checksum was the largest part of reading a cache (a WebAssembly sum ~0.8-1 ms a
// command, with a compile that now and then took 3 ms under load; in plain JavaScript ~2.5 ms;
// node:zlib's crc32 costs 1.6 ms to load; all measured here). The price is twice the disk (a few
// hundred KB a command, in the user's cache folder). A write is whole or absent (temp file and
// rename), so the two copies differ only when the file was damaged afterwards.

/** A short hash of a string, for the Node options in a file name. */
function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/**
 * The cache folder, or undefined when there is none to use. Only what the environment names (XDG
 * says a relative path is to be ignored): with no home set, not the account's home from the
 * system's user database, which may be a folder this process was kept out of on purpose.
 */
function cacheDir(): string | undefined {
  const absolute = (p: string | undefined) =>
    p !== undefined && (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p));
  const xdg = process.env.XDG_CACHE_HOME;
  if (absolute(xdg)) return `${xdg}/wfs`;
  const home = process.platform === 'win32' ? process.env.USERPROFILE : process.env.HOME;
  return absolute(home) ? `${home}/.cache/wfs` : undefined;
}

/** The payload of a cache file; 'missing' or, when torn or corrupt, 'unusable' (to be replaced). */
function readCache(file: string): Buffer | 'missing' | 'unusable' {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return 'missing';
  }
  if (data.length < HEADER || data.readUInt32LE(0) !== MAGIC) return 'unusable';
  const length = data.readUInt32LE(4);
  if (data.length !== HEADER + 2 * length) return 'unusable';
  const payload = data.subarray(HEADER, HEADER + length);
  return payload.equals(data.subarray(HEADER + length)) ? payload : 'unusable';
}

/** Writes a cache file whole or not at all (a temporary file renamed), and clears out old builds'. */
function writeCache(dir: string, file: string, payload: Buffer, prefix: string): void {
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(payload.length, 4);
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, Buffer.concat([header, payload, payload]));
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    // This build's caches stay; its temporary files only if a writer was killed, so they age out.
    if (name.startsWith(prefix) && name.endsWith('.bin')) continue;
    const other = `${dir}/${name}`;
    if (now - fs.statSync(other).mtimeMs > STALE_MS) fs.rmSync(other, { force: true });
  }
}

type Bundle = { exports: { codeCacheName?: string } };

function launch(): void {
  const dir = process.env.WFS_CODE_CACHE === '0' ? undefined : cacheDir();
  if (dir === undefined) {
    require(BUNDLE);
    return;
  }
  const vm = process.getBuiltinModule('node:vm');
  // One cache per build, Node, architecture and V8 options: V8 rejects a cache made under other
  // flags, and two ways of running wfs side by side should not keep replacing each other's.
  const options = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  // The file's format is in its name too: launchers of two formats over one bundle (a build
  // being changed) would otherwise keep replacing each other's files.
  const prefix = `${WFS_BUNDLE_ID}-${process.version}-${process.arch}-${hashText(options)}-wfc2-`;
  // The command is only known for sure once the bundle has parsed the arguments (it exports the
  // name, below); its first one or two words are the guess for which cache to read.
  const words: string[] = [];
  for (const arg of process.argv.slice(2)) {
    if (!WORD.test(arg) || words.length === 2) break;
    words.push(arg);
  }
  let loaded: string | undefined;
  let cachedData: Buffer | undefined;
  const unusable = new Set<string>();
  for (let n = words.length; n > 0 && cachedData === undefined; n--) {
    const name = words.slice(0, n).join('-');
    const read = readCache(`${dir}/${prefix}${name}.bin`);
    if (read === 'unusable') unusable.add(name);
    else if (read !== 'missing') {
      loaded = name;
      cachedData = read;
    }
  }
  const source = fs.readFileSync(BUNDLE, 'utf8');
  // Node's own CommonJS wrapper, on the first line so the bundle's line numbers stay as they are.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    cachedData === undefined ? { filename: BUNDLE } : { filename: BUNDLE, cachedData },
  );
  const bundle: Bundle = { exports: {} };
  const rejected = cachedData !== undefined && script.cachedDataRejected === true;
  process.on('exit', () => {
    // The bundle names the command, or none for one that runs until stopped (its exit is not to
    // wait for a cache); and help, version or a usage error are not worth one.
    const name = bundle.exports.codeCacheName;
    if (name === undefined) return;
    if (cachedData !== undefined && !rejected && name === loaded) return;
    const file = `${dir}/${prefix}${name}.bin`;
    try {
      // Not read because the guess was another (an option before the command's words): it is
      // there already, and good unless it was read and found wanting.
      const replace = (rejected && name === loaded) || unusable.has(name);
      if (!replace && fs.existsSync(file)) return;
      writeCache(dir, file, script.createCachedData(), prefix);
    } catch {
      // A folder that cannot be written or a full disk: the next run compiles again, no more.
    }
  });
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  // The launcher's own require: the bundle sits in the launcher's folder, so it resolves the
  // bundle's requires (./lazy/*.cjs, node: builtins) as createRequire(BUNDLE) would, without
  // loading node:module for it (~0.5 ms, measured with --cpu-prof).
  run.call(bundle.exports, bundle.exports, require, bundle, BUNDLE, __dirname);
}

launch();
