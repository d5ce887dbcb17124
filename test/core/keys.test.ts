import { describe, expect, it } from 'vitest';
import { opKey, parseOpKey, KEY_FIELDS, OP_KINDS } from '../../src/core/keys.js';
import type { OpInstance, OpSpec } from '../../src/core/ops.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';

const SPECS: OpSpec[] = [
  { kind: 'conv', cout: 32, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu6' },
  { kind: 'conv', cout: 64, k: 7, stride: 1, groups: 4, dilation: 2, act: 'hswish' },
  { kind: 'dwconv', k: 5, stride: 2, dilation: 1, act: 'swish' },
  { kind: 'dwsep', cout: 24, k: 3, stride: 1, se: 0.25, act: 'relu', skip: false },
  { kind: 'mbconv', cout: 24, k: 5, stride: 2, expand: 6, se: 0, act: 'relu6', skip: false },
  { kind: 'mbconv', cout: 16, k: 7, stride: 1, expand: 2.5, se: 0.25, act: 'hswish', skip: true },
  { kind: 'pool', mode: 'max', k: 3, stride: 2 },
  { kind: 'gpool', mode: 'avg' },
  { kind: 'identity' },
  { kind: 'zero', stride: 2 },
  { kind: 'linear', cout: 1000, act: 'none' },
  { kind: 'se', ratio: 0.25, act: 'relu' },
  { kind: 'reluconv', cout: 16, k: 3, stride: 1 },
  { kind: 'sum', arity: 3 },
  { kind: 'concat', channels: [16, 8, 24] },
  { kind: 'nb201cell', cell: '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|' },
  { kind: 'resblock', cout: 32, stride: 2 },
  { kind: 'basic', cout: 32, stride: 2 },
  { kind: 'bottleneck', cout: 64, stride: 1, mid: 16, groups: 2, se: 0.25 },
  { kind: 'shufflev2', cout: 32, k: 5, stride: 2, mid: 16, side: 16, xception: false },
  { kind: 'fire', squeeze: 8, e1: 16, e3: 16 },
  { kind: 'inception', c1: 8, c3r: 8, c3: 16, c5r: 4, c5: 8, k5: 5, pp: 8 },
  { kind: 'factconv', cout: 16, k: 7, stride: 1 },
  { kind: 'dilconv', cout: 16, k: 3, stride: 2, dilation: 2 },
  { kind: 'sepconv', cout: 16, k: 5, stride: 1 },
  { kind: 'norm', mode: 'instance' },
  { kind: 'factreduce', cout: 32 },
  { kind: 'dartscell', cell: '|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~1|skip_connect~0|+|skip_connect~0|dil_conv_3x3~2|', reduce: false },
  { kind: 'nasnetcell', cell: '|sep_conv_5x5~0|sep_conv_3x3~1|+|identity~1|identity~1|+|avg_pool_3x3~0|conv_1x7_7x1~2|+|max_pool_7x7~3|conv_1x1~1|+|sep_conv_7x7~0|dil_conv_3x3~4|>1,2,3,4,5,6', reduce: true },
  // Optional fields (added with the seed networks): in the key only when set.
  { kind: 'conv', cout: 64, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu', pad: 0 },
  { kind: 'pool', mode: 'max', k: 3, stride: 2, pad: 0, ceil: true },
  { kind: 'pool', mode: 'max', k: 7, stride: 1, ceil: true },
  { kind: 'mbconv', cout: 24, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: false, gate: 'hsigmoid', pwGroups: 2 },
  { kind: 'mbconv', cout: 24, k: 3, stride: 1, expand: 3, se: 0, act: 'relu', skip: false, pwGroups: 2 },
  { kind: 'se', ratio: 0.25, act: 'relu', gate: 'hsigmoid' },
];

describe('canonical keys', () => {
  it('cover every kind of the catalog', () => {
    expect(new Set(SPECS.map((s) => s.kind))).toEqual(new Set(OP_KINDS));
  });

  it.each(SPECS.map((s) => [s.kind, s] as const))('round-trip %s', (_kind, spec) => {
    const inst: OpInstance = { spec, input: [1, 16, 28, 28], dtype: 'f32' };
    const key = opKey(inst);
    expect(parseOpKey(key)).toEqual(inst);
    expect(opKey(parseOpKey(key))).toBe(key);
  });

  it('optional fields leave the keys of specs without them unchanged', () => {
    const input = [1, 16, 112, 112] as const;
    expect(opKey({ spec: { kind: 'pool', mode: 'max', k: 3, stride: 2 }, input, dtype: 'f32' })).toBe('pool:1x16x112x112:max:k3:s2:f32');
    expect(opKey({ spec: { kind: 'pool', mode: 'max', k: 3, stride: 2, pad: 0, ceil: true }, input, dtype: 'f32' })).toBe('pool:1x16x112x112:max:k3:s2:p0:ceil1:f32');
    expect(opKey({ spec: { kind: 'se', ratio: 0.25, act: 'relu', gate: 'hsigmoid' }, input, dtype: 'f32' })).toBe('se:1x16x112x112:r0.25:relu:gatehsigmoid:f32');
    expect(() => parseOpKey('pool:1x16x112x112:max:k3:s2:ceil1:p0:f32')).toThrow(/unexpected field 'p0'/);
  });

  it('has the documented layout', () => {
    const key = opKey({ spec: SPECS[4], input: [1, 16, 112, 112], dtype: 'f32' });
    expect(key).toBe('mbconv:1x16x112x112:c24:k5:s2:e6:se0:relu6:skip0:f32');
  });

  it('round-trips every instance of the mbv2 space and keeps them distinct', () => {
    const instances = createMbv2Space({ resolution: 96 }).allInstances();
    const keys = instances.map(opKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [i, key] of keys.entries()) expect(parseOpKey(key)).toEqual(instances[i]);
  });

  it.each([
    ['unknown kind', 'blah:1x1x1x1:f32', /unknown op kind 'blah'/],
    ['wrong part count', 'identity:1x16x8x8:x:f32', /has 3 parts, got 4/],
    ['bad shape', 'identity:1x16x8:f32', /NxCxHxW/],
    ['bad int', 'zero:1x16x8x8:sX:f32', /non-negative integer/],
    ['bad act', 'linear:1x16x1x1:c10:gelu:f32', /unknown activation 'gelu'/],
    ['bad bool', 'mbconv:1x16x8x8:c16:k3:s1:e6:se0:relu:skip2:f32', /0 or 1/],
    ['bad dtype', 'identity:1x16x8x8:f64', /unknown dtype/],
    ['wrong prefix', 'zero:1x16x8x8:k2:f32', /starting with 's'/],
  ])('rejects a malformed key (%s) with a clear message', (_why, key, message) => {
    expect(() => parseOpKey(key)).toThrow(message);
  });

  it('fixes one field order per kind', () => {
    for (const kind of OP_KINDS) expect(Array.isArray(KEY_FIELDS[kind])).toBe(true);
  });
});
