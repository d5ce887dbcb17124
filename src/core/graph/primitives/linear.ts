/** linear: fully connected on N×C×1×1; weight [cout, C] (PyTorch layout), optional bias. */
import type { LinearPrim } from '../types.js';
import { positiveInt, show, type PrimitiveDef } from './def.js';

export const linear: PrimitiveDef<LinearPrim> = {
  arity: [1, 1],
  convLike: true,
  outputs(p, [x]) {
    positiveInt('cout', p.cout);
    if (x[2] !== 1 || x[3] !== 1) throw new Error(`input must be N x C x 1 x 1 (after global pooling or flatten), got ${show(x)}`);
    return [[x[0], p.cout, 1, 1]];
  },
  macs: (p, [x]) => x[0] * x[1] * p.cout,
  params(p, [x], id) {
    const weight = { name: `${id}.weight`, shape: [p.cout, x[1]], part: 'weight' as const };
    return p.bias ? [weight, { name: `${id}.bias`, shape: [p.cout], part: 'bias' as const }] : [weight];
  },
};
