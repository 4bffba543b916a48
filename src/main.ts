import fs from 'node:fs';
import { main } from './cli/run.js';

// exitCode rather than process.exit(): stdout to a pipe is flushed before the process ends.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    fs.writeSync(2, `ERROR: Internal error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
