/**
 * Canonical LUT keys. `opKey` is the only function that builds a key and `parseOpKey` the only one
 * that reads one; both are driven by the field table below, so they round-trip by construction.
 *
 *   mbconv:1x16x112x112:c24:k5:s2:e6:se0.25:relu6:skip1:f32
 *   kind  :input NxCxHxW :fields in the kind's fixed order  :dtype
 */
import { ACTS, DTYPES, SEED_KINDS, type Act, type DType, type OpInstance, type OpKind, type OpSpec, type Shape } from './ops.js';
import { oneLine, UserError } from './errors.js';
import type { Field } from './key-fields.js';
import { LOWERINGS } from './lower/table.js';


/**
 * Field order per kind, from each kind's lowering file (src/core/lower/<kind>.ts). Changing an order
 * changes every key: bump the LUT format version if you do.
 */
export const KEY_FIELDS = Object.fromEntries(Object.entries(LOWERINGS).map(([kind, l]) => [kind, l.fields])) as unknown as { readonly [K in OpKind]: readonly Field[] };

/** The key fields of a kind, read from the lowering table at call time; undefined for an unknown kind. */
function fieldsOf(kind: string): readonly Field[] | undefined {
  return Object.prototype.hasOwnProperty.call(LOWERINGS, kind) ? (LOWERINGS as unknown as Record<string, { fields: readonly Field[] }>)[kind].fields : undefined;
}

export const OP_KINDS = Object.keys(LOWERINGS) as OpKind[];
/** The kinds the NASWOT proxy (the last per-block backend) implements: every kind but the seed kinds of issue 11. */
export const LEGACY_KINDS = OP_KINDS.filter((k) => !(SEED_KINDS as readonly string[]).includes(k));
const knownKinds = () => Object.keys(LOWERINGS).join(', ');

function formatValue(field: Field, value: unknown): string {
  switch (field.type) {
    case 'bool':
      return field.prefix + (value ? '1' : '0');
    case 'ints':
      return field.prefix + (Array.isArray(value) ? value.join('-') : String(value));
    case 'act':
    case 'mode':
    case 'cell':
    case 'norm':
      return String(value);
    case 'gate':
      return field.prefix + String(value);
    default:
      return field.prefix + String(value);
  }
}

/** The canonical key of an op instance. */
export function opKey(inst: OpInstance): string {
  const spec = inst.spec as unknown as Record<string, unknown>;
  const fields = fieldsOf(inst.spec.kind);
  if (!fields) throw new UserError(`unknown op kind '${inst.spec.kind}' (known: ${knownKinds()})`);
  const set = fields.filter((fd) => !fd.optional || spec[fd.name] !== undefined);
  const parts = [inst.spec.kind, inst.input.join('x'), ...set.map((fd) => formatValue(fd, spec[fd.name])), inst.dtype];
  return parts.join(':');
}

function bad(key: string, why: string): UserError {
  return new UserError(oneLine(`malformed op key '${key}': ${why}`, 600), {
    hint: 'keys look like mbconv:1x16x112x112:c24:k5:s2:e6:se0:relu6:skip0:f32',
  });
}

function parseValue(key: string, field: Field, token: string): unknown {
  if (!token.startsWith(field.prefix)) throw bad(key, `expected field '${field.name}' starting with '${field.prefix}', got '${token}'`);
  const raw = token.slice(field.prefix.length);
  switch (field.type) {
    case 'int': {
      if (!/^\d+$/.test(raw)) throw bad(key, `field '${field.name}' must be a non-negative integer, got '${raw}'`);
      return Number(raw);
    }
    case 'ints': {
      if (!/^\d+(-\d+)*$/.test(raw)) throw bad(key, `field '${field.name}' must be integers joined by '-', got '${raw}'`);
      return raw.split('-').map(Number);
    }
    case 'num': {
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) throw bad(key, `field '${field.name}' must be a number, got '${raw}'`);
      return v;
    }
    case 'bool':
      if (raw !== '0' && raw !== '1') throw bad(key, `field '${field.name}' must be 0 or 1, got '${raw}'`);
      return raw === '1';
    case 'act':
      if (!(ACTS as readonly string[]).includes(raw)) throw bad(key, `unknown activation '${raw}' (known: ${ACTS.join(', ')})`);
      return raw as Act;
    case 'mode':
      if (raw !== 'avg' && raw !== 'max') throw bad(key, `pool mode must be avg or max, got '${raw}'`);
      return raw;
    case 'cell':
      // A NASNet block that concatenates its ops ends its group in 'concat' (nasnet-cell.ts), the last one too.
      if (!/^\|[a-z0-9_~|+]+\|(concat)?(>[0-9,]+)?$/.test(raw)) throw bad(key, `'${raw}' is not a cell string (NAS-Bench-201, DARTS or NASNet)`);
      return raw;
    case 'norm':
      if (raw !== 'layer' && raw !== 'instance') throw bad(key, `norm mode must be layer or instance, got '${raw}'`);
      return raw;
    case 'gate':
      if (raw !== 'sigmoid' && raw !== 'hsigmoid') throw bad(key, `SE gate must be sigmoid or hsigmoid, got '${raw}'`);
      return raw;
  }
}

/** Parses a canonical key back into the instance it was built from. */
export function parseOpKey(key: string): OpInstance {
  const parts = key.split(':');
  const kind = parts[0] as OpKind;
  const fields = fieldsOf(kind);
  if (!fields) throw bad(key, `unknown op kind '${parts[0]}' (known: ${knownKinds()})`);
  const required = fields.filter((fd) => !fd.optional);
  if (parts.length < required.length + 3 || parts.length > fields.length + 3)
    throw bad(key, `a '${kind}' key has ${required.length + 3}${fields.length > required.length ? ` to ${fields.length + 3}` : ''} parts, got ${parts.length}`);
  const dims = parts[1].split('x');
  if (dims.length !== 4 || dims.some((d) => !/^[1-9]\d*$/.test(d))) throw bad(key, `input shape must be NxCxHxW positive integers, got '${parts[1]}'`);
  const input = dims.map(Number) as unknown as Shape;
  const spec: Record<string, unknown> = { kind };
  required.forEach((fd, i) => (spec[fd.name] = parseValue(key, fd, parts[i + 2])));
  // Optional fields, in table order, each present or not.
  let next = required.length + 2;
  for (const fd of fields.filter((x) => x.optional)) {
    if (next < parts.length - 1 && parts[next].startsWith(fd.prefix)) spec[fd.name] = parseValue(key, fd, parts[next++]);
  }
  if (next !== parts.length - 1) throw bad(key, `unexpected field '${parts[next]}'`);
  const dtype = parts[parts.length - 1];
  if (!(DTYPES as readonly string[]).includes(dtype)) throw bad(key, `unknown dtype '${dtype}' (known: ${DTYPES.join(', ')})`);
  return { spec: spec as unknown as OpSpec, input, dtype: dtype as DType };
}

/**
 * Keys of ONNX units (src/onnx/extract.ts builds them): onnx:<ops joined by +>:<first input shape>:<16 hex>:<dtype>,
 * e.g. onnx:Conv+BatchNormalization+Relu:1x3x224x224:73e1996bdbd04b8a:f32. The hash covers ops, attributes,
 * wiring and shapes (not weights). They live in the same LUTs as op keys and never parse as one.
 */
export const UNIT_KEY_PATTERN = /^onnx:[A-Za-z0-9_.+]+:(?:\d+(?:x\d+)*|scalar|none):[0-9a-f]{16}:[a-z0-9]+$/;

export function isUnitKey(key: string): boolean {
  return key.startsWith('onnx:');
}
