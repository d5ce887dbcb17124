/**
 * `fbnet`: FBNet's own layer-wise space (Wu et al. 2019, Tables 1–2). A 3×3 stride-2 stem of 16 channels,
 * 22 searchable layers (1 + 4 + 4 + 4 + 4 + 4 + 1 at 16/24/32/64/112/184/352 channels, strides 1/2/2/2/1/2/1),
 * a 1×1 conv (1984 channels in the paper's macro-architecture, 1504 in the searched FBNet-A/B/C, so both are a
 * choice), global pooling and a linear classifier. Each layer picks one of the 9 candidates: MBConv k3/k5 ×
 * e1/e3/e6, the e1 ones also with group-2 pointwise convs (a channel shuffle after a grouped expansion), or skip
 * where the layer keeps its shape. ReLU throughout. FBNet-A (`--published FBNet-A`) is a member.
 */
import type { Architecture, Layer } from '../core/arch.js';
import { opKey } from '../core/keys.js';
import { convOut, type MBConvSpec, type OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { checkChoices, collectInstances, spaceInput } from './space-util.js';

const STAGES = [
  { c: 16, n: 1, s: 1 },
  { c: 24, n: 4, s: 2 },
  { c: 32, n: 4, s: 2 },
  { c: 64, n: 4, s: 2 },
  { c: 112, n: 4, s: 1 },
  { c: 184, n: 4, s: 2 },
  { c: 352, n: 1, s: 1 },
] as const;
export const FBNET_OPS = [
  { label: 'k3_e1', k: 3, e: 1, g: 1 },
  { label: 'k3_e1_g2', k: 3, e: 1, g: 2 },
  { label: 'k3_e3', k: 3, e: 3, g: 1 },
  { label: 'k3_e6', k: 3, e: 6, g: 1 },
  { label: 'k5_e1', k: 5, e: 1, g: 1 },
  { label: 'k5_e1_g2', k: 5, e: 1, g: 2 },
  { label: 'k5_e3', k: 5, e: 3, g: 1 },
  { label: 'k5_e6', k: 5, e: 6, g: 1 },
] as const;
const SKIP = 'skip';
const STEM = 16;
const HEADS = [1984, 1504] as const;

interface Slot {
  cin: number;
  cout: number;
  stride: number;
  skippable: boolean;
  hw: number;
}

export class FbnetSpace implements SearchSpace {
  readonly id = 'fbnet';
  readonly description = "FBNet's space: 22 layers × 9 candidates (MBConv k3/k5 × e1/e3/e6, group-2 pointwise e1, skip), head 1984 or 1504";
  readonly resolution: number;
  readonly classes: number;
  private readonly slots: Slot[] = [];

  constructor(opts: SpaceOptions = {}) {
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts));
    let hw = convOut(this.resolution, 3, 2);
    let cin = STEM;
    for (const st of STAGES)
      for (let i = 0; i < st.n; i++) {
        const stride = i === 0 ? st.s : 1;
        this.slots.push({ cin, cout: st.c, stride, skippable: stride === 1 && cin === st.c, hw });
        hw = convOut(hw, 3, stride);
        cin = st.c;
      }
  }

  decisions(): Decision[] {
    return [
      ...this.slots.map((slot, i) => ({ name: `layer${i + 1}`, options: [...FBNET_OPS.map((o) => o.label), ...(slot.skippable ? [SKIP] : [])] })),
      { name: 'head', options: HEADS.map(String) },
    ];
  }

  private spec(slot: Slot, op: (typeof FBNET_OPS)[number]): MBConvSpec {
    const spec: MBConvSpec = { kind: 'mbconv', cout: slot.cout, k: op.k, stride: slot.stride, expand: op.e, se: 0, act: 'relu', skip: slot.skippable };
    if (op.g !== 1) spec.pwGroups = op.g;
    return spec;
  }

  build(choices: readonly number[]): Architecture {
    const decisions = this.decisions();
    checkChoices(this.id, decisions, choices);
    const blocks: Layer[] = [];
    this.slots.forEach((slot, i) => {
      if (choices[i] < FBNET_OPS.length) blocks.push({ role: 'block', spec: this.spec(slot, FBNET_OPS[choices[i]]) });
    });
    const head = HEADS[choices[choices.length - 1]];
    return {
      name: `${this.id}@${this.resolution}:${choices.map((c, i) => decisions[i].options[c]).join('-')}`,
      space: { id: this.id, resolution: this.resolution, encoding: [...choices] },
      input: [1, 3, this.resolution, this.resolution],
      dtype: 'f32',
      layers: [
        { role: 'stem', spec: { kind: 'conv', cout: STEM, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' } },
        ...blocks,
        { role: 'head', spec: { kind: 'conv', cout: head, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
        { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
        { role: 'head', spec: { kind: 'linear', cout: this.classes, act: 'none' } },
      ],
    };
  }

  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }

  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    for (let h = 0; h < HEADS.length; h++) collectInstances(seen, this.build([...this.slots.map(() => 0), h]), ['stem', 'head']);
    for (const slot of this.slots)
      for (const op of FBNET_OPS) {
        const inst: OpInstance = { spec: this.spec(slot, op), input: [1, slot.cin, slot.hw, slot.hw], dtype: 'f32' };
        seen.set(opKey(inst), inst);
      }
    return [...seen.values()];
  }
}

export function createFbnetSpace(opts: SpaceOptions = {}): FbnetSpace {
  return new FbnetSpace(opts);
}
