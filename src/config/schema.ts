/**
 * The JSON Schema of `nas.config.json`. Keys are the commands' flags as typed on the command line
 * (kebab-case, without the dashes):
 *
 *   {"defaults": {"device": "cpu", "threads": 2, "warmup": 5},   ← every command that has the flag
 *    "profile":  {"resolution": 64, "calibrate": 10},             ← one command (`lut` covers lut show|diff|merge)
 *    "verify":   {"max-error": 15, "report": "report.html"}}
 *
 * `defaults` holds the flags several commands share and is typed here. A command's own section is
 * checked against that command's flags when it runs (sectionSchema), so it never falls behind them.
 */

type JsonSchema = Record<string, unknown>;

const int = (minimum?: number): JsonSchema => (minimum === undefined ? { type: 'integer' } : { type: 'integer', minimum });
const positive: JsonSchema = { type: 'number', exclusiveMinimum: 0 };
const text: JsonSchema = { type: 'string', minLength: 1 };

/** Flags shared by several commands, with their types. */
export const SHARED_FLAGS: Record<string, JsonSchema> = {
  json: { type: 'boolean' },
  device: text,
  threads: int(0),
  'graph-opt': { enum: ['all', 'extended', 'basic', 'disabled'] },
  browser: text,
  'browser-endpoint': text,
  'device-opt': { type: 'array', items: { type: 'string', pattern: '^[\\w.-]+=' } },
  warmup: int(0),
  'min-repeats': int(1),
  'max-repeats': int(1),
  'max-time-ms': positive,
  'target-ci': positive,
  rounds: int(1),
  estimator: { enum: ['median', 'trimmed-mean', 'low-quantile', 'min', 'lower-half'] },
  'max-spread': positive,
  'extra-rounds': int(0),
  'fresh-process': { type: 'boolean' },
  cpu: { type: 'string' },
  reference: text,
  'round-gate': { enum: ['auto', 'off'] },
  'reference-drift': { enum: ['auto', 'off'] },
  seed: int(),
  resolution: int(1),
  space: text,
  lut: text,
  'target-ms': positive,
};

/** The file's outer shape: `$schema`, `defaults`, and one section per command. */
export function configSchema(commands: readonly string[]): JsonSchema {
  return {
    title: 'hw-nas configuration (nas.config.json)',
    type: 'object',
    propertyNames: { enum: ['$schema', 'defaults', ...commands] },
    properties: {
      $schema: { type: 'string' },
      defaults: { type: 'object', properties: SHARED_FLAGS, additionalProperties: false },
      ...Object.fromEntries(commands.map((c) => [c, { type: 'object' }])),
    },
  };
}

/** What getOptions() of a yargs instance reports, as far as the schema needs it. */
export interface CommandOptions {
  key: Record<string, boolean>;
  boolean: string[];
  number: string[];
  string: string[];
  array: string[];
  choices: Record<string, unknown[]>;
}

/** Flags that configure the runner itself, never a command's default. */
const NOT_CONFIGURABLE = new Set(['help', 'version', 'config']);

/** The schema of one command's section, built from the flags that command declares. */
export function sectionSchema(options: CommandOptions): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const key of Object.keys(options.key)) {
    if (NOT_CONFIGURABLE.has(key)) continue;
    const scalar: JsonSchema = options.boolean.includes(key)
      ? { type: 'boolean' }
      : options.number.includes(key)
        ? { type: 'number' }
        : options.string.includes(key)
          ? { type: 'string' }
          : { type: ['string', 'number', 'boolean'] };
    const choices = options.choices[key];
    const item = choices?.length ? { ...scalar, enum: choices } : scalar;
    properties[key] = options.array.includes(key) ? { type: 'array', items: item } : item;
  }
  return { type: 'object', properties, additionalProperties: false };
}

