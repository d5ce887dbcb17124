/**
 * pool: k×k average or max pooling with same padding. Average pooling leaves padding out of the mean
 * (count_include_pad 0), as NAS-Bench-201's avg_pool_3x3 does, so the LUT's pool entry is exactly the
 * op a cell runs. With `cout`, a 1×1 conv `<id>.conv` + BN `<id>.conv.bn` follows (no activation): TF slim's
 * NASNet pools a hidden state of another width, then maps it to the cell's filters that way.
 */
import { samePads } from '../graph/index.js';
import type { PoolSpec } from '../specs.js';
import { convBn } from './common.js';
import type { Lowering } from './types.js';
import { f, opt } from '../key-fields.js';

export const pool: Lowering<PoolSpec> = {
  fields: [f('mode', '', 'mode'), f('k', 'k', 'int'), f('stride', 's', 'int'), opt('pad', 'p', 'int'), opt('ceil', 'ceil', 'bool'), opt('cout', 'c', 'int')],
  lower(b, s, [x], id) {
    const pooled = b.node(
      `${id}.${s.mode}pool`,
      {
        op: 'pool',
        mode: s.mode,
        kernel: [s.k, s.k],
        stride: [s.stride, s.stride],
        // pad / ceil (optional): PyTorch's padding and ceil_mode, for the pools of SqueezeNet and GoogLeNet.
        pads: s.pad !== undefined ? [s.pad, s.pad, s.pad, s.pad] : samePads(s.k, s.k),
        ceil: s.ceil ?? false,
        countIncludePad: false,
      },
      [x],
    );
    return s.cout === undefined ? pooled : convBn(b, pooled, `${id}.conv`, s.cout, { k: 1, stride: 1 });
  },
};
