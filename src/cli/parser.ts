/**
 * The yargs parser every command line goes through: global flags (--json, --config), nas.config.json
 * defaults, strict parsing. main() runs it over every command; the demo uses it to turn a step's flags
 * into that command's arguments (defaults and config applied) and then calls the command's function.
 */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { configMiddleware } from '../config/middleware.js';
import { COMMAND_NAMES } from './commands/names.js';
import { validateFlagsMiddleware } from './validate.js';

/** A command-line mistake (unknown flag, missing value): exit 2 with a pointer to --help. */
export class UsageError extends Error {}

export function createParser(args: string[], commands: readonly CommandModule<object, never>[]): Argv {
  const parser = yargs(args)
    .scriptName('nas')
    .usage('$0 <command> [options]\n\nHardware-aware NAS: profile ops on a device into a LUT, predict, search, export and verify.')
    .option('json', { type: 'boolean', default: false, describe: 'print one machine-readable JSON document on stdout (logs and progress go to stderr)' })
    .option('config', { type: 'string', describe: 'defaults for every command from this JSON file (default: ./nas.config.json when present); flags win' })
    .middleware(configMiddleware(COMMAND_NAMES) as never, true)
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
  for (const command of commands) parser.command(command);
  return parser;
}

/** The arguments `command` gets from `flags` (its defaults, nas.config.json and validation applied), without running it. */
export async function commandArgs<A>(command: CommandModule<object, A>, flags: string[]): Promise<A> {
  const name = String(command.command).split(' ')[0];
  let parsed: A | undefined;
  const capture = { ...command, handler: (a: A) => void (parsed = a) } as unknown as CommandModule<object, never>;
  await createParser([name, ...flags], [capture]).parseAsync();
  if (parsed === undefined) throw new Error(`nas ${name}: the flags did not parse into arguments`);
  return parsed;
}
