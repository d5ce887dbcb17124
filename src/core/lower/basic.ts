/** ResNet basic block (He et al. 2016, post-activation; torchvision's BasicBlock). */
import type { GraphBuilder } from '../graph/builder.js';
import type { BasicSpec } from '../ops.js';
import { convBn, shortcut } from './seed-helpers.js';

export function lowerBasic(g: GraphBuilder, spec: BasicSpec, [x]: readonly string[], id: string): string {
  const a = convBn(g, x, `${id}.conv1`, spec.cout, { k: 3, stride: spec.stride });
  const b = convBn(g, a, `${id}.conv2`, spec.cout, { k: 3, relu: false });
  const sum = g.add([b, shortcut(g, x, id, spec.cout, spec.stride)], `${id}.add`);
  return g.act(sum, 'relu', `${id}.relu`);
}
