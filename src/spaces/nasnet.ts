/**
 * `nasnet`: the NASNet search space (Zoph et al., CVPR 2018), searched as discrete architectures. A member is two
 * cells, a normal and a reduction cell; each has B = 5 blocks, and block j (state 2..6) picks two hidden states
 * (the cell inputs h_{i-1} = 0 and h_i = 1, or blocks 2..j-1; the same state may be picked twice), one of
 * NASNet's 13 ops for each, and how to combine the two (element-wise addition, or concatenation along the
 * filters: a 2F-channel state, which later ops and the cell output bring back as TF slim's code does,
 * src/core/nasnet-cell.ts); the cell outputs the concatenation of the states no block reads. The cells are stacked
 * as NASNet's CIFAR network (nasnet-net.ts): by default N = 6 normal cells per stage and F = 32 filters (NASNet-A
 * 6@768's configuration) at 32 px.
 *
 * Encoding, per cell (normal first) and block: the first input, the second input, the op on the first, the op on
 * the second and the combine (add = 0, concat = 1): the five decisions NASNet's RNN controller makes, in its
 * order. Every vector is a valid cell, so mutation, crossover and the RL controller work on it as on any space.
 */
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { NASNET_BLOCKS, NASNET_COMBINES, NASNET_INPUTS, NASNET_OPS, nasnetCellString, parseNasnetCell, type NasnetEdge } from '../core/nasnet-cell.js';
import type { Decision, SpaceOptions } from '../core/space.js';
import { CellSpace } from './cell-space.js';
import { nasnetNetwork, type NasnetGenotype } from './nasnet-net.js';
import { checkChoices } from './space-util.js';

