/**
 * The `nas` command-line runner: one yargs module per command (src/cli/commands/), strict parsing,
 * user errors printed as one message (plus a hint) with a non-zero exit code and no stack trace.
 */
import yargs from 'yargs';
import { isUserError } from '../core/errors.js';
import { COMMANDS } from './commands/index.js';
import { configMiddleware } from '../config/middleware.js';
import { validateFlagsMiddleware } from './validate.js';

export async function main(args: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(args)
    .scriptName('nas')
    .usage('$0 <command> [options]\n\nHardware-aware NAS: profile ops on a device into a LUT, predict, search, export and verify.')
    .option('json', { type: 'boolean', default: false, describe: 'print one machine-readable JSON document on stdout (logs and progress go to stderr)' })
    .option('config', { type: 'string', describe: 'defaults for every command from this JSON file (default: ./nas.config.json when present); flags win' })
    .middleware(configMiddleware(COMMANDS.map((c) => String(c.command).split(' ')[0])) as never, true)
    // After the commands' coerce functions (a bare --random is 1 by then), before any handler.
    .middleware(validateFlagsMiddleware() as never, false)
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  for (const command of COMMANDS) parser.command(command);
  try {
    await parser.parseAsync();
  } catch (e) {
    exitCode = reportError(e);
  }
  return exitCode || (process.exitCode as number | undefined) || 0;
}

class UsageError extends Error {}

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
