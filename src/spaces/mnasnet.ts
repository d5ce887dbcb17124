/**
 * `mnasnet`: MnasNet's factorized hierarchical space (Tan et al. 2019, §4.1) on MnasNet-B1/A1's base layout.
 *
 * Stem conv3x3 s2 32 + ReLU, then 7 blocks with base filters 16/24/40/80/112/160/320, strides
 * 1/2/2/2/1/2/1 and layers 1/2/3/4/2/3/1, then the head (conv1x1 1280 + ReLU, global average pool,
 * linear). Each block chooses, once for all of its layers (six decisions, e.g. "block3.op"):
 *   op      conv (regular k×k conv + ReLU), dwsep (depthwise-separable), mbconv3, mbconv6 (MBConv e3/e6)
 *   kernel  3 or 5
 *   se      squeeze-excitation ratio 0 or 0.25 (of the block input's channels; for `conv`, a separate
 *           `se` op follows the conv, since the catalog's conv has no SE of its own)
 *   skip    none or identity. An identity residual needs stride 1 and equal channels: every layer of a
 *           block but the first (its first layer changes channels or stride in every block of this
 *           layout, for every filter choice). `conv` has no residual form in the op catalog, so for it the
 *           skip decision changes nothing.
 *   filters base × 0.75 / 1.0 / 1.25, rounded to the nearest multiple of 8. Ratios that round to the same
 *           count are one option (block1: 12 and 16 both give 16), so options are labelled by channels.
 *   layers  base − 1 / base / base + 1, at least 1; equal counts are one option (block1: 1 or 2).
 * Shapes depend on choices: a block's input channels are the previous block's filter choice.
 */
