/** factconv: factorized k×k conv (NASNet's "1x7 then 7x1", DARTS's conv_7x1_1x7): ReLU, 1×k, k×1, BN. */
import type { FactConvSpec } from '../specs.js';
import { convBn } from './common.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const factconv: Lowering<FactConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  lower(b, s, [x], id) {
    const r = b.act(x, 'relu', `${id}.relu`);
    const a = b.conv(r, `${id}.conv1xk`, s.cout, { k: [1, s.k], stride: [1, s.stride] });
    return convBn(b, a, `${id}.convkx1`, s.cout, { k: [s.k, 1], stride: [s.stride, 1] });
  },
};
