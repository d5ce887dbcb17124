/** split → Split on axis 1 with the part sizes as an int64 input (opset 13+). */
import type { SplitPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const split: PrimEmitter<SplitPrim> = ({ g }, p, node, [x]) =>
  g.addNodeOutputs('Split', [x, g.addInt64(`${node.id}.sizes`, p.sizes)], p.sizes.map((_, k) => `${node.id}_${k}`), { axis: 1 });
