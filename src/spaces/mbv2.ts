/**
 * `mbv2`: the ProxylessNAS / FBNet layer-wise space on MobileNetV2's stage layout.
 *
 * Fixed stem (conv3x3 s2 32 + MBConv e1 k3 → 16) and head (conv1x1 1280, global pool, linear), and 21
 * searchable layers in 6 stages (channels 24/40/80/96/192/320, layers 4/4/4/4/4/1, strides 2/2/2/1/2/1),
 * as in ProxylessNAS. Each layer chooses MBConv k∈{3,5,7} × e∈{3,6}, or skip where the layer keeps its
 * shape (stride 1 and equal channels: every layer but a stage's first). A skipped layer is left out of
 * the network, as in the nets ProxylessNAS exports.
 *
 * The same class builds other layer-wise MBConv spaces from a `Mbv2Layout` (stages, kernels,
 * expansions, whether skip is an option, stem/head widths): `mbv2-small` (src/spaces/mbv2-small.ts).
 */
import { placeLayers, type Architecture, type Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import { convOut, type MBConvSpec, type OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { IMAGENET_INPUT, spaceInput } from './space-util.js';

/** The shape of a layer-wise MBConv space: fixed stem and head, searchable stages. */
export interface Mbv2Layout {
  stages: readonly { c: number; n: number; s: number }[];
  kernels: readonly number[];
  expansions: readonly number[];
  /** Skip (leave the layer out) is an option where a layer keeps its shape. */
  skip: boolean;
  stem: number;
  first: number;
  head: number;
  /** Default input (resolution, classes, minimum resolution). */
  input: typeof IMAGENET_INPUT;
}

export const MBV2_LAYOUT: Mbv2Layout = {
  stages: [
    { c: 24, n: 4, s: 2 },
    { c: 40, n: 4, s: 2 },
    { c: 80, n: 4, s: 2 },
    { c: 96, n: 4, s: 1 },
    { c: 192, n: 4, s: 2 },
    { c: 320, n: 1, s: 1 },
  ],
  kernels: [3, 5, 7],
  expansions: [3, 6],
  skip: true,
  stem: 32,
  first: 16,
  head: 1280,
  input: IMAGENET_INPUT,
};
const opsOf = (l: Mbv2Layout) => l.kernels.flatMap((k) => l.expansions.map((e) => ({ k, e, label: `k${k}e${e}` })));
export const MBV2_OPS = opsOf(MBV2_LAYOUT);
export const SKIP = 'skip';
const ACT = 'relu6';

interface SlotInfo {
  cin: number;
  cout: number;
  stride: number;
  /** Stride 1 and equal channels: the block adds its input (and may be left out where the layout has skip). */
  residual: boolean;
  skippable: boolean;
  /** Input spatial size of this layer (fixed: skipping never changes shapes). */
  hw: number;
}

export class Mbv2Space implements SearchSpace {
  readonly id: string;
  readonly description: string;
  readonly resolution: number;
  readonly classes: number;
  private readonly slots: SlotInfo[];
  private readonly layout: Mbv2Layout;
  private readonly ops: { k: number; e: number; label: string }[];

  /** `variant` names the space under another id (src/spaces/proxyless.ts), with another layout (src/spaces/mbv2-small.ts). */
  constructor(opts: SpaceOptions = {}, variant?: { id: string; description: string; layout?: Mbv2Layout }) {
    this.id = variant?.id ?? 'mbv2';
    this.description = variant?.description ?? 'ProxylessNAS/FBNet layer-wise space: 21 MBConv layers (k3/5/7 × e3/6 or skip) on MobileNetV2 stages';
    this.layout = variant?.layout ?? MBV2_LAYOUT;
    this.ops = opsOf(this.layout);
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts, this.layout.input));
    this.stemLayers = this.stem();
    this.headLayers = this.head();
    this.slots = [];
    let hw = convOut(this.resolution, 3, 2); // after the stem conv
    let cin = this.layout.first;
    for (const stage of this.layout.stages) {
      for (let i = 0; i < stage.n; i++) {
        const stride = i === 0 ? stage.s : 1;
        const residual = stride === 1 && cin === stage.c;
        this.slots.push({ cin, cout: stage.c, stride, residual, skippable: this.layout.skip && residual, hw });
        hw = convOut(hw, 3, stride);
        cin = stage.c;
      }
    }
  }

  decisions(): Decision[] {
    return this.slots.map((slot, i) => ({
      name: `layer${i + 1}`,
      options: [...this.ops.map((o) => o.label), ...(slot.skippable ? [SKIP] : [])],
    }));
  }

  /** Built once and shared (read-only) by every architecture, so per-spec caches downstream hit. */
  private readonly stemLayers: Layer[];
  private readonly headLayers: Layer[];

  private stem(): Layer[] {
    return [
      { role: 'stem', spec: { kind: 'conv', cout: this.layout.stem, k: 3, stride: 2, groups: 1, dilation: 1, act: ACT } },
      { role: 'stem', spec: { kind: 'mbconv', cout: this.layout.first, k: 3, stride: 1, expand: 1, se: 0, act: ACT, skip: false } },
    ];
  }

  private head(): Layer[] {
    return [
      { role: 'head', spec: { kind: 'conv', cout: this.layout.head, k: 1, stride: 1, groups: 1, dilation: 1, act: ACT } },
      { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
      { role: 'head', spec: { kind: 'linear', cout: this.classes, act: 'none' } },
    ];
  }

  /** Spec objects are shared by every architecture built (read-only), so per-spec caches downstream hit. */
  private readonly specs = new Map<string, MBConvSpec>();
  private blockSpec(slot: SlotInfo, option: number): MBConvSpec {
    const id = `${this.slots.indexOf(slot)}:${option}`;
    let spec = this.specs.get(id);
    if (!spec) {
      const op = this.ops[option];
      spec = { kind: 'mbconv', cout: slot.cout, k: op.k, stride: slot.stride, expand: op.e, se: 0, act: ACT, skip: slot.residual };
      this.specs.set(id, spec);
    }
    return spec;
  }

  build(choices: readonly number[]): Architecture {
    const decisions = this.decisions();
    if (choices.length !== decisions.length)
      throw new UserError(`${this.id}: a choice vector has ${decisions.length} entries (one per layer), got ${choices.length}`);
    const blocks: Layer[] = [];
    choices.forEach((choice, i) => {
      const options = decisions[i].options;
      if (!Number.isInteger(choice) || choice < 0 || choice >= options.length)
        throw new UserError(`${this.id}: layer ${i + 1} choice must be an integer in [0, ${options.length - 1}] (${options.join(', ')}), got ${choice}`);
      if (options[choice] !== SKIP) blocks.push({ role: 'block', spec: this.blockSpec(this.slots[i], choice) });
    });
    const labels = choices.map((c, i) => decisions[i].options[c]);
    return {
      name: `${this.id}@${this.resolution}:${labels.join('-')}`,
      space: { id: this.id, resolution: this.resolution, encoding: [...choices] },
      input: [1, 3, this.resolution, this.resolution],
      dtype: 'f32',
      layers: [...this.stemLayers, ...blocks, ...this.headLayers],
    };
  }

  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }

  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    const add = (inst: OpInstance) => seen.set(opKey(inst), inst);
    // Stem and head shapes never depend on the choices: take them from any placed architecture.
    for (const placed of placeLayers(this.build(this.slots.map(() => 0)))) if (placed.layer.role !== 'block') add(placed.inst);
    for (const slot of this.slots)
      for (let o = 0; o < this.ops.length; o++) add({ spec: this.blockSpec(slot, o), input: [1, slot.cin, slot.hw, slot.hw], dtype: 'f32' });
    return [...seen.values()];
  }
}

export function createMbv2Space(opts: SpaceOptions = {}): Mbv2Space {
  return new Mbv2Space(opts);
}
