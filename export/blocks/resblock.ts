/**
 * resblock: NAS-Bench-201's ResNetBasicblock. Branch: ReLU-conv3x3(stride)-BN, ReLU-conv3x3-BN.
 * Shortcut: AvgPool 2x2 stride 2 + conv1x1 (no BN, no bias) when stride 2; ReLU-conv1x1-BN when the
 * channels change at stride 1; the input otherwise. Output: shortcut + branch.
 */
import type { ResBlockSpec } from '../../src/core/ops.js';
import { actGain, RESIDUAL_GAIN } from '../weights.js';
import { add, conv, type BlockEmitter } from './layers.js';
import { emitReluConv } from './reluconv.js';

export const emitResBlock: BlockEmitter<ResBlockSpec> = (ctx, spec, x, shape, prefix) => {
  const { g } = ctx;
  const cin = shape[1];
  const a = emitReluConv(ctx, { kind: 'reluconv', cout: spec.cout, k: 3, stride: spec.stride }, x, shape, `${prefix}.conv_a`);
  const br = g.addNode('Relu', [a], `${prefix}.conv_b.relu`);
  const b = conv(ctx, br, `${prefix}.conv_b.conv`, { cin: spec.cout, cout: spec.cout, k: 3, gain: actGain('relu') * RESIDUAL_GAIN });
  let shortcut = x;
  if (spec.stride !== 1) {
    // ceil_mode keeps ceil(H/2) rows on odd sizes, matching the strided 3x3 branch (convOut in ops.ts).
    const pooled = g.addNode('AveragePool', [x], `${prefix}.shortcut.pool`, { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 });
    shortcut = conv(ctx, pooled, `${prefix}.shortcut.conv`, { cin, cout: spec.cout, k: 1, gain: 1, bias: false });
  } else if (cin !== spec.cout) {
    shortcut = emitReluConv(ctx, { kind: 'reluconv', cout: spec.cout, k: 1, stride: 1 }, x, shape, `${prefix}.shortcut`);
  }
  return add(ctx, shortcut, b, `${prefix}.add`);
};
