/** conv: k×k convolution (groups, dilation, stride) with BatchNorm folded, then the activation. */
import type { ConvSpec } from '../../src/core/ops.js';
import { actGain } from '../weights.js';
import { activation, conv, type BlockEmitter } from './layers.js';

export const emitConv: BlockEmitter<ConvSpec> = (ctx, spec, x, shape, prefix) => {
  const name = `${prefix}.conv`;
  const y = conv(ctx, x, name, {
    cin: shape[1],
    cout: spec.cout,
    k: spec.k,
    stride: spec.stride,
    groups: spec.groups,
    dilation: spec.dilation,
    gain: actGain(spec.act),
  });
  return activation(ctx, y, spec.act, name);
};
