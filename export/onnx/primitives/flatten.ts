/** flatten → Flatten (axis 1) then Reshape to N×(C·H·W)×1×1, so every tensor stays 4-D. */
import type { FlattenPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const flatten: PrimEmitter<FlattenPrim> = (ctx, _p, node, [x]) => {
  const { g } = ctx;
  const flat = g.addNode('Flatten', [x], `${node.id}.flatten`, { axis: 1 });
  return g.addNode('Reshape', [flat, g.addInt64(`${node.id}.shape`, [...ctx.outputShapes[0]])], node.id);
};
