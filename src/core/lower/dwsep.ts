/** dwsep: depthwise k×k + BN + act → [SE on C] → pointwise 1×1 to cout + BN (linear) → [+ input when skip]. */
import { seChannels } from '../channels.js';
import type { DwSepSpec } from '../specs.js';
import { convBn, convBnAct, squeezeExcite } from './common.js';
import { RESIDUAL_GAIN, SE_GAIN } from './gains.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const dwsep: Lowering<DwSepSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('se', 'se', 'num'), f('act', '', 'act'), f('skip', 'skip', 'bool')],
  lower(b, s, [x], id) {
    const c = b.shape(x)[1];
    let y = convBnAct(b, x, `${id}.dw`, c, { k: s.k, stride: s.stride, groups: c }, s.act);
    if (s.se > 0) y = squeezeExcite(b, y, `${id}.se`, seChannels(c, s.se), s.act);
    y = convBn(b, y, `${id}.pw`, s.cout, { k: 1, gain: (s.se > 0 ? SE_GAIN : 1) * (s.skip ? RESIDUAL_GAIN : 1) });
    return s.skip ? b.add([x, y], `${id}.add`) : y;
  },
};
