/**
 * ShuffleNetV2 unit (Ma et al. 2018; torchvision's InvertedResidual) and SPOS's choice blocks (Guo et al. 2020,
 * megvii ShuffleNet-Series OneShot: shuffle k×k with a free middle width, and the Xception-like block).
 * SPOS shuffles at the start of the next block (even/odd channels) where torchvision shuffles after the concat;
 * both are the same permutation between two blocks, and cost the same.
 */
import type { GraphBuilder } from '../graph/index.js';
import type { ShuffleV2Spec } from '../specs.js';
import { convBn, convBnAct } from './common.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const shufflev2: Lowering<ShuffleV2Spec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int'), f('mid', 'm', 'int'), f('side', 'p', 'int'), f('xception', 'x', 'bool')],
  lower: (b, s, [x], id) => lowerShuffleV2(b, s, x, id) };

function lowerShuffleV2(g: GraphBuilder, spec: ShuffleV2Spec, x: string, id: string): string {
  const cin = g.shape(x)[1];
  const out = spec.cout - spec.side;
  if (out < 1) throw new Error(`${id}: side ${spec.side} leaves no channels for the main branch of ${spec.cout}`);
  let pass: string;
  let main: string;
  if (spec.stride === 1) {
    if (cin % 2 !== 0 || spec.side !== cin / 2)
      throw new Error(`${id}: at stride 1 the input (${cin} channels) is split in halves, so side must be ${cin / 2}, got ${spec.side}`);
    [pass, main] = g.split(x, [cin / 2, cin / 2], `${id}.split`);
  } else {
    const dw = convBn(g, x, `${id}.proj.dw`, cin, { k: spec.xception ? 3 : spec.k, stride: spec.stride, groups: cin });
    pass = convBnAct(g, dw, `${id}.proj.pw`, spec.side, { k: 1 }, 'relu');
    main = x;
  }
  const branch = spec.xception ? xceptionBranch(g, main, id, spec, out) : shuffleBranch(g, main, id, spec, out);
  return g.node(`${id}.shuffle`, { op: 'shuffle', groups: 2 }, [g.concat([pass, branch], `${id}.concat`)]);
}

/** pw to mid + BN + ReLU, dw k×k stride s + BN, pw to out + BN + ReLU. */
function shuffleBranch(g: GraphBuilder, x: string, id: string, spec: ShuffleV2Spec, out: number): string {
  const a = convBnAct(g, x, `${id}.main.pw1`, spec.mid, { k: 1 }, 'relu');
  const b = convBn(g, a, `${id}.main.dw`, spec.mid, { k: spec.k, stride: spec.stride, groups: spec.mid });
  return convBnAct(g, b, `${id}.main.pw2`, out, { k: 1 }, 'relu');
}

/** SPOS's Xception-like branch: (dw 3×3 + BN, pw + BN + ReLU) three times, the stride on the first dw. */
function xceptionBranch(g: GraphBuilder, x: string, id: string, spec: ShuffleV2Spec, out: number): string {
  let y = x;
  const widths = [spec.mid, spec.mid, out];
  widths.forEach((w, i) => {
    const c = g.shape(y)[1];
    const dw = convBn(g, y, `${id}.main.dw${i + 1}`, c, { k: 3, stride: i === 0 ? spec.stride : 1, groups: c });
    y = convBnAct(g, dw, `${id}.main.pw${i + 1}`, w, { k: 1 }, 'relu');
  });
  return y;
}
