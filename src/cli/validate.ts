/**
 * The CLI's input checks that apply to every command, run as yargs middleware after the config file
 * is applied (so values from nas.config.json are checked the same way as typed ones):
 *  - a flag that takes one value given twice is an error (yargs would silently make it an array);
 *  - every numeric flag has a type (integer or number) and a range, with the range in the message;
 *    the upper bounds keep a typo (--threads 1000000, --random 1000000000) from hanging the machine.
 * Name lookups (--space, --strategy, --device, …) go through src/core/registry.ts.
 */
import { availableParallelism } from 'node:os';
import type { Arguments, Argv } from 'yargs';
import { UserError } from '../core/errors.js';

export interface NumericFlag {
  integer?: boolean;
  min: number;
  /** min itself is not allowed (a positive number). */
  exclusiveMin?: boolean;
  max: number | (() => number);
  /** Why the upper bound, for the message. */
  why?: string;
}

const int = (min: number, max: number | (() => number), why?: string): NumericFlag => ({ integer: true, min, max, why });
const positive = (max: number, why?: string): NumericFlag => ({ min: 0, exclusiveMin: true, max, why });
const HOUR_MS = 3_600_000;

/** Threads beyond four per core only oversubscribe the machine. */
export const maxThreads = (): number => 4 * availableParallelism();

/** Every numeric flag of every command, by its name on the command line. */
export const NUMERIC_FLAGS: Readonly<Record<string, NumericFlag>> = {
  threads: int(0, maxThreads, 'four per core of this machine'),
  port: int(0, 65_535),
  warmup: int(0, 100_000),
  'min-repeats': int(1, 1_000_000),
  'max-repeats': int(1, 1_000_000),
  'max-time-ms': positive(HOUR_MS, 'one hour per model'),
  'target-ci': positive(1),
  // Rng keeps 32 bits of a seed: larger seeds would repeat smaller ones.
  seed: int(0, 2 ** 32 - 1),
  'weight-seed': int(0, 2 ** 32 - 1),
  resolution: int(1, 16_384),
  random: int(1, 100_000, 'architectures held in memory at once'),
  budget: int(1, 10_000_000),
  calibrate: int(0, 10_000),
  'context-nets': int(0, 10_000),
  'size-nets': int(0, 10_000),
  top: int(0, 1_000_000),
  'target-ms': positive(HOUR_MS),
  'target-sample': int(1, 1_000_000),
  'eval-timeout': positive(7 * 24 * 3600, 'one week in seconds'),
  'max-error': positive(1_000_000),
  'min-tau': { min: -1, max: 1 },
  'train-images': int(1, 10_000_000),
  'train-validation': positive(10_000_000),
  downscale: int(1, 64),
  'train-epochs': int(1, 100_000),
  'train-steps': int(1, 100_000_000),
  'train-batch': int(1, 65_536),
  'train-lr': positive(100),
  'checkpoint-every': int(1, 100_000_000),
  'proxy-batch': int(1, 4_096),
  'proxy-resolution': int(1, 1_024),
  // The strategies' own flags (--search-epochs, --warmup-epochs, --tau, --arch-lr, --latency-weight,
  // --supernet-epochs, --start-epochs, --netadapt-*) are range-checked where they are read, with their own
  // messages (src/search/differentiable/settings.ts, src/search/netadapt/options.ts, src/evaluators/supernet.ts).
};

/** What a value of `flag` must be, e.g. "a positive integer ≤ 10000000". */
export function describeRange(spec: NumericFlag): string {
  const max = typeof spec.max === 'function' ? spec.max() : spec.max;
  const kind = spec.integer ? 'integer' : 'number';
  const upTo = `≤ ${max}${spec.why ? ` (${spec.why})` : ''}`;
  if (spec.min === 0 && spec.exclusiveMin) return `a positive ${kind} ${upTo}`;
  if (spec.min === 1 && spec.integer) return `a positive integer ${upTo}`;
  if (spec.min === 0 && spec.integer) return `a non-negative integer ${upTo}`;
  return `${spec.integer ? 'an integer' : 'a number'} in [${spec.min}, ${max}]`;
}

/** Checks one value of a numeric flag; UserError naming the flag, the range and the value. */
export function checkNumericFlag(flag: string, value: unknown, spec: NumericFlag = NUMERIC_FLAGS[flag]): void {
  const max = typeof spec.max === 'function' ? spec.max() : spec.max;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!spec.integer || Number.isInteger(value)) &&
    (spec.exclusiveMin ? value > spec.min : value >= spec.min) &&
    value <= max;
  if (!ok) throw new UserError(`--${flag} must be ${describeRange(spec)}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
}

/** What getOptions() of a yargs instance reports (public at runtime, missing from @types/yargs). */
interface RunnerOptions {
  key: Record<string, boolean>;
  array: string[];
  alias: Record<string, string[]>;
}

/** The middleware: single-value flags given once, numeric flags typed and in range. */
export function validateFlagsMiddleware() {
  return (argv: Arguments, y: Argv): void => {
    const options = (y as unknown as { getOptions(): RunnerOptions }).getOptions();
    const arrays = new Set(options.array);
    for (const key of Object.keys(options.key)) {
      if (key.includes('.') || arrays.has(key)) continue;
      const value = argv[key];
      if (value === undefined) continue;
      if (Array.isArray(value))
        throw new UserError(`--${key} takes one value but was given ${value.length}: ${value.map((v) => JSON.stringify(v)).join(', ')}`, {
          hint: `give --${key} once`,
        });
      if (Object.hasOwn(NUMERIC_FLAGS, key)) checkNumericFlag(key, value);
    }
  };
}
