/** linear: fully connected `<id>.fc` (weight [cout, C], bias) on N×C×1×1, then the activation. */
import type { LinearSpec } from '../specs.js';
import { actGain } from './gains.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const linear: Lowering<LinearSpec> = {
  fields: [f('cout', 'c', 'int'), f('act', '', 'act')],
  lower: (b, s, [x], id) => b.act(b.node(`${id}.fc`, { op: 'linear', cout: s.cout, bias: true }, [x], { gain: actGain(s.act) }), s.act, `${id}.fc.${s.act}`),
};
