/**
 * NetAdapt's pruning step: which filter counts of an architecture can shrink, the architecture with
 * one of them shrunk, which filters to keep (largest L2 norm) and the weights carried over into the
 * smaller Network.
 *
 * Prunable units (nothing else is touched, so no residual ever changes width):
 *  - `inner`: an MBConv's expanded channels (expand != 1). Pruning slices the expand conv's outputs
 *    (and its BatchNorm), the depthwise conv, the SE gate's channels and the project conv's inputs.
 *    The new width w is written as expand = w / cin, which expandedChannels() rounds back to w, so
 *    keys stay canonical and every consumer (exporter, trainer, tfjs devices) builds the same block.
 *  - `output`: a plain conv's (groups 1) output channels when its consumer takes any width: a conv
 *    (groups 1), an MBConv without skip and SE (expand != 1: its expand conv's inputs; expand 1: its
 *    depthwise and project convs), or global pooling followed by a linear layer (its inputs).
 * A width equal to the consumer MBConv's input (expand would become 1, a block without expand conv)
 * is never proposed.
 */
import type { Architecture, Layer } from '../../core/arch.js';
import { placeLayers } from '../../core/arch.js';
import { expandedChannels, type ConvSpec, type MBConvSpec } from '../../core/ops.js';
import * as tf from '@tensorflow/tfjs';
import { Network } from '../../train/nn/network.js';

export interface PrunableUnit {
  /** Layer whose filters are pruned. */
  layer: number;
  kind: 'inner' | 'output';
  /** Current filter count. */
  width: number;
  /** Name of the conv weight whose output filters are ranked by L2 norm ([k, k, cin, cout]). */
  filters: string;
  /** Widths that would turn a block into another kind (expand 1): never proposed. */
  excluded: number[];
}

/** Which axis of which parameter follows the unit's channels. */
export type SlicePlan = Map<string, number>;

const BN_PARTS = ['gamma', 'beta', 'mean', 'var'];
const bn = (plan: SlicePlan, name: string) => BN_PARTS.forEach((p) => plan.set(`${name}.bn.${p}`, 0));

function innerSlices(plan: SlicePlan, i: number): void {
  plan.set(`layer${i}.expand.weight`, 3);
  bn(plan, `layer${i}.expand`);
  plan.set(`layer${i}.dw.weight`, 2);
  bn(plan, `layer${i}.dw`);
  plan.set(`layer${i}.se.reduce.weight`, 0);
  plan.set(`layer${i}.se.expand.weight`, 1);
  plan.set(`layer${i}.se.expand.bias`, 0);
  plan.set(`layer${i}.project.weight`, 2);
}

/** How the consumer of a conv's outputs takes a narrower input, or undefined when it cannot. */
function consumerOf(arch: Architecture, i: number): { slices: SlicePlan; excluded: number[] } | undefined {
  const next = arch.layers[i + 1]?.spec;
  const slices: SlicePlan = new Map();
  if (!next) return undefined;
  if (next.kind === 'conv' && next.groups === 1) {
    slices.set(`layer${i + 1}.conv.weight`, 2);
    return { slices, excluded: [] };
  }
  if (next.kind === 'mbconv' && !next.skip && next.se === 0) {
    if (next.expand === 1) {
      slices.set(`layer${i + 1}.dw.weight`, 2);
      bn(slices, `layer${i + 1}.dw`);
      slices.set(`layer${i + 1}.project.weight`, 2);
      return { slices, excluded: [] };
    }
    const cin = placeLayers(arch)[i + 1].inst.input[1];
    slices.set(`layer${i + 1}.expand.weight`, 2);
    return { slices, excluded: [expandedChannels(cin, next.expand)] };
  }
  if (next.kind === 'gpool' && arch.layers[i + 2]?.spec.kind === 'linear') {
    slices.set(`layer${i + 2}.fc.weight`, 0);
    return { slices, excluded: [] };
  }
  return undefined;
}

/** Every unit NetAdapt may prune in `arch`, in layer order. */
export function prunableUnits(arch: Architecture): PrunableUnit[] {
  const placed = placeLayers(arch);
  const units: PrunableUnit[] = [];
  for (const p of placed) {
    const spec = p.layer.spec;
    const cin = p.inst.input[1];
    if (spec.kind === 'mbconv' && spec.expand !== 1) {
      units.push({ layer: p.index, kind: 'inner', width: expandedChannels(cin, spec.expand), filters: `layer${p.index}.expand.weight`, excluded: [cin] });
    } else if (spec.kind === 'conv' && spec.groups === 1) {
      const consumer = consumerOf(arch, p.index);
      if (consumer) units.push({ layer: p.index, kind: 'output', width: spec.cout, filters: `layer${p.index}.conv.weight`, excluded: consumer.excluded });
    }
  }
  return units;
}

