/**
 * factreduce: DARTS FactorizedReduce (operations.py): ReLU, a 1×1 stride-2 conv to cout/2 on the input and
 * another on the input shifted by one pixel (the `slice` primitive: rows and columns 1…), concatenated, then
 * BatchNorm. The BatchNorm is per channel, so it is written as one BatchNorm per conv (the same affine map on
 * each half of the concatenation), which the exporter folds into its conv.
 */
import { UserError } from '../errors.js';
import type { FactReduceSpec } from '../specs.js';
import { convBn } from './common.js';
import { actGain } from './gains.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const factreduce: Lowering<FactReduceSpec> = {
  fields: [f('cout', 'c', 'int')],
  inputs(s, input) {
    const [, , h, w] = input;
    if (s.cout % 2 !== 0) throw new UserError(`factreduce: cout must be even (two halves of cout/2), got ${s.cout}`);
    // Odd sizes give halves of different sizes (DARTS fails there too).
    if (h % 2 !== 0 || w % 2 !== 0 || h < 2 || w < 2)
      throw new UserError(`factreduce: the input must have an even height and width, got ${h}x${w}`, { hint: 'pick a resolution that stays even down to the last reduction' });
    return [input];
  },
  lower(b, s, [x], id) {
    const [, , h, w] = b.shape(x);
    const r = b.act(x, 'relu', `${id}.relu`);
    const shifted = b.node(`${id}.shift`, { op: 'slice', begin: [1, 1], end: [h, w] }, [r]);
    const o = { k: 1, stride: 2, gain: actGain('relu') };
    return b.concat([convBn(b, r, `${id}.conv1`, s.cout / 2, o), convBn(b, shifted, `${id}.conv2`, s.cout / 2, o)], `${id}.concat`);
  },
};
