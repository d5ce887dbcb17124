/**
 * `nas.config.json` (in the working directory, or `--config FILE`): defaults for every command,
 * validated with ajv against src/config/schema.ts. Flags given on the command line win over the file,
 * the file wins over the commands' built-in defaults. Paths in the file are taken as written, i.e.
 * relative to the directory nas runs in.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { oneLine, UserError } from '../core/errors.js';
import { configSchema, sectionSchema, SHARED_FLAGS, type CommandOptions } from './schema.js';

export const CONFIG_FILE = 'nas.config.json';

export type ConfigSection = Record<string, unknown>;
export type NasConfig = { $schema?: string; defaults?: ConfigSection } & Record<string, ConfigSection | string | undefined>;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

function describe(e: ErrorObject, base = ''): string {
  const where = `${base}${e.instancePath}` || '/';
  if (e.keyword === 'additionalProperties') return `${where}: unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'propertyNames') return `${where}: unknown section '${(e.params as { propertyName: string }).propertyName}'`;
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

function invalid(file: string, errors: ErrorObject[], hint: string, base = ''): UserError {
  // propertyNames reports each bad name twice (the name, then the enum it failed): keep the first.
  const lines = [...new Set(errors.filter((e) => !(e.keyword === 'enum' && e.propertyName !== undefined)).map((e) => describe(e, base)))];
  return new UserError(`config file ${file} is invalid:\n  ${lines.join('\n  ')}`, { hint });
}

/** `--config FILE` if given (it must exist), else nas.config.json in `cwd` if there is one. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new UserError(`config file ${explicit} not found`, { hint: `create it, or leave out --config to use ./${CONFIG_FILE} when there is one` });
    if (statSync(explicit).isDirectory()) throw new UserError(`config path ${explicit} is a directory, expected a JSON file`);
    return explicit;
  }
  const implicit = path.join(cwd, CONFIG_FILE);
  return existsSync(implicit) ? implicit : undefined;
}

/** Reads and validates the file's outer shape (sections, shared flags). */
export function loadConfig(file: string, commands: readonly string[]): NasConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  return parseConfig(text, file, commands);
}

// One compiled validator per command list (compiling is the costly part, and ajv keeps every schema it compiled).
const outerValidators = new Map<string, ReturnType<typeof ajv.compile>>();

/** Validates the text of a config file (`file` names it in errors). */
export function parseConfig(text: string, file: string, commands: readonly string[]): NasConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`config file ${file} is not valid JSON: ${oneLine((e as Error).message)}`, { hint: 'fix it, or pass --config with another file' });
  }
  const key = commands.join('\n');
  let validate = outerValidators.get(key);
  if (!validate) outerValidators.set(key, (validate = ajv.compile(configSchema(commands))));
  if (!validate(data))
    throw invalid(
      file,
      validate.errors ?? [],
      `sections: "defaults" (shared flags: ${Object.keys(SHARED_FLAGS).join(', ')}) and one per command (${commands.join(', ')}), keyed by flag name without dashes`,
    );
  return data as NasConfig;
}

/**
 * The defaults the file gives `command`: its shared flags that the command has, overridden by the
 * command's own section, which is checked against the command's declared flags.
 */
export function commandDefaults(config: NasConfig, file: string, command: string, options: CommandOptions): ConfigSection {
  const section = (config[command] as ConfigSection | undefined) ?? {};
  const validate = ajv.compile(sectionSchema(options));
  if (!validate(section)) throw invalid(file, validate.errors ?? [], `see nas ${command} --help for its flags`, `/${command}`);
  const shared = Object.fromEntries(Object.entries(config.defaults ?? {}).filter(([k]) => options.key[k]));
  return { ...shared, ...section };
}
