/**
 * Bottleneck block: ResNet-50 (stride on the 3×3, torchvision's "v1.5"), ResNeXt (grouped 3×3) and RegNet X/Y
 * (pycls `ResBottleneckBlock`: group width, bottleneck ratio, Y adds SE sized from the block input).
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { BottleneckSpec } from '../ops.js';
import { convBn, shortcut } from './seed-helpers.js';

export function lowerBottleneck(g: GraphBuilder, spec: BottleneckSpec, [x]: readonly string[], id: string): string {
  const cin = g.shape(x)[1];
  const a = convBn(g, x, `${id}.a`, spec.mid, { k: 1 });
  let b = convBn(g, a, `${id}.b`, spec.mid, { k: 3, stride: spec.stride, groups: spec.groups });
  if (spec.se > 0) b = squeezeExcite(g, b, `${id}.se`, Math.max(1, Math.round(cin * spec.se)));
  const c = convBn(g, b, `${id}.c`, spec.cout, { k: 1, relu: false });
  const sum = g.add([c, shortcut(g, x, id, spec.cout, spec.stride)], `${id}.add`);
  return g.act(sum, 'relu', `${id}.relu`);
}

/** pycls's SE: global average pool, 1×1 conv (bias) to `width` + ReLU, 1×1 conv (bias) back + sigmoid, scale. */
function squeezeExcite(g: GraphBuilder, x: string, id: string, width: number): string {
  const c = g.shape(x)[1];
  const p = g.node(`${id}.pool`, { op: 'gpool', mode: 'avg' }, [x]);
  const r = g.act(g.conv(p, `${id}.reduce`, width, { k: 1, bias: true, gain: Math.SQRT2 }), 'relu', `${id}.relu`);
  const e = g.act(g.conv(r, `${id}.expand`, c, { k: 1, bias: true }), 'sigmoid', `${id}.gate`);
  return g.mul(x, e, `${id}.scale`);
}
