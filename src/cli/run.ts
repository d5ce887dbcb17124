#!/usr/bin/env node
/** Entry point: `node dist/src/cli/run.js <command> ...` (the bin/ scripts prepend the command name). */
import { installInterruptHandlers } from './interrupt.js';
import { main } from './main.js';

installInterruptHandlers(process.argv.slice(2));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
