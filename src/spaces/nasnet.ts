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
import { UserError } from '../core/errors.js';
import { NASNET_BLOCKS, NASNET_INPUTS, NASNET_OPS, nasnetCellString, parseNasnetCell, type NasnetEdge } from '../core/nasnet-cell.js';
import type { Decision, SpaceOptions } from '../core/space.js';
import { CellSpace } from './cell-space.js';
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

export class NasnetSpace extends CellSpace<NasnetGenotype> {
  readonly id = 'nasnet';
  readonly description: string;
  readonly normalCells: number;
  readonly filters: number;

  constructor(opts: NasnetSpaceOptions = {}) {
    super('nasnet', opts);
    this.normalCells = opts.normalCells ?? 6;
    this.filters = opts.filters ?? 32;
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

  protected network(g: NasnetGenotype, name: string): Architecture {
    return nasnetNetwork(g, { name, resolution: this.resolution, classes: this.classes, normalCells: this.normalCells, filters: this.filters });
  }

  /**
   * A cell's edge ops depend only on its input shape, whether it reduces and which (op, source: h_{i-1}, h_i or a
   * block) pairs it holds (the first cell's h_{i-1} is the 3F-channel stem); everything else (the concat, FactorizedReduce of a concatenated reduction-cell
   * input, the next cells' preprocessing and the head) only on how many states each cell concatenates, m = 1..6,
   * and whether a reduction cell concatenates an input. So: one member per op with every edge that op on sources
   * (0,1), (1,2), (2,3), (3,4), (4,5); and one per pair (m normal, m reduce) of the cells whose blocks read only
   * states 0..6-m (which concatenates exactly m states, an input when m = 6); and one whose normal cell leaves h_{i-1}
   * unused, for the first cell's 1×1 conv-BN of the 3F-channel stem it then concatenates.
   */
  protected coverMembers(): number[][] {
    const chain = (op: number) => Array.from({ length: NASNET_BLOCKS }, (_, j) => [j, j + 1, op, op]).flat();
    const concatOf = (m: number) =>
      Array.from({ length: NASNET_BLOCKS }, (_, j) => {
        const last = NASNET_INPUTS + NASNET_BLOCKS - 1 - m; // the highest state a block reads
        const [a, b] = j === 0 ? [0, Math.min(1, last)] : [Math.min(j + 1, last), Math.min(j + 1, last)];
        return [a, b, 0, 0];
      }).flat();
    const members = NASNET_OPS.map((_, op) => [...chain(op), ...chain(op)]);
    for (let mn = 1; mn <= 6; mn++) for (let mr = 1; mr <= 6; mr++) members.push([...concatOf(mn), ...concatOf(mr)]);
    members.push([...Array.from({ length: NASNET_BLOCKS }, () => [1, 1, 0, 0]).flat(), ...chain(0)]);
    return members;
  }
}

export function createNasnetSpace(opts: NasnetSpaceOptions = {}): NasnetSpace {
  return new NasnetSpace(opts);
}
