/**
 * The candidate modules of a one-shot supernet over a layer-wise search space (mbv2): one trainable
 * module per option of every searchable layer, each with its own weights, plus the fixed stem and
 * head modules every path shares. SPOS / FairNAS train single paths through it; FBNet-style
 * differentiable search mixes the options of a layer.
 *
 * Layer-wise means: `space.build(choices)` gives the stem layers, then one block layer per decision in
 * decision order (a decision's option may leave its layer out: mbv2's skip), then the head; a
 * decision's layer depends on that decision only, and its input shape on no decision. The table is
 * derived from the space itself (one build per option) and refuses a space where this does not hold.
 *
 * Architectures are retargeted to the data exactly as the train evaluator does (adaptArchitecture):
 * input = the images' shape, last linear layer = the data's classes, every other layer kept.
 *
 * Parameter names: `layer<i>.op<o>.<part>...` for option o (0-based, the space's option order) of
 * decision i (1-based, mbv2's `layer<i>` decision names); `stem<j>.<part>...` and `head<j>.<part>...`
 * for the fixed layers (j = index among the stem / head layers). Parts as the lowerings name them (src/core/lower).
 *
 * The mapping from a choice vector to the path of modules lives in `path()` only.
 *
 * Weight sharing (`sharing`):
 *   independent  SPOS: every option has its own weights (the default).
 *   nested       Once-for-All's elastic kernel and width / Single-Path NAS's superkernel: per layer ONE
 *                tensor per conv, the largest any option needs; options read slices of it (nested.ts).
 *                For mbv2: `layer<i>.expand.weight` [1,1,cin,midMax], `layer<i>.dw.weight`
 *                [kMax,kMax,midMax,1], `layer<i>.project.weight` [1,1,midMax,cout]; option (k, e) uses
 *                the first cin*e expanded channels and the centre k x k of the depthwise kernel. Every
 *                option keeps its own BatchNorms (`layer<i>.op<o>.<part>.bn.…`); skip stays Identity.
 *
 * Every module is a block's lowering (src/core/lower) run by the training engine's per-primitive
 * modules (buildLayer / GraphModule): nothing here knows what a block computes.
 */
import { isDeepStrictEqual } from 'node:util';
import { placeLayers, type Architecture, type Layer } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { instance, macs, type OpSpec, type Shape } from '../../core/ops.js';
import type { SearchSpace } from '../../core/space.js';
import { buildLayer } from '../nn/graph-module.js';
import type { Module, Param } from '../nn/module.js';
import { Identity } from '../nn/pool.js';
import { adaptArchitecture } from '../train-evaluator.js';
import { nestedOps } from './nested.js';

export const SHARINGS = ['independent', 'nested'] as const;
export type Sharing = (typeof SHARINGS)[number];

export function checkSharing(kind: string): Sharing {
  if (!(SHARINGS as readonly string[]).includes(kind))
    throw new UserError(`unknown supernet weight sharing '${kind}'`, { hint: `choose ${SHARINGS.join(' or ')} (independent: own weights per option, SPOS; nested: one largest kernel per layer, options are its slices)` });
  return kind as Sharing;
}

export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/** A searchable layer: one module per option. */
export interface CandidateLayer {
  /** The space's decision name, e.g. "layer3". */
  decision: string;
  /** Parameter prefix, `layer<i>` (i = decision index + 1). */
  prefix: string;
  /** Option labels, as the space names them. */
  options: string[];
  /** NCHW input shape of the layer (the same for every option). */
  input: Shape;
  /** The layer each option places, or null where the option leaves the layer out (skip). */
  specs: (OpSpec | null)[];
  /** One module per option, parameters `<prefix>.op<o>.…`; Identity where the layer is left out. */
  ops: Module[];
  /** Nested sharing: the layer's shared conv weights (the options' convs are slices of them); empty when independent. */
  shared: Param[];
}

/** A stem or head layer, shared by every path. */
export interface FixedLayer {
  prefix: string;
  layer: Layer;
  module: Module;
}

