/** Factorized k×k conv (NASNet's "1x7 then 7x1", DARTS's conv_7x1_1x7): ReLU, 1×k, k×1, BN. */
import type { GraphBuilder } from '../graph/builder.js';
import type { FactConvSpec } from '../ops.js';

export function lowerFactConv(g: GraphBuilder, spec: FactConvSpec, [x]: readonly string[], id: string): string {
  const r = g.act(x, 'relu', `${id}.relu`);
  const a = g.conv(r, `${id}.conv1xk`, spec.cout, { k: [1, spec.k], stride: [1, spec.stride] });
  const b = g.conv(a, `${id}.convkx1`, spec.cout, { k: [spec.k, 1], stride: [spec.stride, 1] });
  return g.bn(b, `${id}.bn`);
}
