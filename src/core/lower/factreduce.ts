/**
 * factreduce: DARTS FactorizedReduce (operations.py) and TF slim NASNet's _factorized_reduction: ReLU, a 1×1
 * stride-2 conv to cout/2 on the input and another on the input shifted by one pixel (the `slice` primitive:
 * rows and columns 1…), concatenated, then BatchNorm. The BatchNorm is per channel, so it is written as one
 * BatchNorm per conv (the same affine map on each half of the concatenation), which the exporter folds into
 * its conv.
 *
 * On an odd height or width the shifted path has one row (column) fewer than the other; TF slim pads the input
 * by one zero row at the bottom (column at the right) before it shifts (pad [0, 1] then [1:]), so both paths
 * give ⌈h/2⌉: here the shifted path's conv pads one zero row (column) at the bottom (right) of that side.
 * NASNet-A-Mobile needs it (its 111×111 stem); DARTS's PyTorch FactorizedReduce fails there, and on even
 * sizes the two agree.
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
    if (h < 2 || w < 2) throw new UserError(`factreduce: the input must be at least 2x2, got ${h}x${w}`, { hint: 'pick a resolution that stays ≥ 2 down to the last reduction' });
    return [input];
  },
  lower(b, s, [x], id) {
    const [, , h, w] = b.shape(x);
    const r = b.act(x, 'relu', `${id}.relu`);
    const shifted = b.node(`${id}.shift`, { op: 'slice', begin: [1, 1], end: [h, w] }, [r]);
    const o = { k: 1, stride: 2, gain: actGain('relu') };
    const odd = [0, 0, h % 2, w % 2] as const;
    const second = odd[2] || odd[3] ? { ...o, pads: odd } : o;
    return b.concat([convBn(b, r, `${id}.conv1`, s.cout / 2, o), convBn(b, shifted, `${id}.conv2`, s.cout / 2, second)], `${id}.concat`);
  },
};
