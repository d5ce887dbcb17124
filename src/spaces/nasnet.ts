/**
 * `nasnet`: the NASNet search space (Zoph et al., CVPR 2018), searched as discrete architectures. A member is two
 * cells, a normal and a reduction cell; each has B = 5 blocks, and block j (state 2..6) picks two hidden states
 * (the cell inputs h_{i-1} = 0 and h_i = 1, or blocks 2..j-1; the same state may be picked twice) and one of
 * NASNet's 13 ops for each, combined by addition; the cell outputs the concatenation of the states no block
 * reads. The cells are stacked as NASNet's CIFAR network (nasnet-net.ts): by default N = 6 normal cells per
 * stage and F = 32 filters (NASNet-A 6@768's configuration) at 32 px.
 *
 * Encoding, per cell (normal first) and block: the first input, the second input, the op on the first and the op
 * on the second: the decisions NASNet's RNN controller makes, in its order. Every vector is a valid cell, so
 * mutation, crossover and the RL controller work on it as on any space.
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import { NASNET_BLOCKS, NASNET_INPUTS, NASNET_OPS, nasnetCellString, parseNasnetCell, type NasnetEdge } from '../core/nasnet-cell.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { nasnetNetwork, type NasnetGenotype } from './nasnet-net.js';
import { checkChoices } from './space-util.js';

export const NASNET_CELL_TYPES = ['normal', 'reduce'] as const;
const PER_CELL = NASNET_BLOCKS * 4;
const states = (to: number) => Array.from({ length: to }, (_, s) => String(s));

export interface NasnetSpaceOptions extends SpaceOptions {
  /** N, normal cells per stage (default 6). */
  normalCells?: number;
  /** F, the filters of the first stage (default 32). */
  filters?: number;
}

export class NasnetSpace implements SearchSpace {
  readonly id = 'nasnet';
  readonly description: string;
  readonly resolution: number;
  readonly classes: number;
  readonly normalCells: number;
  readonly filters: number;
  private instances?: OpInstance[];

  constructor(opts: NasnetSpaceOptions = {}) {
    this.resolution = opts.resolution ?? 32;
    this.classes = opts.classes ?? 10;
    this.normalCells = opts.normalCells ?? 6;
    this.filters = opts.filters ?? 32;
    // Two reductions (and FactorizedReduce after each) halve an even size: the resolution must be a multiple of 4.
    if (!Number.isInteger(this.resolution) || this.resolution < 4 || this.resolution % 4 !== 0)
      throw new UserError(`nasnet: resolution must be a multiple of 4 (two reduction cells halve it exactly), got ${opts.resolution}`, { hint: 'e.g. --resolution 32 (CIFAR-10, the default) or 64' });
    if (!Number.isInteger(this.classes) || this.classes < 1) throw new UserError(`nasnet: classes must be a positive integer, got ${opts.classes}`);
    this.description = `NASNet cell space: normal and reduction cells of 5 blocks × 2 inputs × 13 ops, N=${this.normalCells} per stage at F=${this.filters}`;
  }

  decisions(): Decision[] {
    return NASNET_CELL_TYPES.flatMap((cell) =>
      Array.from({ length: NASNET_BLOCKS }, (_, j) => {
        const to = NASNET_INPUTS + j;
        return [
          { name: `${cell}.block${to}.input_a`, options: states(to) },
          { name: `${cell}.block${to}.input_b`, options: states(to) },
          { name: `${cell}.block${to}.op_a`, options: [...NASNET_OPS] },
          { name: `${cell}.block${to}.op_b`, options: [...NASNET_OPS] },
        ];
      }).flat(),
    );
  }

  /** The two cell strings of a choice vector. */
  genotype(choices: readonly number[]): NasnetGenotype {
    checkChoices(this.id, this.decisions(), choices);
    const cell = (offset: number) =>
      nasnetCellString(
        Array.from({ length: NASNET_BLOCKS }, (_, j): NasnetEdge[] => {
          const [a, b, opA, opB] = choices.slice(offset + 4 * j, offset + 4 * j + 4);
          return [
            { op: NASNET_OPS[opA], from: a },
            { op: NASNET_OPS[opB], from: b },
          ];
        }),
      );
    return { normal: cell(0), reduce: cell(PER_CELL) };
  }

  /** The choice vector of a genotype whose cells concatenate their unused states. Throws a UserError on a bad cell or another concat. */
  encode(genotype: NasnetGenotype): number[] {
    return [genotype.normal, genotype.reduce].flatMap((cell) => {
      if (cell.includes('>') && nasnetCellString(parseNasnetCell(cell).blocks) !== cell.split('>')[0])
        throw new UserError(`nasnet: the cell '${cell}' lists its own concatenated states; the space concatenates the unused ones`);
      return parseNasnetCell(cell).blocks.flatMap(([a, b]) => [a.from, b.from, NASNET_OPS.indexOf(a.op), NASNET_OPS.indexOf(b.op)]);
    });
  }

  build(choices: readonly number[]): Architecture {
    const g = this.genotype(choices);
    const name = `${this.id}@${this.resolution}:${g.normal}/${g.reduce}`;
    const arch = nasnetNetwork(g, { name, resolution: this.resolution, classes: this.classes, normalCells: this.normalCells, filters: this.filters });
    return { ...arch, space: { id: this.id, resolution: this.resolution, encoding: [...choices] } };
  }

  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }

  /**
   * Every LUT instance of the space, through the decomposition the predictor uses (a cell is its edge ops, block
   * sums, FactorizedReduce of a concatenated reduction-cell input, and concat). A cell's edge ops depend only on
   * its input shape, whether it reduces and which (op, source is a cell input or not) pairs it holds; everything
   * else (the concat, the next cells' preprocessing and the head) only on how many states each cell
   * concatenates, m = 1..6, and whether a reduction cell concatenates an input. So: one member per op with
   * every edge that op on sources (0,1), (1,2), (2,3), (3,4), (4,5); and one per pair (m normal, m reduce) of
   * the cells whose blocks read only states 0..6-m (which concatenates exactly m states, an input when m = 6).
   */
  allInstances(): OpInstance[] {
    if (this.instances) return this.instances;
    const seen = new Map<string, OpInstance>();
    const add = (cells: number[][]) => {
      for (const { inst } of lutInstances(this.build([...cells[0], ...cells[1]]))) seen.set(opKey(inst), inst);
    };
    const chain = (op: number) => Array.from({ length: NASNET_BLOCKS }, (_, j) => [j, j + 1, op, op]).flat();
    for (let op = 0; op < NASNET_OPS.length; op++) add([chain(op), chain(op)]);
    const concatOf = (m: number) =>
      Array.from({ length: NASNET_BLOCKS }, (_, j) => {
        const last = NASNET_INPUTS + NASNET_BLOCKS - 1 - m; // the highest state a block reads
        const [a, b] = j === 0 ? [0, Math.min(1, last)] : [Math.min(j + 1, last), Math.min(j + 1, last)];
        return [a, b, 0, 0];
      }).flat();
    for (let mn = 1; mn <= 6; mn++) for (let mr = 1; mr <= 6; mr++) add([concatOf(mn), concatOf(mr)]);
    this.instances = [...seen.values()];
    return this.instances;
  }
}

export function createNasnetSpace(opts: NasnetSpaceOptions = {}): NasnetSpace {
  return new NasnetSpace(opts);
}
