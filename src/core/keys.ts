/**
 * Canonical LUT keys. `opKey` is the only function that builds a key and `parseOpKey` the only one
 * that reads one; both are driven by the field table below, so they round-trip by construction.
 *
 *   mbconv:1x16x112x112:c24:k5:s2:e6:se0.25:relu6:skip1:f32
 *   kind  :input NxCxHxW :fields in the kind's fixed order  :dtype
 */
import { ACTS, DTYPES, SEED_KINDS, type LegacyKind, type Act, type DType, type OpInstance, type OpKind, type OpSpec, type Shape } from './ops.js';
import { UserError } from './errors.js';

type FieldType = 'int' | 'ints' | 'num' | 'bool' | 'act' | 'mode' | 'cell' | 'norm' | 'gate';
interface Field {
  name: string;
  prefix: string;
  type: FieldType;
  /**
   * Optional fields come after the required ones and appear in a key only when the spec sets them, so
   * adding one to a kind leaves every existing key of that kind unchanged.
   */
  optional?: true;
}
const f = (name: string, prefix: string, type: FieldType): Field => ({ name, prefix, type });
const opt = (name: string, prefix: string, type: FieldType): Field => ({ name, prefix, type, optional: true });

/** Field order per kind. Changing an order changes every key: bump the LUT format version if you do. */
export const KEY_FIELDS: { readonly [K in OpKind]: readonly Field[] } = {
  conv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('groups', 'g', 'int'), f('dilation', 'd', 'int'), f('act', '', 'act'), opt('pad', 'p', 'int')],
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
    opt('gate', 'gate', 'gate'),
    opt('pwGroups', 'pg', 'int'),
  ],
  pool: [f('mode', '', 'mode'), f('k', 'k', 'int'), f('stride', 's', 'int'), opt('pad', 'p', 'int'), opt('ceil', 'ceil', 'bool')],
  gpool: [f('mode', '', 'mode')],
  identity: [],
  zero: [f('stride', 's', 'int')],
  linear: [f('cout', 'c', 'int'), f('act', '', 'act')],
  se: [f('ratio', 'r', 'num'), f('act', '', 'act'), opt('gate', 'gate', 'gate')],
  reluconv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  sum: [f('arity', 'n', 'int')],
  concat: [f('channels', 'c', 'ints')],
  nb201cell: [f('cell', '', 'cell')],
  resblock: [f('cout', 'c', 'int'), f('stride', 's', 'int')],
  basic: [f('cout', 'c', 'int'), f('stride', 's', 'int')],
  bottleneck: [f('cout', 'c', 'int'), f('stride', 's', 'int'), f('mid', 'm', 'int'), f('groups', 'g', 'int'), f('se', 'se', 'num')],
  shufflev2: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('mid', 'm', 'int'), f('side', 'p', 'int'), f('xception', 'x', 'bool')],
  fire: [f('squeeze', 'q', 'int'), f('e1', 'e', 'int'), f('e3', 'e', 'int')],
  inception: [f('c1', 'a', 'int'), f('c3r', 'br', 'int'), f('c3', 'b', 'int'), f('c5r', 'cr', 'int'), f('c5', 'c', 'int'), f('k5', 'k', 'int'), f('pp', 'pp', 'int')],
  factconv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  dilconv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('dilation', 'd', 'int')],
  sepconv: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  norm: [f('mode', '', 'norm')],
};

export const OP_KINDS = Object.keys(KEY_FIELDS) as OpKind[];
/** The kinds the per-block backends implement (every kind but the seed kinds, which are primitive-graph lowerings only). */
export const LEGACY_KINDS = OP_KINDS.filter((k): k is LegacyKind => !(SEED_KINDS as readonly string[]).includes(k));

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
  const fields = KEY_FIELDS[inst.spec.kind];
  if (!fields) throw new UserError(`unknown op kind '${inst.spec.kind}' (known: ${OP_KINDS.join(', ')})`);
  const set = fields.filter((fd) => !fd.optional || spec[fd.name] !== undefined);
  const parts = [inst.spec.kind, inst.input.join('x'), ...set.map((fd) => formatValue(fd, spec[fd.name])), inst.dtype];
  return parts.join(':');
}

function bad(key: string, why: string): UserError {
  return new UserError(`malformed op key '${key}': ${why}`, {
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
      if (!/^\|[a-z0-9_~|+]+\|$/.test(raw)) throw bad(key, `'${raw}' is not a NAS-Bench-201 cell string`);
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
  const fields = KEY_FIELDS[kind];
  if (!fields) throw bad(key, `unknown op kind '${parts[0]}' (known: ${OP_KINDS.join(', ')})`);
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
