/**
 * mbconv (inverted residual): [pw expand + act when expand > 1] -> dw k×k stride + act -> [SE] ->
 * pw project (linear) -> [+ input when skip]. The SE bottleneck is seChannels(block input C, se),
 * as in MnasNet / EfficientNet, applied to the expanded channels.
 */
import { expandedChannels, seChannels, type MBConvSpec } from '../../src/core/ops.js';
import { actGain, RESIDUAL_GAIN, SE_GAIN } from '../weights.js';
import { activation, add, conv, type BlockEmitter } from './layers.js';
import { squeezeExcite } from './se.js';

export const emitMbConv: BlockEmitter<MBConvSpec> = (ctx, spec, x, shape, prefix) => {
  const cin = shape[1];
  const mid = expandedChannels(cin, spec.expand);
  const gain = actGain(spec.act);
  let y = x;
  if (spec.expand !== 1) {
    y = conv(ctx, y, `${prefix}.expand`, { cin, cout: mid, k: 1, gain });
    y = activation(ctx, y, spec.act, `${prefix}.expand`);
  }
  y = conv(ctx, y, `${prefix}.dw`, { cin: mid, cout: mid, k: spec.k, stride: spec.stride, groups: mid, gain });
  y = activation(ctx, y, spec.act, `${prefix}.dw`);
  if (spec.se > 0) y = squeezeExcite(ctx, y, mid, seChannels(cin, spec.se), spec.act, `${prefix}.se`);
  const projectGain = (spec.se > 0 ? SE_GAIN : 1) * (spec.skip ? RESIDUAL_GAIN : 1);
  y = conv(ctx, y, `${prefix}.project`, { cin: mid, cout: spec.cout, k: 1, gain: projectGain });
  return spec.skip ? add(ctx, x, y, `${prefix}.add`) : y;
};
