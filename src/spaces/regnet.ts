/**
 * `regnet`: the RegNet design space (Radosavovic et al. 2020): a network is (d, w0, wa, wm, g, b), and X or Y
 * (SE at 0.25 of the block input). b is the bottleneck ratio (the 3×3 works on w / b channels, made compatible
 * with g as pycls does); the paper's refinement found b = 1 best, which every published RegNet uses, and the
 * grid keeps b ∈ {1, 2, 4} (AnyNetX's) so a search or `nas designspace --bootstrap b` can find it again. Per-block widths follow the quantized linear rule
 * u_j = w0 + wa·j, w_j = w0·wm^round(log(u_j/w0)/log wm) rounded to multiples of 8; equal widths form a stage
 * (anynet-model.ts). The grid here spans the mobile regime of the paper's 200–800MF models; members must have
 * the 4 stages of the AnyNet body (other vectors are rejected). RegNetX/Y-200/400/600MF are in the seed catalog.
 */
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { regnetArch, regnetStages } from './anynet-model.js';
import { checkChoices, collectInstances, spaceInput } from './space-util.js';

export const REGNET_GRID = {
  type: ['X', 'Y'],
  depth: [13, 16, 22],
  w0: [24, 48],
  wa: [24, 32, 36],
  wm: [2.25, 2.5],
  g: [8, 16],
  b: [1, 2, 4],
} as const;
type Key = keyof typeof REGNET_GRID;
const KEYS = Object.keys(REGNET_GRID) as Key[];
const STAGES = 4;

export class RegNetSpace implements SearchSpace {
  readonly id = 'regnet';
  readonly description = 'RegNet X/Y: depth, w0, wa, wm, group width, bottleneck ratio with the quantized linear width rule, 4 stages';
  readonly resolution: number;
  readonly classes: number;

  constructor(opts: SpaceOptions = {}) {
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts));
  }

  decisions(): Decision[] {
    return KEYS.map((k) => ({ name: k, options: REGNET_GRID[k].map(String) }));
  }

  build(choices: readonly number[]): Architecture {
    checkChoices(this.id, this.decisions(), choices);
    const v = Object.fromEntries(KEYS.map((k, i) => [k, REGNET_GRID[k][choices[i]]])) as { [K in Key]: (typeof REGNET_GRID)[K][number] };
    const { widths } = regnetStages({ depth: v.depth, w0: v.w0, wa: v.wa, wm: v.wm });
    if (widths.length !== STAGES)
      throw new UserError(`regnet: d ${v.depth}, w0 ${v.w0}, wa ${v.wa}, wm ${v.wm} give ${widths.length} stages (${widths.join('/')}); the space keeps 4-stage networks`);
    // b = 1 members keep the names they had before b was a decision.
    const name = `${this.id}@${this.resolution}:Regnet${v.type}-d${v.depth}-w0${v.w0}-wa${v.wa}-wm${v.wm}-g${v.g}${v.b === 1 ? '' : `-b${v.b}`}`;
    const arch = regnetArch(name, { depth: v.depth, w0: v.w0, wa: v.wa, wm: v.wm, g: v.g, b: v.b }, { resolution: this.resolution, classes: this.classes, se: v.type === 'Y' ? 0.25 : 0 });
    return { ...arch, space: { id: this.id, resolution: this.resolution, encoding: [...choices] } };
  }

  /** Uniform over the valid (4-stage) vectors, by rejection. */
  sample(rng: Rng): number[] {
    for (;;) {
      const c = this.decisions().map((d) => rng.int(d.options.length));
      if (this.valid(c)) return c;
    }
  }

  private valid(c: readonly number[]): boolean {
    try {
      this.build(c);
      return true;
    } catch (e) {
      if (e instanceof UserError) return false;
      throw e;
    }
  }

  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    for (const c of allVectors(this.decisions())) if (this.valid(c)) collectInstances(seen, this.build(c));
    return [...seen.values()];
  }
}

/** Every choice vector of `decisions` (the grids here are small enough to walk). */
export function* allVectors(decisions: readonly Decision[]): Generator<number[]> {
  const c = decisions.map(() => 0);
  for (;;) {
    yield [...c];
    let i = c.length - 1;
    while (i >= 0 && ++c[i] === decisions[i].options.length) c[i--] = 0;
    if (i < 0) return;
  }
}

export function createRegNetSpace(opts: SpaceOptions = {}): RegNetSpace {
  return new RegNetSpace(opts);
}
