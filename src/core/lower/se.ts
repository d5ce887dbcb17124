/** se: squeeze-and-excitation on its own, bottleneck seChannels(C, ratio) (see common.ts squeezeExcite). */
import { seChannels, type SESpec } from '../ops.js';
import { squeezeExcite } from './common.js';
import type { Lowering } from './types.js';

export const se: Lowering<SESpec> = {
  lower: (b, s, [x], id) => squeezeExcite(b, x, `${id}.se`, seChannels(b.shape(x)[1], s.ratio), s.act, s.gate),
};
