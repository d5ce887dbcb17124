/**
 * Applies nas.config.json inside the yargs runner: a middleware that runs before validation, so a
 * value from the file satisfies a required flag and goes through the same `choices` checks as a typed
 * one. A flag counts as given on the command line when yargs did not fill it from its default.
 */
import type { Arguments, Argv } from 'yargs';
import { commandDefaults, findConfigFile, loadConfig, type NasConfig } from './config.js';
import type { CommandOptions } from './schema.js';

const camel = (key: string) => key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A fresh middleware per run of the runner (it caches the file it read). */
export function configMiddleware(commands: readonly string[]) {
  let loaded: { file: string; config: NasConfig } | null | undefined;
  return (argv: Arguments, y: Argv): void => {
    const command = String(argv._[0] ?? '');
    if (!commands.includes(command)) return;
    if (loaded === undefined) {
      const file = findConfigFile(argv.config as string | undefined);
      loaded = file ? { file, config: loadConfig(file, commands) } : null;
    }
    if (!loaded) return;
    // getOptions() and parsed are public at runtime but missing from @types/yargs.
    const runner = y as unknown as { getOptions(): CommandOptions & { alias: Record<string, string[]> }; parsed?: { defaulted?: Record<string, boolean> } | false };
    const options = runner.getOptions();
    const parsed = runner.parsed;
    const defaulted = parsed ? (parsed.defaulted ?? {}) : {};
    for (const [key, value] of Object.entries(commandDefaults(loaded.config, loaded.file, command, options))) {
      const given = key in argv && !defaulted[key];
      if (given) continue;
      for (const name of new Set([key, camel(key), ...(options.alias[key] ?? [])])) argv[name] = value;
    }
  };
}
