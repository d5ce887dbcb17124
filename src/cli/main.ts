/**
 * The `nas` command-line runner: one yargs module per command (src/cli/commands/), strict parsing,
 * user errors printed as one message (plus a hint) with a non-zero exit code and no stack trace.
 */
import { performance } from 'node:perf_hooks';
import { isUserError } from '../core/errors.js';
import { COMMANDS } from './commands/index.js';
import { createParser, UsageError } from './parser.js';
import { setCommandStart } from './started.js';

/** `startedAt`: when the command began, performance.now() ms (the entry point passes 0, the process's start). */
export async function main(args: string[], startedAt = performance.now()): Promise<number> {
  setCommandStart(startedAt);
  let exitCode = 0;
  try {
    await createParser(args, COMMANDS).parseAsync();
  } catch (e) {
    exitCode = reportError(e);
  }
  return exitCode || (process.exitCode as number | undefined) || 0;
}

function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`error: ${e.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (isUserError(e)) {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    return e.exitCode;
  }
  // A bug: keep the stack so it can be reported.
  process.stderr.write(`internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 70;
}
