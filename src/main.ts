import fs from 'node:fs';
import { main, codeCacheName as nameOf } from './cli/run.js';

const argv = process.argv.slice(2);

/** Which code cache the launcher (src/launcher.ts) is to write when this process ends. */
export const codeCacheName = nameOf(argv);

// exitCode rather than process.exit(): stdout to a pipe is flushed before the process ends.
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    fs.writeSync(2, `ERROR: Internal error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
