/**
 * bottleneck: ResNet-50 (stride on the 3×3, torchvision's "v1.5"), ResNeXt (grouped 3×3) and RegNet X/Y
 * (pycls `ResBottleneckBlock`: group width, bottleneck ratio; Y adds SE sized from the block input, ReLU inside).
 */
import { seChannels } from '../channels.js';
import type { BottleneckSpec } from '../specs.js';
import { convBn, convBnAct, squeezeExcite } from './common.js';
import { RESIDUAL_GAIN, SE_GAIN } from './gains.js';
import { shortcut } from './seed-helpers.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const bottleneck: Lowering<BottleneckSpec> = {
  fields: [f('cout', 'c', 'int'), f('stride', 's', 'int'), f('mid', 'm', 'int'), f('groups', 'g', 'int'), f('se', 'se', 'num')],
  lower(b, s, [x], id) {
    const cin = b.shape(x)[1];
    const a = convBnAct(b, x, `${id}.a`, s.mid, { k: 1 }, 'relu');
    let m = convBnAct(b, a, `${id}.b`, s.mid, { k: 3, stride: s.stride, groups: s.groups }, 'relu');
    if (s.se > 0) m = squeezeExcite(b, m, `${id}.se`, seChannels(cin, s.se), 'relu');
    const c = convBn(b, m, `${id}.c`, s.cout, { k: 1, gain: RESIDUAL_GAIN * (s.se > 0 ? SE_GAIN : 1) });
    return b.act(b.add([c, shortcut(b, x, id, s.cout, s.stride)], `${id}.add`), 'relu', `${id}.relu`);
  },
};
