/**
 * Nested weight sharing for one searchable layer (Once-for-All's elastic kernel and width,
 * Single-Path NAS's superkernel): ONE weight tensor per conv of the layer, the largest any option
 * needs, and every option's conv reads a block of it.
 *
 * Nothing here knows what a block computes: each option is its block's lowering (src/core/lower) under
 * `<prefix>.op<o>`, run by the training engine's per-primitive modules (GraphModule); this file only
 * supplies the conv weights (GraphModule's WeightSource). Convs are matched across options by their
 * node id inside the option (`expand`, `dw`, `project` for mbconv): the shared tensor is
 * `<prefix>.<part>.weight`, its shape the largest of each dimension over the options that have that
 * conv. An option takes the centre of the spatial dimensions (its k x k inside the largest kernel) and
 * the first channels of the channel dimensions (ParamSlice: gradients are padded into the shared
 * tensor). Initial values are those of the largest shape (He gain of the activation after the conv).
 * Every option keeps its own BatchNorms (`<prefix>.op<o>.<part>.bn.…`); a left-out option (skip) is
 * Identity.
 *
 * Refused (UserError naming the layer and option): an option holding parameters that are not
 * bias-free convs or BatchNorms (squeeze-excitation's biased convs, linear layers), a grouped, dilated
 * or rectangular conv (no slice of a square kernel: fbnet's group-2 pointwise options), convs of one part
 * that differ in kind (depthwise or not) or in the activation after them, and kernel sizes of
 * different parity (no common centre).
 */
import { UserError } from '../../core/errors.js';
import type { OpSpec, Shape } from '../../core/ops.js';
import type { Graph } from '../../core/graph/index.js';
import { convWeights, GraphModule, layerGraph, type ConvWeightRequest } from '../nn/graph-module.js';
import { heStd, normal } from '../nn/init.js';
import { Param, ParamSlice, type Module } from '../nn/module.js';
import { Identity } from '../nn/pool.js';

/** A shared conv weight: the largest shape any option asks for. */
interface SharedConv {
  part: string;
  shape: number[];
  depthwise: boolean;
  act: string;
  /** The option that first asked (named in refusals). */
  first: string;
}

/**
 * The shared convs of a layer's options, checked (no weights made): what nestedOps slices and what a supernet
 * checks up front (CandidateTable.check). UserError naming the layer and option where the options do not nest.
 */
export function nestedPlan(prefix: string, input: Shape, specs: (OpSpec | null)[], labels: string[]): { graphs: (Graph | null)[]; parts: Map<string, SharedConv> } {
  const refuse = (why: string) =>
    new UserError(`${prefix}: nested weight sharing needs options whose weights are bias-free convs that nest (${why})`, {
      hint: 'use --supernet-sharing independent for this space',
    });
  const opPrefix = (o: number) => `${prefix}.op${o}`;
  const graphs = specs.map((s, o) => (s ? layerGraph(s, input, opPrefix(o)) : null));
  const parts = new Map<string, SharedConv>();
  graphs.forEach((g, o) => {
    if (!g) return;
    const label = labels[o] ?? `op${o}`;
    for (const n of g.nodes)
      if (n.prim.op === 'linear' || (n.prim.op === 'conv' && n.prim.bias)) throw refuse(`option ${label} has ${n.prim.op} '${n.id}' with a bias`);
    const weights = convWeights(g);
    // A grouped (not depthwise), dilated or rectangular conv has no slice of a shared kernel (fbnet's group-2 pointwise convs).
    const general = g.nodes.find((n) => n.prim.op === 'conv' && !weights.some((w) => w.id === n.id));
    if (general?.prim.op === 'conv')
      throw refuse(`option ${label}'s conv '${general.id.slice(opPrefix(o).length + 1)}' is ${general.prim.groups > 1 ? `grouped (${general.prim.groups} groups)` : 'not a square "same" conv'}, which does not nest`);
    for (const w of weights) {
      const part = w.id.slice(opPrefix(o).length + 1);
      const had = parts.get(part);
      if (!had) {
        parts.set(part, { part, shape: [...w.shape], depthwise: w.depthwise, act: w.act, first: label });
        continue;
      }
      if (had.depthwise !== w.depthwise) throw refuse(`conv '${part}' is ${had.depthwise ? '' : 'not '}depthwise in option ${had.first}, ${w.depthwise ? '' : 'not '}depthwise in option ${label}`);
      if (had.act !== w.act) throw refuse(`conv '${part}' is followed by ${had.act} in option ${had.first}, by ${w.act} in option ${label}`);
      if ((had.shape[0] - w.shape[0]) % 2 !== 0) throw refuse(`kernel sizes ${had.shape[0]} and ${w.shape[0]} of conv '${part}' have different parity, so no common centre`);
      had.shape = had.shape.map((n, d) => Math.max(n, w.shape[d]));
    }
  });
  return { graphs, parts };
}

/** The modules of a layer's options, their convs slices of the layer's shared weights; `shared` in graph order of first use. */
export function nestedOps(prefix: string, input: Shape, specs: (OpSpec | null)[], labels: string[], seed: number): { ops: Module[]; shared: Param[] } {
  const opPrefix = (o: number) => `${prefix}.op${o}`;
  const { graphs, parts } = nestedPlan(prefix, input, specs, labels);
  const shared = new Map<string, Param>();
  for (const c of parts.values()) {
    const name = `${prefix}.${c.part}.weight`;
    const [kh, kw, cin] = c.shape;
    shared.set(c.part, new Param(name, normal(seed, name, c.shape, heStd(c.depthwise ? kh * kw : kh * kw * cin, c.act)), 'weight'));
  }
  const ops = graphs.map((g, o): Module => {
    if (!g) return new Identity();
    const slice = (w: ConvWeightRequest) => {
      const parent = shared.get(w.id.slice(opPrefix(o).length + 1))!;
      const full = parent.variable.shape;
      // centre of the spatial dimensions, first channels of the others
      return new ParamSlice(parent, w.shape.map((n, d) => (d < 2 ? (full[d] - n) / 2 : 0)), w.shape);
    };
    return new GraphModule(g, opPrefix(o), seed, slice);
  });
  return { ops, shared: [...shared.values()] };
}
