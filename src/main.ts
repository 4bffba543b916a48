#!/usr/bin/env node
import { main } from './cli/run.js';

// exitCode rather than process.exit(): stdout to a pipe is flushed before the process ends.
process.exitCode = await main(process.argv.slice(2));
