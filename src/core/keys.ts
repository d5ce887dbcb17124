/**
 * Canonical LUT keys. `opKey` is the only function that builds a key and `parseOpKey` the only one
 * that reads one; both are driven by the field table below, so they round-trip by construction.
 *
 *   mbconv:1x16x112x112:c24:k5:s2:e6:se0.25:relu6:skip1:f32
 *   kind  :input NxCxHxW :fields in the kind's fixed order  :dtype
 */
import { ACTS, DTYPES, type Act, type DType, type OpInstance, type OpKind, type OpSpec, type Shape } from './ops.js';
import { oneLine, UserError } from './errors.js';

type FieldType = 'int' | 'num' | 'bool' | 'act' | 'mode' | 'cell';
interface Field {
  name: string;
  prefix: string;
  type: FieldType;
}
const f = (name: string, prefix: string, type: FieldType): Field => ({ name, prefix, type });

/** Field order per kind. Changing an order changes every key: bump the LUT format version if you do. */
export const KEY_FIELDS: { readonly [K in OpKind]: readonly Field[] } = {
  conv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('groups', 'g', 'int'), f('dilation', 'd', 'int'), f('act', '', 'act')],
  dwconv: [f('k', 'k', 'int'), f('stride', 's', 'int'), f('dilation', 'd', 'int'), f('act', '', 'act')],
  dwsep: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('se', 'se', 'num'), f('act', '', 'act'), f('skip', 'skip', 'bool')],
  mbconv: [
    f('cout', 'c', 'int'),
    f('k', 'k', 'int'),
    f('stride', 's', 'int'),
    f('expand', 'e', 'num'),
    f('se', 'se', 'num'),
    f('act', '', 'act'),
    f('skip', 'skip', 'bool'),
  ],
  pool: [f('mode', '', 'mode'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  gpool: [f('mode', '', 'mode')],
  identity: [],
  zero: [f('stride', 's', 'int')],
  linear: [f('cout', 'c', 'int'), f('act', '', 'act')],
  se: [f('ratio', 'r', 'num'), f('act', '', 'act')],
  reluconv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  sum: [f('arity', 'n', 'int')],
  nb201cell: [f('cell', '', 'cell')],
  resblock: [f('cout', 'c', 'int'), f('stride', 's', 'int')],
};

export const OP_KINDS = Object.keys(KEY_FIELDS) as OpKind[];

function formatValue(field: Field, value: unknown): string {
  switch (field.type) {
    case 'bool':
      return field.prefix + (value ? '1' : '0');
    case 'act':
    case 'mode':
    case 'cell':
      return String(value);
    default:
      return field.prefix + String(value);
  }
}

/** The canonical key of an op instance. */
export function opKey(inst: OpInstance): string {
  const spec = inst.spec as unknown as Record<string, unknown>;
  const fields = Object.hasOwn(KEY_FIELDS, inst.spec.kind) ? KEY_FIELDS[inst.spec.kind] : undefined;
  if (!fields) throw new UserError(`unknown op kind '${inst.spec.kind}' (known: ${OP_KINDS.join(', ')})`);
  const parts = [inst.spec.kind, inst.input.join('x'), ...fields.map((fd) => formatValue(fd, spec[fd.name])), inst.dtype];
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
      if (!/^\|[a-z0-9_~|+]+\|$/.test(raw)) throw bad(key, `'${raw}' is not a NAS-Bench-201 cell string`);
      return raw;
  }
}

/** Parses a canonical key back into the instance it was built from. */
export function parseOpKey(key: string): OpInstance {
  const parts = key.split(':');
  const kind = parts[0] as OpKind;
  const fields = Object.hasOwn(KEY_FIELDS, kind) ? KEY_FIELDS[kind] : undefined;
  if (!fields) throw bad(key, `unknown op kind '${parts[0]}' (known: ${OP_KINDS.join(', ')})`);
  if (parts.length !== fields.length + 3) throw bad(key, `a '${kind}' key has ${fields.length + 3} parts, got ${parts.length}`);
  const dims = parts[1].split('x');
  if (dims.length !== 4 || dims.some((d) => !/^[1-9]\d*$/.test(d))) throw bad(key, `input shape must be NxCxHxW positive integers, got '${parts[1]}'`);
  const input = dims.map(Number) as unknown as Shape;
  const spec: Record<string, unknown> = { kind };
  fields.forEach((fd, i) => (spec[fd.name] = parseValue(key, fd, parts[i + 2])));
  const dtype = parts[parts.length - 1];
  if (!(DTYPES as readonly string[]).includes(dtype)) throw bad(key, `unknown dtype '${dtype}' (known: ${DTYPES.join(', ')})`);
  return { spec: spec as unknown as OpSpec, input, dtype: dtype as DType };
}