export const NASNET_CELL_TYPES = ['normal', 'reduce'] as const;
/** Decisions per block: input a, input b, op a, op b, combine. */
const PER_BLOCK = 5;
const PER_CELL = NASNET_BLOCKS * PER_BLOCK;
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
    this.description = `NASNet cell space: normal and reduction cells of 5 blocks × 2 inputs × 13 ops, added or concatenated, N=${this.normalCells} per stage at F=${this.filters}`;
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
          { name: `${cell}.block${to}.combine`, options: [...NASNET_COMBINES] },
        ];
      }).flat(),
    );
  }

  /** The two cell strings of a choice vector. */
  genotype(choices: readonly number[]): NasnetGenotype {
    checkChoices(this.id, this.decisions(), choices);
    const cell = (offset: number) => {
      const block = (j: number) => choices.slice(offset + PER_BLOCK * j, offset + PER_BLOCK * (j + 1));
      const blocks = Array.from({ length: NASNET_BLOCKS }, (_, j): NasnetEdge[] => {
        const [a, b, opA, opB] = block(j);
        return [
          { op: NASNET_OPS[opA], from: a },
          { op: NASNET_OPS[opB], from: b },
        ];
      });
      return nasnetCellString(blocks, Array.from({ length: NASNET_BLOCKS }, (_, j) => NASNET_COMBINES[block(j)[4]]));
    };
    return { normal: cell(0), reduce: cell(PER_CELL) };
  }

  /**
   * Before each block chose how to combine its two ops, a vector held 4 decisions per block (inputs, ops) and
   * every block added: such a vector is read with the combine decision of each block set to add.
   */
  readOlderEncoding(choices: readonly number[]): { choices: number[]; note: string } | undefined {
    const OLD_PER_BLOCK = PER_BLOCK - 1;
    if (choices.length !== NASNET_CELL_TYPES.length * NASNET_BLOCKS * OLD_PER_BLOCK) return undefined;
    const add = NASNET_COMBINES.indexOf('add');
    const blocks = Array.from({ length: choices.length / OLD_PER_BLOCK }, (_, j) => [...choices.slice(OLD_PER_BLOCK * j, OLD_PER_BLOCK * (j + 1)), add]);
    return {
      choices: blocks.flat(),
      note: `an encoding of ${choices.length} decisions, from before each block chose add or concat: read with every block adding, as it meant then`,
    };
  }

  /** The choice vector of a genotype whose cells concatenate their unused states. Throws a UserError on a bad cell or another concat. */
  encode(genotype: NasnetGenotype): number[] {
    return [genotype.normal, genotype.reduce].flatMap((cell) => {
      const { blocks, combines, concat } = parseNasnetCell(cell);
      if (cell.includes('>') && nasnetCellString(blocks, combines, concat).includes('>'))
        throw new UserError(`nasnet: the cell '${cell}' lists its own concatenated states; the space concatenates the unused ones`);
      return blocks.flatMap(([a, b], j) => [a.from, b.from, NASNET_OPS.indexOf(a.op), NASNET_OPS.indexOf(b.op), NASNET_COMBINES.indexOf(combines[j])]);
    });
  }

  protected network(g: NasnetGenotype, name: string): Architecture {
    return nasnetNetwork(g, { name, resolution: this.resolution, classes: this.classes, normalCells: this.normalCells, filters: this.filters });
  }

  /**
   * A cell's edge ops depend only on its input shape, whether it reduces and which (op, source: h_{i-1}, h_i or a
   * block, and that block's width: F when it adds, 2F when it concatenates) pairs it holds (the first cell's
   * h_{i-1} is the 3F-channel stem); everything else (the concat, the FactorizedReduce or 1×1 conv bringing a
   * concatenated state to the last block's shape, the next cells' preprocessing and the head) only on how many
   * states each cell concatenates, m = 1..6, the last block's combine, whether the other concatenated blocks have
   * another width, and whether a reduction cell concatenates an input. So: one member per op and combine with every
   * edge that op on sources (0,1), (1,2), (2,3), (3,4), (4,5) and every block combined alike; one per
   * (m normal, last combine, m reduce, last combine) of the cells whose blocks read only states 0..6-m (which
   * concatenates exactly m states, an input when m = 6), every other block combined the other way; and one per
   * pair of last combines whose normal cell leaves h_{i-1} unused, for the first cell's 1×1 conv-BN of the
   * 3F-channel stem it then concatenates.
   */
  protected coverMembers(): number[][] {
    const [add, concat] = [NASNET_COMBINES.indexOf('add'), NASNET_COMBINES.indexOf('concat')];
    const other = (c: number) => (c === add ? concat : add);
    const lastBlock = NASNET_BLOCKS - 1;
    const chain = (op: number, c: number) => Array.from({ length: NASNET_BLOCKS }, (_, j) => [j, j + 1, op, op, c]).flat();
    const concatOf = (m: number, last: number) =>
      Array.from({ length: NASNET_BLOCKS }, (_, j) => {
        const top = NASNET_INPUTS + NASNET_BLOCKS - 1 - m; // the highest state a block reads
        const [a, b] = j === 0 ? [0, Math.min(1, top)] : [Math.min(j + 1, top), Math.min(j + 1, top)];
        return [a, b, 0, 0, j === lastBlock ? last : other(last)];
      }).flat();
    const combines = [add, concat];
    const members = combines.flatMap((c) => NASNET_OPS.map((_, op) => [...chain(op, c), ...chain(op, c)]));
    for (let mn = 1; mn <= 6; mn++)
      for (let mr = 1; mr <= 6; mr++) for (const ln of combines) for (const lr of combines) members.push([...concatOf(mn, ln), ...concatOf(mr, lr)]);
    for (const ln of combines)
      for (const lr of combines) members.push([...Array.from({ length: NASNET_BLOCKS }, (_, j) => [1, 1, 0, 0, j === lastBlock ? ln : other(ln)]).flat(), ...chain(0, lr)]);
    return members;
  }
}

export function createNasnetSpace(opts: NasnetSpaceOptions = {}): NasnetSpace {
  return new NasnetSpace(opts);
}
