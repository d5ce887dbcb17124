/**
 * A tiny layer-wise space (3 layers: 2, 3 and 3 options, skip in two of them) and synthetic images for fast supernet tests.
 * With `head`, a fourth decision chooses the head's 1×1 conv width (8 or 12 channels before pooling), as fbnet's head does.
 */
import { placeLayers, type Architecture, type Layer } from '../../src/core/arch.js';
import { UserError } from '../../src/core/errors.js';
import type { MBConvSpec, OpInstance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import type { Decision, SearchSpace } from '../../src/core/space.js';
import { prepare } from '../../src/data/prepare.js';
import { syntheticSet } from './fixtures.js';

const mb = (cout: number, k: number, stride: number, expand: number, skip: boolean): MBConvSpec => ({ kind: 'mbconv', cout, k, stride, expand, se: 0, act: 'relu6', skip });
const OPTIONS: { label: string; spec: MBConvSpec | null }[][] = [
  [
    { label: 'k3e2', spec: mb(16, 3, 2, 2, false) },
    { label: 'k5e2', spec: mb(16, 5, 2, 2, false) },
  ],
  [
    { label: 'k3e2', spec: mb(16, 3, 1, 2, true) },
    { label: 'k5e3', spec: mb(16, 5, 1, 3, true) },
    { label: 'skip', spec: null },
  ],
  [
    { label: 'k3e2', spec: mb(16, 3, 1, 2, true) },
    { label: 'k3e4', spec: mb(16, 3, 1, 4, true) },
    { label: 'skip', spec: null },
  ],
];

const HEADS = [8, 12];

export class TinySpace implements SearchSpace {
  readonly id = 'tiny';
  readonly description = 'tiny layer-wise test space';
  constructor(
    readonly resolution = 14,
    readonly opts: { head?: boolean } = {},
  ) {}
  decisions(): Decision[] {
    const layers = OPTIONS.map((o, i) => ({ name: `layer${i + 1}`, options: o.map((x) => x.label) }));
    return this.opts.head ? [...layers, { name: 'head', options: HEADS.map(String) }] : layers;
  }
  build(choices: readonly number[]): Architecture {
    const counts = this.decisions().map((d) => d.options.length);
    if (choices.length !== counts.length || choices.some((c, i) => !(Number.isInteger(c) && c >= 0 && c < counts[i])))
      throw new UserError(`tiny: bad choice vector [${choices.join(',')}]`);
    const blocks: Layer[] = [];
    OPTIONS.forEach((options, i) => {
      const spec = options[choices[i]].spec;
      if (spec) blocks.push({ role: 'block', spec });
    });
    const head: Layer[] = this.opts.head ? [{ role: 'head', spec: { kind: 'conv', cout: HEADS[choices[3]], k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu6' } }] : [];
    return {
      name: `tiny:${choices.join('')}`,
      space: { id: this.id, resolution: this.resolution, encoding: [...choices] },
      input: [1, 1, this.resolution, this.resolution],
      dtype: 'f32',
      layers: [
        { role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu6' } },
        ...blocks,
        ...head,
        { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
        { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
      ],
    };
  }
  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }
  allInstances(): OpInstance[] {
    const all = [0, 1].flatMap((a) => [0, 1, 2].flatMap((b) => [0, 1, 2].flatMap((c) => (this.opts.head ? [0, 1].map((h) => this.build([a, b, c, h])) : [this.build([a, b, c])]))));
    return all.flatMap((arch) => placeLayers(arch).map((p) => p.inst));
  }
}


/** 14x14 synthetic samples, split train / validation. */
export function syntheticData(count = 320, validation = 64) {
  return prepare(syntheticSet(count), { validation, seed: 2, downscale: 2 });
}
