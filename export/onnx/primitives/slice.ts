/** slice → ONNX Slice on axes 2 and 3 (H, W), starts and ends as int64 inputs (opset 10+). */
import type { SlicePrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const slice: PrimEmitter<SlicePrim> = ({ g }, p, node, [x]) => {
  const i64 = (part: string, v: readonly number[]) => g.addInt64(`${node.id}.${part}`, v);
  return g.addNode('Slice', [x, i64('starts', p.begin), i64('ends', p.end), i64('axes', [2, 3])], node.id);
};
