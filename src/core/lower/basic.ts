/** basic: ResNet basic block (He et al. 2016, post-activation; torchvision's BasicBlock). */
import type { BasicSpec } from '../specs.js';
import { convBn, convBnAct } from './common.js';
import { RESIDUAL_GAIN } from './gains.js';
import { shortcut } from './seed-helpers.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const basic: Lowering<BasicSpec> = {
  fields: [f('cout', 'c', 'int'), f('stride', 's', 'int')],
  lower(b, s, [x], id) {
    const a = convBnAct(b, x, `${id}.conv1`, s.cout, { k: 3, stride: s.stride }, 'relu');
    const c = convBn(b, a, `${id}.conv2`, s.cout, { k: 3, gain: RESIDUAL_GAIN });
    return b.act(b.add([c, shortcut(b, x, id, s.cout, s.stride)], `${id}.add`), 'relu', `${id}.relu`);
  },
};
