/** Inception v1 module (Szegedy et al. 2015; torchvision's Inception with BatchNorm): four branches concatenated. */
import type { GraphBuilder } from '../graph/builder.js';
import type { InceptionSpec } from '../ops.js';
import { samePads } from '../graph/index.js';
import { convBn } from './seed-helpers.js';

export function lowerInception(g: GraphBuilder, spec: InceptionSpec, [x]: readonly string[], id: string): string {
  const b1 = convBn(g, x, `${id}.b1`, spec.c1, { k: 1 });
  const b2 = convBn(g, convBn(g, x, `${id}.b2r`, spec.c3r, { k: 1 }), `${id}.b2`, spec.c3, { k: 3 });
  const b3 = convBn(g, convBn(g, x, `${id}.b3r`, spec.c5r, { k: 1 }), `${id}.b3`, spec.c5, { k: spec.k5 });
  // torchvision pools with ceil mode and padding 1 at stride 1: the same H×W as "same" padding.
  const pooled = g.node(`${id}.b4pool`, { op: 'pool', mode: 'max', kernel: [3, 3], stride: [1, 1], pads: samePads(3, 3), ceil: true, countIncludePad: false }, [x]);
  const b4 = convBn(g, pooled, `${id}.b4`, spec.pp, { k: 1 });
  return g.concat([b1, b2, b3, b4], `${id}.concat`);
}
