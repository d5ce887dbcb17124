/**
 * Checking that parsed JSON is a LUT this version of the tool can read. Format and version are
 * checked first, so an old or foreign file gets a message about that and not a list of schema errors.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DEVICE_REGISTRY } from '../devices/registry.js';
import { oneLine, UserError } from '../src/core/errors.js';
import { isUnitKey, opKey, parseOpKey, UNIT_KEY_PATTERN } from '../src/core/keys.js';
import { isLatency, MAX_LATENCY_MS, statsProblem } from '../src/core/latency-bounds.js';
import { LUT_FORMAT, LUT_VERSION, type Lut } from './format.js';
import schema from './schema.json' with { type: 'json' };

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  return compiled;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath;
  const extra = e.keyword === 'additionalProperties' ? ` ('${(e.params as { additionalProperty: string }).additionalProperty}')` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
}

/** `data` as a Lut, or a UserError naming `source` and, for schema violations, the JSON path of each problem. */
export function validateLut(data: unknown, source: string): Lut {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UserError(`${source} is not a LUT: expected a JSON object`);
  const { format, version } = data as { format?: unknown; version?: unknown };
  if (format !== LUT_FORMAT)
    throw new UserError(`${source} is not a LUT: its "format" is ${JSON.stringify(format) ?? 'missing'}, expected "${LUT_FORMAT}"`);
  if (version !== LUT_VERSION)
    throw new UserError(`${source} is LUT format version ${JSON.stringify(version) ?? '(missing)'}; this tool reads version ${LUT_VERSION} only`, {
      hint: `re-profile it with this version of the tool, or use the tool version that wrote it`,
    });
  const validate = validator();
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    const shown = errors.slice(0, 5).map(describe);
    const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more` : '';
    throw new UserError(oneLine(`${source} is not a valid LUT v${LUT_VERSION}: ${shown.join('; ')}${more}`, 1000));
  }
  const lut = data as Lut;
  const implausible = (what: string, problem: string | undefined) => {
    if (problem) throw new UserError(`${source}: ${what}: ${problem}`, { hint: 'a measured latency is never like this: the file is corrupt or was edited; re-profile the entry (nas profile fills what is missing)' });
  };
  implausible('overhead', statsProblem(lut.overhead));
  // Rounds scaled to a reference mean nothing without the scale they were brought to (devices/reference.ts).
  if (lut.protocol.reference !== undefined && lut.protocol.referenceMs === undefined)
    throw new UserError(`${source}: its protocol times a reference ('${lut.protocol.reference}') but records no reference scale (protocol.referenceMs)`, {
      hint: 'the file was edited or cut short: re-profile it (nas profile records the scale before its first round)',
    });
  for (const [key, entry] of Object.entries(lut.entries)) {
    implausible(`entry '${key}'`, statsProblem(entry.stats));
    if (!isLatency(entry.net)) implausible(`entry '${key}'`, `net ${entry.net} ms is outside [0, ${MAX_LATENCY_MS}] ms`);
  }
  for (const key of [...Object.keys(lut.entries), ...Object.keys(lut.unsupported ?? {})]) {
    if (isUnitKey(key)) {
      if (!UNIT_KEY_PATTERN.test(key)) throw new UserError(`${source}: unit key '${key}' is malformed`, { hint: 'unit keys look like onnx:Conv+Relu:1x3x224x224:<16 hex>:f32' });
      continue;
    }
    // parseOpKey throws a UserError that says what is wrong with the key.
    const canonical = opKey(parseOpKey(key));
    if (canonical !== key) throw new UserError(`${source}: entry key '${key}' is not canonical (expected '${canonical}')`);
  }
  return withLegacyOptions(lut);
}

/**
 * An option its device records today but the LUT, measured before it was recorded, lacks is filled in with
 * the value those measurements had (DeviceFactory.legacyOptions), so comparing, resuming and merging see an
 * old LUT as what it is: e.g. an ort-cpu LUT without `outputs` was timed with every output copied out every
 * run ('full') and does not take entries timed with sliced outputs.
 */
function withLegacyOptions(lut: Lut): Lut {
  const legacy = DEVICE_REGISTRY.find(lut.device.device)?.legacyOptions;
  if (legacy) for (const [key, value] of Object.entries(legacy)) if (!Object.hasOwn(lut.device.options, key)) lut.device.options[key] = value;
  return lut;
}
