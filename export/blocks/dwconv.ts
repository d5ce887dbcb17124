/** dwconv: depthwise k×k convolution (one filter per channel) with BatchNorm folded, then the activation. */
import type { DwConvSpec } from '../../src/core/ops.js';
import { actGain } from '../weights.js';
import { activation, conv, type BlockEmitter } from './layers.js';

export const emitDwConv: BlockEmitter<DwConvSpec> = (ctx, spec, x, shape, prefix) => {
  const name = `${prefix}.dw`;
  const c = shape[1];
  const y = conv(ctx, x, name, { cin: c, cout: c, k: spec.k, stride: spec.stride, groups: c, dilation: spec.dilation, gain: actGain(spec.act) });
  return activation(ctx, y, spec.act, name);
};