import { placeLayers, type Architecture, type Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import { convOut, type OpInstance, type OpSpec, type Shape } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { spaceInput } from './space-util.js';

/** Base layout: filters, stride of the first layer, layer count. */
export const MNASNET_BLOCKS = [
  { c: 16, s: 1, n: 1 },
  { c: 24, s: 2, n: 2 },
  { c: 40, s: 2, n: 3 },
  { c: 80, s: 2, n: 4 },
  { c: 112, s: 1, n: 2 },
  { c: 160, s: 2, n: 3 },
  { c: 320, s: 1, n: 1 },
] as const;
export const MNASNET_OPS = ['conv', 'dwsep', 'mbconv3', 'mbconv6'] as const;
export type MnasnetOp = (typeof MNASNET_OPS)[number];
const KERNELS = [3, 5] as const;
const SE_RATIOS = [0, 0.25] as const;
export const MNASNET_SKIPS = ['none', 'identity'] as const;
const FILTER_RATIOS = [0.75, 1, 1.25] as const;
const LAYER_DELTAS = [-1, 0, 1] as const;
/** Decision suffixes, in the order each block's decisions appear in a choice vector. */
export const MNASNET_FIELDS = ['op', 'kernel', 'se', 'skip', 'filters', 'layers'] as const;
const ACT = 'relu';
const STEM_C = 32;
const HEAD_C = 1280;

/** Nearest multiple of 8, at least 8 (ties round up). */
export function roundFilters(base: number, ratio: number): number {
  return Math.max(8, 8 * Math.round((base * ratio) / 8));
}

/** One block's choices, decoded. */
export interface MnasnetBlockChoice {
  op: MnasnetOp;
  k: number;
  se: number;
  identity: boolean;
  filters: number;
  layers: number;
}

interface BlockInfo {
  stride: number;
  /** Input spatial size of the block (fixed: strides are not searched). */
  hw: number;
  filters: number[];
  layers: number[];
}

const distinct = (values: number[]) => [...new Set(values)];

export class MnasnetSpace implements SearchSpace {
  readonly id = 'mnasnet';
  readonly description =
    'MnasNet factorized hierarchical space: 7 blocks, each choosing op (conv/dwsep/mbconv3/mbconv6), kernel 3/5, SE 0/0.25, identity skip, filters ×0.75/1/1.25, layers −1/0/+1';
  readonly resolution: number;
  readonly classes: number;
  private readonly blocks: BlockInfo[];
  private readonly decisionList: Decision[];

  constructor(opts: SpaceOptions = {}) {
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts));
    let hw = convOut(this.resolution, 3, 2);
    this.blocks = MNASNET_BLOCKS.map((b) => {
      const info = {
        stride: b.s,
        hw,
        filters: distinct(FILTER_RATIOS.map((r) => roundFilters(b.c, r))),
        layers: distinct(LAYER_DELTAS.map((d) => Math.max(1, b.n + d))),
      };
      hw = convOut(hw, 3, b.s);
      return info;
    });
    this.decisionList = this.blocks.flatMap((b, i) => {
      const name = (field: string) => `block${i + 1}.${field}`;
      return [
        { name: name('op'), options: [...MNASNET_OPS] },
        { name: name('kernel'), options: KERNELS.map((k) => `k${k}`) },
        { name: name('se'), options: SE_RATIOS.map((r) => `se${r}`) },
        { name: name('skip'), options: [...MNASNET_SKIPS] },
        { name: name('filters'), options: b.filters.map((c) => `c${c}`) },
        { name: name('layers'), options: b.layers.map((n) => `n${n}`) },
      ];
    });
  }

  decisions(): Decision[] {
    return this.decisionList.map((d) => ({ name: d.name, options: [...d.options] }));
  }

  /** Decodes a choice vector block by block; throws a UserError naming the first decision that does not fit. */
  decode(choices: readonly number[]): MnasnetBlockChoice[] {
    const d = this.decisionList;
    if (choices.length !== d.length)
      throw new UserError(`mnasnet: a choice vector has ${d.length} entries (${MNASNET_FIELDS.length} per block × 7 blocks), got ${choices.length}`);
    choices.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= d[i].options.length)
        throw new UserError(`mnasnet: ${d[i].name} choice must be an integer in [0, ${d[i].options.length - 1}] (${d[i].options.join(', ')}), got ${c}`);
    });
    const per = MNASNET_FIELDS.length;
    return this.blocks.map((b, i) => {
      const [op, k, se, skip, filters, layers] = choices.slice(i * per, (i + 1) * per);
      return {
        op: MNASNET_OPS[op],
        k: KERNELS[k],
        se: SE_RATIOS[se],
        identity: MNASNET_SKIPS[skip] === 'identity',
        filters: b.filters[filters],
        layers: b.layers[layers],
      };
    });
  }

  /** The layers of one block applied to `cin` input channels. */
  private blockLayers(choice: MnasnetBlockChoice, stride: number, cin: number): Layer[] {
    const out: Layer[] = [];
    const c = choice.filters;
    for (let i = 0; i < choice.layers; i++) {
      const s = i === 0 ? stride : 1;
      const inC = i === 0 ? cin : c;
      // The identity residual exists only where the layer keeps its shape; export rejects it elsewhere.
      const skip = choice.identity && s === 1 && inC === c;
      const spec: OpSpec =
        choice.op === 'conv'
          ? { kind: 'conv', cout: c, k: choice.k, stride: s, groups: 1, dilation: 1, act: ACT }
          : choice.op === 'dwsep'
            ? { kind: 'dwsep', cout: c, k: choice.k, stride: s, se: choice.se, act: ACT, skip }
            : { kind: 'mbconv', cout: c, k: choice.k, stride: s, expand: choice.op === 'mbconv3' ? 3 : 6, se: choice.se, act: ACT, skip };
      out.push({ role: 'block', spec });
      if (choice.op === 'conv' && choice.se > 0) out.push({ role: 'block', spec: { kind: 'se', ratio: choice.se, act: ACT } });
    }
    return out;
  }

  private stem(): Layer {
    return { role: 'stem', spec: { kind: 'conv', cout: STEM_C, k: 3, stride: 2, groups: 1, dilation: 1, act: ACT } };
  }

  private head(): Layer[] {
    return [
      { role: 'head', spec: { kind: 'conv', cout: HEAD_C, k: 1, stride: 1, groups: 1, dilation: 1, act: ACT } },
      { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
      { role: 'head', spec: { kind: 'linear', cout: this.classes, act: 'none' } },
    ];
  }

  build(choices: readonly number[]): Architecture {
    const decoded = this.decode(choices);
    const layers: Layer[] = [this.stem()];
    let cin = STEM_C;
    decoded.forEach((choice, i) => {
      layers.push(...this.blockLayers(choice, this.blocks[i].stride, cin));
      cin = choice.filters;
    });
    layers.push(...this.head());
    // "id" only where the identity changes the network, so equal networks get equal names.
    const label = (b: MnasnetBlockChoice) => `${b.op}k${b.k}${b.se ? `se${b.se}` : ''}${b.identity && b.op !== 'conv' && b.layers > 1 ? 'id' : ''}c${b.filters}n${b.layers}`;
    return {
      name: `mnasnet@${this.resolution}:${decoded.map(label).join('-')}`,
      space: { id: this.id, resolution: this.resolution, encoding: [...choices] },
      input: [1, 3, this.resolution, this.resolution],
      dtype: 'f32',
      layers,
    };
  }

  sample(rng: Rng): number[] {
    return this.decisionList.map((d) => rng.int(d.options.length));
  }

  /**
   * Every block's instances for every input width the previous block can give it, every output width and
   * every op/kernel/SE/skip; two layers cover any depth (later layers repeat the second one's instance).
   */
  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    const add = (inst: OpInstance) => seen.set(opKey(inst), inst);
    const place = (layers: Layer[], input: Shape) => {
      const arch: Architecture = { name: 'mnasnet-enumeration', input, dtype: 'f32', layers };
      for (const p of placeLayers(arch)) add(p.inst);
    };
    place([this.stem()], [1, 3, this.resolution, this.resolution]);
    let inputs: number[] = [STEM_C];
    for (const b of this.blocks) {
      for (const cin of inputs)
        for (const op of MNASNET_OPS)
          for (const k of KERNELS)
            for (const se of SE_RATIOS)
              for (const identity of [false, true])
                for (const filters of b.filters)
                  place(this.blockLayers({ op, k, se, identity, filters, layers: Math.min(2, Math.max(...b.layers)) }, b.stride, cin), [1, cin, b.hw, b.hw]);
      inputs = b.filters;
    }
    const lastHw = convOut(this.blocks[this.blocks.length - 1].hw, 3, this.blocks[this.blocks.length - 1].stride);
    for (const cin of inputs) place(this.head(), [1, cin, lastHw, lastHw]);
    return [...seen.values()];
  }
}

export function createMnasnetSpace(opts: SpaceOptions = {}): MnasnetSpace {
  return new MnasnetSpace(opts);
}
