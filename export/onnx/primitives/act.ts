/** act → Relu, Clip(0, 6), HardSwish, x·Sigmoid(x), Sigmoid, HardSigmoid(1/6, 0.5); none → Identity. */
import type { ActPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const act: PrimEmitter<ActPrim> = ({ g }, p, node, [x]) => {
  switch (p.act) {
    case 'relu':
      return g.addNode('Relu', [x], node.id);
    case 'relu6':
      return g.addNode('Clip', [x, g.scalar(0), g.scalar(6)], node.id);
    case 'hswish':
      return g.addNode('HardSwish', [x], node.id);
    case 'swish':
      return g.addNode('Mul', [x, g.addNode('Sigmoid', [x], `${node.id}.sigmoid`)], node.id);
    case 'sigmoid':
      return g.addNode('Sigmoid', [x], node.id);
    case 'hsigmoid':
      return g.addNode('HardSigmoid', [x], node.id, { alpha: { f: 1 / 6 }, beta: { f: 0.5 } });
    case 'none':
      return g.addNode('Identity', [x], node.id);
  }
};
