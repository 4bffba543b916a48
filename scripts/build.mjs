// Builds the CLI into one CommonJS file (dist/wfs.cjs) and the library with its type declarations
// (dist/lib). Node 20 has no compile cache, so every CLI start pays for all JS it loads: one bundle
// halves that (see ../shared/DEPENDENCIES.md). CommonJS rather than ESM chunks: measured here, it
// saves 5-7 ms per command (no ESM loader, no chunk resolution). Modules imported lazily (the prompt
// library, the repository analyser) are in the file, but their top-level code runs only when used.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const libOnly = process.argv.includes('--lib-only');
const binOnly = process.argv.includes('--bin-only');

if (!libOnly) {
  rmSync('dist/wfs.cjs', { force: true });
  await build({
    entryPoints: ['src/main.ts'],
    outfile: 'dist/wfs.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    banner: { js: '#!/usr/bin/env node' },
    define: { WFS_VERSION: JSON.stringify(pkg.version) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync('dist/wfs.cjs', 0o755);
}
if (!binOnly) {
  rmSync('dist/lib', { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
    stdio: 'inherit',
  });
}
