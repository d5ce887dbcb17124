/** norm: layer or instance normalisation as a block (NASNet-B/C use them in place of BatchNorm). */
import type { NormSpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const norm: Lowering<NormSpec> = {
  fields: [f('mode', '', 'norm')],
  lower: (b, s, [x], id) => b.node(`${id}.${s.mode}norm`, s.mode === 'layer' ? { op: 'layernorm', eps: 1e-5 } : { op: 'instancenorm', eps: 1e-5 }, [x]),
};