/** The parameters whose `axis` follows the unit's channels. */
export function slicePlan(arch: Architecture, unit: PrunableUnit): SlicePlan {
  const plan: SlicePlan = new Map();
  if (unit.kind === 'inner') {
    innerSlices(plan, unit.layer);
    return plan;
  }
  plan.set(`layer${unit.layer}.conv.weight`, 3);
  bn(plan, `layer${unit.layer}.conv`);
  for (const [name, axis] of consumerOf(arch, unit.layer)!.slices) plan.set(name, axis);
  return plan;
}

/** Candidate widths below the current one, largest first: multiples of `step` (at least `step`). */
export function candidateWidths(unit: PrunableUnit, step: number): number[] {
  const out: number[] = [];
  for (let w = Math.floor((unit.width - 1) / step) * step; w >= step; w -= step) if (!unit.excluded.includes(w)) out.push(w);
  return out;
}

/** `arch` with the unit's filter count set to `width` (every other layer unchanged, same name). */
export function withWidth(arch: Architecture, unit: PrunableUnit, width: number): Architecture {
  const placed = placeLayers(arch);
  const layers: Layer[] = arch.layers.map((l) => ({ ...l }));
  const spec = layers[unit.layer].spec;
  if (unit.kind === 'inner') {
    const cin = placed[unit.layer].inst.input[1];
    layers[unit.layer] = { ...layers[unit.layer], spec: { ...(spec as MBConvSpec), expand: width / cin } };
  } else {
    layers[unit.layer] = { ...layers[unit.layer], spec: { ...(spec as ConvSpec), cout: width } };
    const next = layers[unit.layer + 1].spec;
    if (next.kind === 'mbconv' && next.expand !== 1) {
      const mid = expandedChannels(placed[unit.layer + 1].inst.input[1], next.expand);
      layers[unit.layer + 1] = { ...layers[unit.layer + 1], spec: { ...next, expand: mid / width } };
    }
  }
  return { ...arch, layers };
}

/** L2 norm of each output filter of a [k, k, cin, cout] weight. */
export function filterNorms(weight: Float32Array, shape: readonly number[]): Float64Array {
  const cout = shape[shape.length - 1];
  const norms = new Float64Array(cout);
  for (let i = 0; i < weight.length; i++) norms[i % cout] += weight[i] * weight[i];
  return norms.map(Math.sqrt);
}

/** Indices of the `count` largest norms, in increasing index order (ties go to the lower index). */
export function largestNorms(norms: ArrayLike<number>, count: number): number[] {
  const order = Array.from({ length: norms.length }, (_, i) => i).sort((a, b) => norms[b] - norms[a] || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

/** The filters NetAdapt keeps when the unit shrinks to `width`: largest L2 norm of the producing conv. */
export function keptFilters(net: Network, unit: PrunableUnit, width: number): number[] {
  const p = net.params().find((q) => q.name === unit.filters);
  if (!p) throw new Error(`netadapt: ${unit.filters} is not a parameter of ${net.arch.name}`);
  return largestNorms(filterNorms(p.value.dataSync() as Float32Array, p.value.shape), width);
}

/** Copies the entries at `keep` along `axis`. */
export function sliceAxis(data: Float32Array, shape: readonly number[], axis: number, keep: readonly number[]): Float32Array {
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = data.length / (n * inner);
  const out = new Float32Array(outer * keep.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++)
    for (const k of keep) {
      const from = (o * n + k) * inner;
      out.set(data.subarray(from, from + inner), at);
      at += inner;
    }
  return out;
}

/**
 * A Network for `target` holding `source`'s weights; the parameters in `plan` keep only the channels
 * `keep` along their axis. Every parameter of `target` must exist in `source`.
 */
export function transferWeights(source: Network, target: Architecture, plan: SlicePlan, keep: readonly number[]): Network {
  const net = new Network(target);
  const old = new Map(source.params().map((p) => [p.name, p]));
  try {
    for (const p of net.params()) {
      const from = old.get(p.name);
      if (!from) throw new Error(`netadapt: ${p.name} has no counterpart in ${source.arch.name}`);
      let data = from.value.dataSync() as Float32Array;
      const axis = plan.get(p.name);
      if (axis !== undefined) data = sliceAxis(data, from.value.shape, axis, keep);
      if (data.length !== p.value.size) throw new Error(`netadapt: ${p.name} has ${data.length} values for shape ${p.value.shape.join('x')}`);
      tf.tidy(() => p.variable.assign(tf.tensor(data, p.value.shape)));
    }
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}