/** A sub-network of the supernet: its (retargeted) architecture and one module per layer of it. */
export interface SupernetPath {
  choices: number[];
  arch: Architecture;
  modules: Module[];
}

export class CandidateTable {
  readonly stem: FixedLayer[] = [];
  readonly layers: CandidateLayer[] = [];
  readonly head: FixedLayer[] = [];
  /** Input of every path, [1, c, h, w] of the data. */
  readonly input: Shape;

  private constructor(
    readonly space: SearchSpace,
    readonly image: ImageShape,
    readonly classes: number,
    readonly sharing: Sharing,
  ) {
    this.input = [1, image.channels, image.height, image.width];
  }

  /**
   * Builds every candidate module for `space`, retargeted to images of `image` and `classes`
   * classes; initial weights from `seed` (per tensor name, as Network does); `sharing` as above.
   */
  static build(space: SearchSpace, image: ImageShape, classes: number, seed: number, sharing: Sharing = 'independent'): CandidateTable {
    const t = new CandidateTable(space, image, classes, checkSharing(sharing));
    const decisions = space.decisions();
    const notLayerwise = (why: string) =>
      new UserError(`space '${space.id}' is not layer-wise (${why}), so a single-path supernet cannot hold it`, { hint: 'use a layer-wise space such as mbv2' });
    const base = decisions.map(() => 0);
    const split = (choices: number[]) => {
      const placed = placeLayers(t.retarget(space.build(choices)));
      return {
        stem: placed.filter((p) => p.layer.role === 'stem'),
        blocks: placed.filter((p) => p.layer.role === 'block'),
        head: placed.filter((p) => p.layer.role === 'head'),
      };
    };
    let ref: ReturnType<typeof split>;
    try {
      ref = split(base);
    } catch (e) {
      throw notLayerwise(`option 0 everywhere does not build: ${(e as Error).message}`);
    }
    if (ref.blocks.length !== decisions.length) throw notLayerwise(`option 0 everywhere gives ${ref.blocks.length} blocks for ${decisions.length} decisions`);
    ref.stem.forEach((p, j) => t.stem.push({ prefix: `stem${j}`, layer: p.layer, module: buildLayer(p.layer.spec, p.inst.input, `stem${j}`, seed) }));
    ref.head.forEach((p, j) => t.head.push({ prefix: `head${j}`, layer: p.layer, module: buildLayer(p.layer.spec, p.inst.input, `head${j}`, seed) }));
    decisions.forEach((d, i) => {
      const prefix = `layer${i + 1}`;
      const input = ref.blocks[i].inst.input;
      const specs: (OpSpec | null)[] = [];
      const ops: Module[] = [];
      d.options.forEach((label, o) => {
        const v = [...base];
        v[i] = o;
        const got = split(v);
        const others = ref.blocks.filter((_, k) => k !== i);
        if (got.blocks.length === decisions.length) {
          if (!isDeepStrictEqual(got.blocks[i].inst.input, input)) throw notLayerwise(`${d.name}'s input shape changes with its option ${label}`);
          if (!isDeepStrictEqual(got.blocks.filter((_, k) => k !== i).map((p) => p.layer), others.map((p) => p.layer)))
            throw notLayerwise(`${d.name}=${label} changes other layers`);
          specs.push(got.blocks[i].layer.spec);
          if (sharing === 'independent') ops.push(buildLayer(got.blocks[i].layer.spec, input, `${prefix}.op${o}`, seed));
        } else if (got.blocks.length === decisions.length - 1) {
          if (!isDeepStrictEqual(got.blocks.map((p) => p.layer), others.map((p) => p.layer))) throw notLayerwise(`${d.name}=${label} changes other layers`);
          if (!isDeepStrictEqual(ref.blocks[i].output, input)) throw notLayerwise(`${d.name}=${label} leaves out a layer that changes the shape`);
          specs.push(null);
          if (sharing === 'independent') ops.push(new Identity());
        } else throw notLayerwise(`${d.name}=${label} gives ${got.blocks.length} blocks`);
      });
      if (sharing === 'independent') t.layers.push({ decision: d.name, prefix, options: [...d.options], input, specs, ops, shared: [] });
      else t.layers.push({ decision: d.name, prefix, options: [...d.options], input, specs, ...nestedOps(prefix, input, specs, d.options, seed) });
    });
    return t;
  }

