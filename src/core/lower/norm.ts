/** norm: layer or instance normalisation as a block (NASNet-B/C use them in place of BatchNorm). */
import type { NormSpec } from '../ops.js';
import type { Lowering } from './types.js';

export const norm: Lowering<NormSpec> = {
  lower: (b, s, [x], id) => b.node(`${id}.${s.mode}norm`, s.mode === 'layer' ? { op: 'layernorm', eps: 1e-5 } : { op: 'instancenorm', eps: 1e-5 }, [x]),
};
