/**
 * Lowers a chain Architecture to the primitive graph for the seed-net figure checks: the seed kinds through
 * their lowerings (src/core/lower), and the few existing kinds the seed nets use (conv, dwconv, dwsep, mbconv,
 * pool, gpool, linear) as the per-block exporter emits them. Replaced by the architecture lowering of issue 10
 * when it lands.
 */
import type { Architecture } from '../../src/core/arch.js';
import { GraphBuilder } from '../../src/core/graph/builder.js';
import type { Graph, PrimAct } from '../../src/core/graph/types.js';
import { expandedChannels, isSeed, seChannels, type OpSpec } from '../../src/core/ops.js';
import { lowerSeed } from '../../src/core/lower/seeds.js';

function convBnAct(g: GraphBuilder, x: string, id: string, cout: number, k: number, stride: number, groups: number, act: PrimAct, pad?: number): string {
  const pads = pad === undefined ? undefined : ([pad, pad, pad, pad] as const);
  const y = g.bn(g.conv(x, `${id}.conv`, cout, { k, stride, groups, pads }), `${id}.bn`);
  return g.act(y, act, `${id}.act`);
}

function se(g: GraphBuilder, x: string, id: string, width: number, act: PrimAct, gate: PrimAct): string {
  const c = g.shape(x)[1];
  const p = g.node(`${id}.pool`, { op: 'gpool', mode: 'avg' }, [x]);
  const r = g.act(g.conv(p, `${id}.reduce`, width, { k: 1, bias: true }), act, `${id}.act`);
  return g.mul(x, g.act(g.conv(r, `${id}.expand`, c, { k: 1, bias: true }), gate, `${id}.gate`), `${id}.scale`);
}

function lowerLegacy(g: GraphBuilder, spec: OpSpec, x: string, id: string): string {
  const cin = g.shape(x)[1];
  switch (spec.kind) {
    case 'conv':
      return convBnAct(g, x, id, spec.cout, spec.k, spec.stride, spec.groups, spec.act, spec.pad);
    case 'dwconv':
      return convBnAct(g, x, id, cin, spec.k, spec.stride, cin, spec.act);
    case 'dwsep': {
      let y = convBnAct(g, x, `${id}.dw`, cin, spec.k, spec.stride, cin, spec.act);
      if (spec.se > 0) y = se(g, y, `${id}.se`, seChannels(cin, spec.se), spec.act, 'sigmoid');
      y = convBnAct(g, y, `${id}.pw`, spec.cout, 1, 1, 1, 'none');
      return spec.skip ? g.add([y, x], `${id}.add`) : y;
    }
    case 'mbconv': {
      const mid = expandedChannels(cin, spec.expand);
      const pg = spec.pwGroups ?? 1;
      let y = spec.expand === 1 ? x : convBnAct(g, x, `${id}.expand`, mid, 1, 1, pg, spec.act);
      if (pg > 1 && spec.expand !== 1) y = g.node(`${id}.shuffle`, { op: 'shuffle', groups: pg }, [y]);
      y = convBnAct(g, y, `${id}.dw`, mid, spec.k, spec.stride, mid, spec.act);
      if (spec.se > 0) y = se(g, y, `${id}.se`, seChannels(cin, spec.se), spec.act, spec.gate ?? 'sigmoid');
      y = convBnAct(g, y, `${id}.project`, spec.cout, 1, 1, pg, 'none');
      return spec.skip ? g.add([y, x], `${id}.add`) : y;
    }
    case 'pool': {
      const pad = spec.pad ?? Math.floor((spec.k - 1) / 2);
      return g.node(id, { op: 'pool', mode: spec.mode, kernel: [spec.k, spec.k], stride: [spec.stride, spec.stride], pads: [pad, pad, pad, pad], ceil: spec.ceil ?? false, countIncludePad: false }, [x]);
    }
    case 'gpool':
      return g.node(id, { op: 'gpool', mode: spec.mode }, [x]);
    case 'linear':
      return g.act(g.node(`${id}.fc`, { op: 'linear', cout: spec.cout, bias: true }, [x]), spec.act, `${id}.act`);
    default:
      throw new Error(`lower-chain: kind '${spec.kind}' is not needed by the seed nets`);
  }
}

export function lowerChain(arch: Architecture): Graph {
  const g = new GraphBuilder();
  let x = g.input('input', arch.input);
  arch.layers.forEach((layer, i) => {
    const id = `l${i}`;
    x = isSeed(layer.spec) ? lowerSeed(g, layer.spec, [x], id) : lowerLegacy(g, layer.spec, x, id);
  });
  return g.build([x]);
}
