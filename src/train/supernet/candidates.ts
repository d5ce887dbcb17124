/**
 * The candidate modules of a one-shot supernet over a layer-wise search space (mbv2): one trainable
 * module per option of every searchable layer, each with its own weights, plus the fixed stem and
 * head modules every path shares. SPOS / FairNAS train single paths through it; FBNet-style
 * differentiable search mixes the options of a layer.
 *
 * Layer-wise means (src/core/layerwise.ts, which derives it from the space itself, one build per option,
 * and refuses a space where it does not hold): `space.build(choices)` gives the stem layers, then one
 * block layer per layer decision in decision order (a decision's option may leave its layer out: mbv2's
 * skip), then the head; a decision's layer depends on that decision only, and its input shape on no
 * decision. At most one decision may choose the head instead (fbnet's 1984 or 1504 channels): its
 * options are whole heads, each a chain of modules of its own (`layer<i>.op<o>.head<j>.…`), mixed or
 * sampled like a layer's options, and there are no fixed head modules.
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
 *                A head decision's heads keep their own weights (a classifier on 1504 of 1984 channels
 *                is not a slice nested.ts makes: linear layers do not nest there).
 *
 * Every module is a block's lowering (src/core/lower) run by the training engine's per-primitive
 * modules (buildLayer / GraphModule): nothing here knows what a block computes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Architecture, Layer } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { layerwiseView, notLayerwise } from '../../core/layerwise.js';
import { instance, macs, outputShape, type OpSpec, type Shape } from '../../core/ops.js';
import type { SearchSpace } from '../../core/space.js';
import { buildLayer } from '../nn/graph-module.js';
import { Sequence, type Module, type Param } from '../nn/module.js';
import { Identity } from '../nn/pool.js';
import { adaptArchitecture } from '../train-evaluator.js';
import { nestedOps, nestedPlan } from './nested.js';

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

/** A searchable layer (or the head, where a decision chooses it): one module per option. */
export interface CandidateLayer {
  /** The space's decision name, e.g. "layer3" or "head". */
  decision: string;
  /** Parameter prefix, `layer<i>` (i = decision index + 1). */
  prefix: string;
  /** Option labels, as the space names them. */
  options: string[];
  /** `block`: one searchable layer; `head`: a head decision, each option a whole head (src/core/layerwise.ts). */
  at: 'block' | 'head';
  /** NCHW input shape of the layer or head (the same for every option). */
  input: Shape;
  /** The block each option places, or null where the option leaves the layer out (skip); for a head decision, each head's first layer. */
  specs: (OpSpec | null)[];
  /** The layers each option places, in order: one block, none (skip), or a whole head. */
  chains: Layer[][];
  /** One module per option, parameters `<prefix>.op<o>.…`: the block's, Identity where the layer is left out, a Sequence of a head's layers. */
  ops: Module[];
  /** Each option's modules, one per layer of its chain (what a path runs). */
  parts: Module[][];
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

/** What to search a space with when no supernet can hold it. */
const INSTEAD = 'score its members with --evaluator train, proxy or command';

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

  /** The refusal of a space no supernet (with `sharing`) can hold, without making any weights: the supernet evaluator checks it up front. */
  static check(space: SearchSpace, sharing: Sharing = 'independent'): void {
    const view = layerwiseView(space, { refuse: (why) => notLayerwise(space.id, 'so a single-path supernet cannot hold it', why, INSTEAD) });
    if (checkSharing(sharing) === 'nested')
      for (const d of view.decisions)
        if (d.at === 'block') nestedPlan(`layer${d.index + 1}`, d.input, d.chains.map((c) => c[0]?.layer.spec ?? null), d.options);
  }

  /**
   * Builds every candidate module for `space`, retargeted to images of `image` and `classes`
   * classes; initial weights from `seed` (per tensor name, as Network does); `sharing` as above.
   */
  static build(space: SearchSpace, image: ImageShape, classes: number, seed: number, sharing: Sharing = 'independent'): CandidateTable {
    const t = new CandidateTable(space, image, classes, checkSharing(sharing));
    const view = layerwiseView(space, {
      build: (choices) => t.retarget(space.build(choices)),
      refuse: (why) => notLayerwise(space.id, 'so a single-path supernet cannot hold it', why, INSTEAD),
    });
    view.stem.forEach((p, j) => t.stem.push({ prefix: `stem${j}`, layer: p.layer, module: buildLayer(p.layer.spec, p.inst.input, `stem${j}`, seed) }));
    view.head.forEach((p, j) => t.head.push({ prefix: `head${j}`, layer: p.layer, module: buildLayer(p.layer.spec, p.inst.input, `head${j}`, seed) }));
    for (const d of view.decisions) {
      const prefix = `layer${d.index + 1}`;
      const chains = d.chains.map((chain) => chain.map((p) => p.layer));
      const specs = d.chains.map((chain) => chain[0]?.layer.spec ?? null);
      const base = { decision: d.name, prefix, options: [...d.options], at: d.at, input: d.input, specs, chains };
      if (d.at === 'block' && sharing === 'nested') {
        const nested = nestedOps(prefix, d.input, specs, d.options, seed);
        t.layers.push({ ...base, ...nested, parts: nested.ops.map((m, o) => (specs[o] ? [m] : [])) });
        continue;
      }
      // Independent weights; a head decision's heads keep their own weights under nested sharing too (their classifiers do not nest).
      const parts = d.chains.map((chain, o) =>
        chain.map((p, j) => buildLayer(p.layer.spec, p.inst.input, d.at === 'head' ? `${prefix}.op${o}.head${j}` : `${prefix}.op${o}`, seed)),
      );
      const ops = parts.map((m): Module => (m.length === 0 ? new Identity() : m.length === 1 ? m[0] : new Sequence(m)));
      t.layers.push({ ...base, ops, parts, shared: [] });
    }
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

  /** Each option's multiply-accumulates at its layer's input (0 where it leaves the layer out; a head's all layers): what the sandwich sampler calls largest and smallest. */
  optionMacs(): number[][] {
    return this.layers.map((l) =>
      l.chains.map((chain) => {
        let shape = l.input;
        let sum = 0;
        for (const layer of chain) {
          sum += macs(instance(layer.spec, shape));
          shape = outputShape(layer.spec, shape);
        }
        return sum;
      }),
    );
  }

  /** The sub-network of a choice vector: stem, the chosen option of every layer (left out where it skips), head (the chosen one, where a decision chooses it). */
  path(choices: readonly number[]): SupernetPath {
    const arch = this.retarget(this.space.build(choices));
    const modules: Module[] = [];
    const mismatch = (where: string) =>
      new UserError(`space '${this.space.id}' built ${arch.name} with ${where} other than the supernet's`, { hint: `the space is not layer-wise; ${INSTEAD}` });
    let at = 0;
    const take = (want: Layer, module: Module, where: string) => {
      if (!isDeepStrictEqual(arch.layers[at], want)) throw mismatch(where);
      modules.push(module);
      at++;
    };
    const chosen = (l: CandidateLayer) => {
      const o = choices[this.layers.indexOf(l)];
      l.chains[o].forEach((layer, j) => take(layer, l.parts[o][j], `${l.decision}=${l.options[o]}`));
    };
    for (const s of this.stem) take(s.layer, s.module, s.prefix);
    this.layers.filter((l) => l.at === 'block').forEach(chosen);
    for (const h of this.head) take(h.layer, h.module, h.prefix);
    this.layers.filter((l) => l.at === 'head').forEach(chosen);
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
