// Builds the CLI into one ESM bundle (dist/wfs.js, plus chunks for lazily loaded modules) and the
// library with its type declarations (dist/lib). Node 20 has no compile cache, so every CLI start
// pays for all JS it loads: bundling halves that (see ../shared/DEPENDENCIES.md).
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const libOnly = process.argv.includes('--lib-only');
const binOnly = process.argv.includes('--bin-only');

if (!libOnly) {
  rmSync('dist/bin', { recursive: true, force: true });
  rmSync('dist/wfs.js', { force: true });
  await build({
    entryPoints: { wfs: 'src/main.ts' },
    outdir: 'dist',
    chunkNames: 'bin/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // CommonJS dependencies (proper-lockfile) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __wfsCreateRequire } from 'node:module';\nconst require = __wfsCreateRequire(import.meta.url);",
    },
    define: { WFS_VERSION: JSON.stringify(pkg.version) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync('dist/wfs.js', 0o755);
}
if (!binOnly) {
  rmSync('dist/lib', { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
    stdio: 'inherit',
  });
}
