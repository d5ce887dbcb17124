/** Layer or instance normalisation as a block (NASNet-B/C use them in place of BatchNorm). */
import type { GraphBuilder } from '../graph/builder.js';
import type { NormSpec } from '../ops.js';

export function lowerNorm(g: GraphBuilder, spec: NormSpec, [x]: readonly string[], id: string): string {
  return g.node(id, spec.mode === 'layer' ? { op: 'layernorm', eps: 1e-5 } : { op: 'instancenorm', eps: 1e-5 }, [x]);
}
