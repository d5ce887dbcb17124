/** se: squeeze-and-excitation on its own, bottleneck seChannels(C, ratio) (see common.ts squeezeExcite). */
import { seChannels } from '../channels.js';
import type { SESpec } from '../specs.js';
import { squeezeExcite } from './common.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const se: Lowering<SESpec> = {
  fields: [f('ratio', 'r', 'num'), f('act', '', 'act')],
  lower: (b, s, [x], id) => squeezeExcite(b, x, `${id}.se`, seChannels(b.shape(x)[1], s.ratio), s.act),
};
