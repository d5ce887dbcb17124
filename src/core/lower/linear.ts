/** linear: fully connected `<id>.fc` (weight [cout, C], bias) on N×C×1×1, then the activation. */
import type { LinearSpec } from '../ops.js';
import { actGain } from './gains.js';
import type { Lowering } from './types.js';

export const linear: Lowering<LinearSpec> = {
  lower: (b, s, [x], id) => b.act(b.node(`${id}.fc`, { op: 'linear', cout: s.cout, bias: true }, [x], { gain: actGain(s.act) }), s.act, `${id}.fc.${s.act}`),
};
