/** SqueezeNet Fire module (Iandola et al. 2016; torchvision's Fire): squeeze 1×1, expand 1×1 ‖ 3×3, ReLU after each conv. */
import type { FireSpec } from '../specs.js';
import { actGain } from './gains.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const fire: Lowering<FireSpec> = {
  fields: [f('squeeze', 'q', 'int'), f('e1', 'e', 'int'), f('e3', 'e', 'int')],
  lower(b, s, [x], id) {
    const convRelu = (y: string, name: string, cout: number, k: number) => b.act(b.conv(y, `${id}.${name}`, cout, { k, bias: true, gain: actGain('relu') }), 'relu', `${id}.${name}.relu`);
    const squeezed = convRelu(x, 'squeeze', s.squeeze, 1);
    return b.concat([convRelu(squeezed, 'e1', s.e1, 1), convRelu(squeezed, 'e3', s.e3, 3)], `${id}.concat`);
  },
};
