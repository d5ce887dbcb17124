/** dwsep: depthwise k×k + act -> [SE on C] -> pointwise 1×1 to cout (linear) -> [+ input when skip]. */
import { seChannels, type DwSepSpec } from '../../src/core/ops.js';
import { actGain, RESIDUAL_GAIN, SE_GAIN } from '../weights.js';
import { activation, add, conv, type BlockEmitter } from './layers.js';
import { squeezeExcite } from './se.js';

export const emitDwSep: BlockEmitter<DwSepSpec> = (ctx, spec, x, shape, prefix) => {
  const c = shape[1];
  let y = conv(ctx, x, `${prefix}.dw`, { cin: c, cout: c, k: spec.k, stride: spec.stride, groups: c, gain: actGain(spec.act) });
  y = activation(ctx, y, spec.act, `${prefix}.dw`);
  if (spec.se > 0) y = squeezeExcite(ctx, y, c, seChannels(c, spec.se), spec.act, `${prefix}.se`);
  const gain = (spec.se > 0 ? SE_GAIN : 1) * (spec.skip ? RESIDUAL_GAIN : 1);
  y = conv(ctx, y, `${prefix}.pw`, { cin: c, cout: spec.cout, k: 1, gain });
  return spec.skip ? add(ctx, x, y, `${prefix}.add`) : y;
};
