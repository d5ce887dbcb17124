/**
 * `anynet` … `anynet-e`: the AnyNetX design spaces (Radosavovic et al. 2020, Sec. 3): stem, a body of 4 stages
 * of bottleneck blocks (ResNeXt / RegNetX block), head. Each stage i picks depth d_i, width w_i, bottleneck
 * ratio b_i (the 3×3 works on w_i / b_i channels) and group width g_i. The restrictions the paper applies in turn:
 *   anynet (AnyNetX_A) all free;  anynet-b: one b shared by the stages;  anynet-c: one b and one g shared;
 *   anynet-d: as C, widths non-decreasing;  anynet-e: as D, depths non-decreasing too.
 * Vectors that break D/E's order are rejected. Grids are coarse (widths 32–512 by doubling) so a LUT of every
 * instance stays measurable.
 */
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { anynetArch, type AnyStage } from './anynet-model.js';
import { allVectors } from './regnet.js';
import { checkChoices, collectInstances, spaceInput } from './space-util.js';

export const ANYNET_GRID = { depth: [1, 2, 3, 4], width: [32, 64, 128, 256, 512], ratio: [1, 2, 4], groupWidth: [8, 16, 32] } as const;
export const ANYNET_VARIANTS = ['a', 'b', 'c', 'd', 'e'] as const;
export type AnyNetVariant = (typeof ANYNET_VARIANTS)[number];
const STAGES = 4;

export class AnyNetSpace implements SearchSpace {
  readonly id: string;
  readonly description: string;
  readonly resolution: number;
  readonly classes: number;
  private readonly shareB: boolean;
  private readonly shareG: boolean;

  constructor(
    readonly variant: AnyNetVariant,
    opts: SpaceOptions = {},
  ) {
    this.id = variant === 'a' ? 'anynet' : `anynet-${variant}`;
    this.description = `AnyNetX_${variant.toUpperCase()}: 4 stages of bottleneck blocks, per-stage depth/width${variant === 'a' ? '/ratio/group width' : variant === 'b' ? '/group width, shared ratio' : ', shared ratio and group width'}${variant === 'd' ? ', widths non-decreasing' : variant === 'e' ? ', widths and depths non-decreasing' : ''}`;
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts));
    this.shareB = variant !== 'a';
    this.shareG = variant === 'c' || variant === 'd' || variant === 'e';
  }

  decisions(): Decision[] {
    const out: Decision[] = [];
    const opts = (xs: readonly number[]) => xs.map(String);
    for (let i = 1; i <= STAGES; i++) {
      out.push({ name: `d${i}`, options: opts(ANYNET_GRID.depth) }, { name: `w${i}`, options: opts(ANYNET_GRID.width) });
      if (!this.shareB) out.push({ name: `b${i}`, options: opts(ANYNET_GRID.ratio) });
      if (!this.shareG) out.push({ name: `g${i}`, options: opts(ANYNET_GRID.groupWidth) });
    }
    if (this.shareB) out.push({ name: 'b', options: opts(ANYNET_GRID.ratio) });
    if (this.shareG) out.push({ name: 'g', options: opts(ANYNET_GRID.groupWidth) });
    return out;
  }

  /** The stages a vector describes (no order check). */
  stages(choices: readonly number[]): AnyStage[] {
    const decisions = this.decisions();
    checkChoices(this.id, decisions, choices);
    const at = (name: string) => {
      const i = decisions.findIndex((d) => d.name === name);
      return Number(decisions[i].options[choices[i]]);
    };
    return Array.from({ length: STAGES }, (_, s) => ({
      depth: at(`d${s + 1}`),
      width: at(`w${s + 1}`),
      bot: 1 / (this.shareB ? at('b') : at(`b${s + 1}`)),
      groupWidth: this.shareG ? at('g') : at(`g${s + 1}`),
    }));
  }

  build(choices: readonly number[]): Architecture {
    const stages = this.stages(choices);
    for (let s = 1; s < STAGES; s++) {
      if ((this.variant === 'd' || this.variant === 'e') && stages[s].width < stages[s - 1].width)
        throw new UserError(`${this.id}: widths must not decrease from stage to stage, got ${stages.map((x) => x.width).join('/')}`);
      if (this.variant === 'e' && stages[s].depth < stages[s - 1].depth)
        throw new UserError(`${this.id}: depths must not decrease from stage to stage, got ${stages.map((x) => x.depth).join('/')}`);
    }
    const label = stages.map((s) => `d${s.depth}w${s.width}b${1 / s.bot}g${s.groupWidth}`).join('-');
    const arch = anynetArch(`${this.id}@${this.resolution}:${label}`, stages, { resolution: this.resolution, classes: this.classes, se: 0 });
    return { ...arch, space: { id: this.id, resolution: this.resolution, encoding: [...choices] } };
  }

  /** Uniform over the valid vectors, by rejection. */
  sample(rng: Rng): number[] {
    for (;;) {
      const c = this.decisions().map((d) => rng.int(d.options.length));
      try {
        this.build(c);
        return c;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
      }
    }
  }

  /**
   * A stage's first block sees the previous stage's width at stride 2, its others their own width: every
   * instance comes from one (previous width, width, ratio, group width) per stage, whatever the depths, so the
   * walk is over stage pairs, not over whole vectors.
   */
  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    const { width, ratio, groupWidth } = ANYNET_GRID;
    const combos = [...allVectors([width, width, ratio, groupWidth].map((xs, i) => ({ name: String(i), options: xs.map(String) })))];
    for (let s = 0; s < STAGES; s++)
      for (const [wp, w, b, g] of combos) {
        const prev = width[wp];
        if ((this.variant === 'd' || this.variant === 'e') && width[w] < prev) continue;
        // Stages before s at width `prev` (depth 1), stage s at width w with depth 2; later stages smallest.
        const stages: AnyStage[] = Array.from({ length: STAGES }, (_, i) => ({
          depth: i === s ? 2 : 1,
          width: i < s ? prev : i === s ? width[w] : Math.max(width[w], width[0]),
          bot: 1 / ratio[b],
          groupWidth: groupWidth[g],
        }));
        if (s === 0 && wp > 0) continue; // stage 1 follows the fixed stem
        const arch = anynetArch('walk', stages, { resolution: this.resolution, classes: this.classes, se: 0 });
        collectInstances(seen, arch, ['block']);
      }
    for (const w of width) collectInstances(seen, anynetArch('head', [0, 1, 2, 3].map(() => ({ depth: 1, width: w, bot: 1, groupWidth: 8 })), { resolution: this.resolution, classes: this.classes, se: 0 }), ['stem', 'head']);
    return [...seen.values()];
  }
}

export const createAnyNetSpace = (variant: AnyNetVariant) => (opts: SpaceOptions = {}) => new AnyNetSpace(variant, opts);
