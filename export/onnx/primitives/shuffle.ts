/** shuffle → Reshape N×g×(C/g)×H×W, Transpose the two channel axes, Reshape back to N×C×H×W. */
import type { ShufflePrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const shuffle: PrimEmitter<ShufflePrim> = (ctx, p, node, [x]) => {
  const { g } = ctx;
  const [n, c, h, w] = ctx.inputShapes[0];
  const grouped = g.addNode('Reshape', [x, g.addInt64(`${node.id}.grouped`, [n, p.groups, c / p.groups, h, w])], `${node.id}.group`);
  const swapped = g.addNode('Transpose', [grouped], `${node.id}.transpose`, { perm: [0, 2, 1, 3, 4] });
  return g.addNode('Reshape', [swapped, g.addInt64(`${node.id}.shape`, [n, c, h, w])], node.id);
};
