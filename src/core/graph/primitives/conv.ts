/** conv: rectangular kernel, stride, explicit pads, dilation, groups, optional bias. Weight [cout, cin/groups, kh, kw]. */
import type { ConvPrim } from '../types.js';
import { nonNegativeInt, positiveInt, windowOut, type PrimitiveDef } from './def.js';

export const conv: PrimitiveDef<ConvPrim> = {
  arity: [1, 1],
  convLike: true,
  outputs(p, [x]) {
    const [n, c, h, w] = x;
    positiveInt('cout', p.cout);
    positiveInt('groups', p.groups);
    p.kernel.forEach((k) => positiveInt('kernel', k));
    p.stride.forEach((s) => positiveInt('stride', s));
    p.dilation.forEach((d) => positiveInt('dilation', d));
    p.pads.forEach((v) => nonNegativeInt('pad', v));
    if (c % p.groups !== 0 || p.cout % p.groups !== 0)
      throw new Error(`groups ${p.groups} must divide input channels ${c} and output channels ${p.cout}`);
    return [[n, p.cout, windowOut(h, p.kernel[0], p.stride[0], p.pads[0], p.pads[2], p.dilation[0], false), windowOut(w, p.kernel[1], p.stride[1], p.pads[1], p.pads[3], p.dilation[1], false)]];
  },
  macs: (p, [x], [y]) => y[0] * y[1] * y[2] * y[3] * (x[1] / p.groups) * p.kernel[0] * p.kernel[1],
  params(p, [x], id) {
    const weight = { name: `${id}.weight`, shape: [p.cout, x[1] / p.groups, p.kernel[0], p.kernel[1]], part: 'weight' as const };
    return p.bias ? [weight, { name: `${id}.bias`, shape: [p.cout], part: 'bias' as const }] : [weight];
  },
};

/** Padding that keeps H×W at stride 1 (and gives ceil(H/s) at stride s) for an odd kernel: dilation·(k−1)/2 each side. */
export function samePads(kh: number, kw: number, dilation = 1): [number, number, number, number] {
  const ph = Math.floor((dilation * (kh - 1)) / 2);
  const pw = Math.floor((dilation * (kw - 1)) / 2);
  return [ph, pw, ph, pw];
}
