/** SqueezeNet Fire module (Iandola et al. 2016; torchvision's Fire): squeeze 1×1, expand 1×1 ‖ 3×3, ReLU after each conv. */
import type { GraphBuilder } from '../graph/builder.js';
import type { FireSpec } from '../ops.js';

export function lowerFire(g: GraphBuilder, spec: FireSpec, [x]: readonly string[], id: string): string {
  const relu = (y: string, name: string) => g.act(y, 'relu', `${id}.${name}.relu`);
  const s = relu(g.conv(x, `${id}.squeeze`, spec.squeeze, { k: 1, bias: true, gain: Math.SQRT2 }), 'squeeze');
  const e1 = relu(g.conv(s, `${id}.e1`, spec.e1, { k: 1, bias: true, gain: Math.SQRT2 }), 'e1');
  const e3 = relu(g.conv(s, `${id}.e3`, spec.e3, { k: 3, bias: true, gain: Math.SQRT2 }), 'e3');
  return g.concat([e1, e3], `${id}.concat`);
}
