/** reluconv: NAS-Bench-201's ReLUConvBN, i.e. Relu -> Conv k×k stride (same padding) with BatchNorm folded. */
import type { ReluConvSpec } from '../../src/core/ops.js';
import { actGain } from '../weights.js';
import { conv, type BlockEmitter } from './layers.js';

export const emitReluConv: BlockEmitter<ReluConvSpec> = (ctx, spec, x, shape, prefix) => {
  const r = ctx.g.addNode('Relu', [x], `${prefix}.relu`);
  // The Relu sits in front of the conv here: its gain undoes the halving of the second moment.
  return conv(ctx, r, `${prefix}.conv`, { cin: shape[1], cout: spec.cout, k: spec.k, stride: spec.stride, gain: actGain('relu') });
};
