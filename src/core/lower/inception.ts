/** Inception v1 module (Szegedy et al. 2015; torchvision's Inception with BatchNorm): four branches concatenated. */
import type { InceptionSpec } from '../specs.js';
import { samePads, type GraphBuilder } from '../graph/index.js';
import { convBnAct } from './common.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const inception: Lowering<InceptionSpec> = {
  fields: [f('c1', 'a', 'int'), f('c3r', 'br', 'int'), f('c3', 'b', 'int'), f('c5r', 'cr', 'int'), f('c5', 'c', 'int'), f('k5', 'k', 'int'), f('pp', 'pp', 'int')],
  lower: (b, s, [x], id) => lowerInception(b, s, x, id) };

function lowerInception(g: GraphBuilder, spec: InceptionSpec, x: string, id: string): string {
  const convBn = (y: string, name: string, cout: number, o: { k: number }) => convBnAct(g, y, name, cout, o, 'relu');
  const b1 = convBn(x, `${id}.b1`, spec.c1, { k: 1 });
  const b2 = convBn(convBn(x, `${id}.b2r`, spec.c3r, { k: 1 }), `${id}.b2`, spec.c3, { k: 3 });
  const b3 = convBn(convBn(x, `${id}.b3r`, spec.c5r, { k: 1 }), `${id}.b3`, spec.c5, { k: spec.k5 });
  // torchvision pools with ceil mode and padding 1 at stride 1, which is exactly "same" padding without ceil.
  const pooled = g.node(`${id}.b4pool`, { op: 'pool', mode: 'max', kernel: [3, 3], stride: [1, 1], pads: samePads(3, 3), ceil: false, countIncludePad: false }, [x]);
  const b4 = convBn(pooled, `${id}.b4`, spec.pp, { k: 1 });
  return g.concat([b1, b2, b3, b4], `${id}.concat`);
}