  /** The architecture retargeted to the data (the train evaluator's adaptArchitecture). */
  retarget(arch: Architecture): Architecture {
    return adaptArchitecture(arch, this.image, this.classes);
  }

  /** Options per searchable layer. */
  optionCounts(): number[] {
    return this.layers.map((l) => l.options.length);
  }

  /** Each option's multiply-accumulates at its layer's input (0 where it leaves the layer out): what the sandwich sampler calls largest and smallest. */
  optionMacs(): number[][] {
    return this.layers.map((l) => l.specs.map((spec) => (spec ? macs(instance(spec, l.input)) : 0)));
  }

  /** The sub-network of a choice vector: stem, the chosen option of every layer (left out where it skips), head. */
  path(choices: readonly number[]): SupernetPath {
    const arch = this.retarget(this.space.build(choices));
    const modules: Module[] = [];
    const mismatch = (where: string) =>
      new UserError(`space '${this.space.id}' built ${arch.name} with ${where} other than the supernet's`, { hint: 'the space is not layer-wise; use mbv2' });
    let at = 0;
    const take = (want: Layer, module: Module, where: string) => {
      if (!isDeepStrictEqual(arch.layers[at], want)) throw mismatch(where);
      modules.push(module);
      at++;
    };
    for (const s of this.stem) take(s.layer, s.module, s.prefix);
    this.layers.forEach((l, i) => {
      const spec = l.specs[choices[i]];
      if (spec) take({ role: 'block', spec }, l.ops[choices[i]], `${l.decision}=${l.options[choices[i]]}`);
    });
    for (const h of this.head) take(h.layer, h.module, h.prefix);
    if (at !== arch.layers.length) throw mismatch(`${arch.layers.length - at} extra layer(s)`);
    return { choices: [...choices], arch, modules };
  }

  /**
   * The choice vector of an architecture, when the supernet holds it: a member of the same space at
   * the same resolution whose layers are the supernet's for its encoding. UserError saying why not.
   */
  choicesOf(arch: Architecture): number[] {
    const res = this.space.resolution;
    const mine = `the supernet holds members of space '${this.space.id}' at resolution ${res}`;
    const hint = `search --space ${this.space.id} --resolution ${res}, or train a supernet for this space (another --supernet file)`;
    const refuse = (why: string) => new UserError(`architecture '${arch.name}' is not in the supernet: ${why}; ${mine}`, { hint });
    if (!arch.space) throw refuse('it names no search space (an architecture file without "space")');
    if (arch.space.id !== this.space.id) throw refuse(`it comes from space '${arch.space.id}'`);
    if (arch.space.resolution !== res) throw refuse(`its resolution is ${arch.space.resolution}`);
    const choices = arch.space.encoding;
    let path: SupernetPath;
    try {
      path = this.path(choices);
    } catch (e) {
      throw refuse((e as Error).message);
    }
    const given = this.retarget(arch).layers;
    const want = path.arch.layers;
    const differs = want.findIndex((l, i) => !isDeepStrictEqual(l, given[i]));
    if (differs >= 0 || given.length !== want.length) {
      const i = differs >= 0 ? differs : Math.min(given.length, want.length);
      const l = given[i];
      throw refuse(l ? `its layer ${i} (${l.role} ${JSON.stringify(l.spec)}) is not the supernet's option for encoding [${choices.join(',')}]` : `it has ${given.length} layers, its encoding gives ${want.length}`);
    }
    return [...choices];
  }

  /** Every parameter and BatchNorm statistic, each once: stem, each layer's options in order (a shared weight where first used), head. */
  params(): Param[] {
    const all = [...this.stem.map((s) => s.module), ...this.layers.flatMap((l) => l.ops), ...this.head.map((h) => h.module)].flatMap((m) => m.params());
    return [...new Set(all)];
  }

  dispose(): void {
    for (const p of this.params()) {
      p.clearGrad();
      p.variable.dispose();
    }
  }
}
