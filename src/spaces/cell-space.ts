/**
 * What the two-cell spaces (`darts`, `nasnet`) share: a member is a normal and a reduction cell, written as two
 * cell strings (its genotype) and stacked by the space's network; the input must survive two reductions; a
 * member's name is `<space>@<resolution>:<normal>/<reduce>`; every LUT instance of the space is the union of
 * the decomposed instances of a few members that the space names (coverMembers), computed once.
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';

export interface CellGenotype {
  normal: string;
  reduce: string;
}

export abstract class CellSpace<G extends CellGenotype> implements SearchSpace {
  abstract readonly id: string;
  abstract readonly description: string;
  readonly resolution: number;
  readonly classes: number;
  private instances?: OpInstance[];

  /** `id` names the space in messages (the subclass's id is not set yet while this runs). */
  constructor(id: string, opts: SpaceOptions) {
    this.resolution = opts.resolution ?? 32;
    this.classes = opts.classes ?? 10;
    // Two reductions (and FactorizedReduce after each) halve an even size: the resolution must be a multiple of 4.
    if (!Number.isInteger(this.resolution) || this.resolution < 4 || this.resolution % 4 !== 0)
      throw new UserError(`${id}: resolution must be a multiple of 4 (two reduction cells halve it exactly), got ${opts.resolution}`, { hint: 'e.g. --resolution 32 (CIFAR-10, the default) or 64' });
    if (!Number.isInteger(this.classes) || this.classes < 1) throw new UserError(`${id}: classes must be a positive integer, got ${opts.classes}`);
  }

  abstract decisions(): Decision[];
  /** The two cell strings of a choice vector (checked against the decisions). */
  abstract genotype(choices: readonly number[]): G;
  /** The network of two cells, named `name`. */
  protected abstract network(genotype: G, name: string): Architecture;
  /** Choice vectors of members whose decomposed instances together are every instance of the space. */
  protected abstract coverMembers(): number[][];

  build(choices: readonly number[]): Architecture {
    const g = this.genotype(choices);
    const arch = this.network(g, `${this.id}@${this.resolution}:${g.normal}/${g.reduce}`);
    return { ...arch, space: { id: this.id, resolution: this.resolution, encoding: [...choices] } };
  }

  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }

  /** Every LUT instance of the space, through the decomposition the predictor uses (a cell is its edge ops, combine sums and concat). */
  allInstances(): OpInstance[] {
    if (this.instances) return this.instances;
    const seen = new Map<string, OpInstance>();
    for (const choices of this.coverMembers()) for (const { inst } of lutInstances(this.build(choices))) seen.set(opKey(inst), inst);
    this.instances = [...seen.values()];
    return this.instances;
  }
}
