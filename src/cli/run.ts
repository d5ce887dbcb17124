#!/usr/bin/env node
/** Entry point: `node dist/src/cli/run.js <command> ...` (the bin/ scripts prepend the command name). */
import { installInterruptHandlers } from './interrupt.js';
import { main } from './main.js';

installInterruptHandlers(process.argv.slice(2));

// 0: the process's start, so budgets counted from the command's start include Node's start-up (src/cli/started.ts).
main(process.argv.slice(2), 0).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
