/**
 * `darts`: the DARTS cell space (Liu et al., ICLR 2019), searched as discrete architectures. A member is two
 * cells, a normal and a reduction cell; each has 4 intermediate nodes, and node j (2..5) picks two different
 * earlier nodes (the cell inputs c_{k-2} = 0 and c_{k-1} = 1, or nodes 2..j-1) and one of DARTS's 8 ops for
 * each (none, max/avg pool 3×3, skip, sep conv 3×3/5×5, dil conv 3×3/5×5); the cell outputs the
 * concatenation of its 4 nodes. The cells are stacked as in DARTS's evaluation network (darts-net.ts): by
 * default its CIFAR-10 network, 20 cells of C = 36 at 32 px, reductions at 1/3 and 2/3.
 *
 * Encoding, per cell (normal first) and node: the pair of inputs (one option per pair of earlier nodes: 1,
 * 3, 6 and 10 options for nodes 2..5), then the op on the lower-numbered input and the op on the other. Every
 * vector is a valid cell, so mutation, crossover and the RL controller work on it as on any space. DARTS-V2 is
 * a member (`--published DARTS-V2` is its ImageNet network).
 */
import type { Architecture } from '../core/arch.js';
import { DARTS_INPUTS, DARTS_OPS, DARTS_STEPS, dartsCellString, parseDartsCell, type DartsEdge } from '../core/darts-cell.js';
import type { Decision, SpaceOptions } from '../core/space.js';
import { CellSpace } from './cell-space.js';
import { dartsNetwork, type DartsGenotype } from './darts-net.js';
import { checkChoices } from './space-util.js';

export const DARTS_CELL_TYPES = ['normal', 'reduce'] as const;

/** The pairs of earlier nodes node `to` may read, as [lower, higher]. */
export function inputPairs(to: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let b = 1; b < to; b++) for (let a = 0; a < b; a++) pairs.push([a, b]);
  return pairs;
}

const NODES = Array.from({ length: DARTS_STEPS }, (_, i) => DARTS_INPUTS + i);
const PER_CELL = DARTS_STEPS * 3;

export interface DartsSpaceOptions extends SpaceOptions {
  /** Cells in the network (default 20, DARTS's CIFAR-10 network). */
  cells?: number;
  /** C, the node channels of the first cells (default 36). */
  channels?: number;
}

export class DartsSpace extends CellSpace<DartsGenotype> {
  readonly id = 'darts';
  readonly description: string;
  readonly cells: number;
  readonly channels: number;

  constructor(opts: DartsSpaceOptions = {}) {
    super('darts', opts);
    this.cells = opts.cells ?? 20;
    this.channels = opts.channels ?? 36;
    this.description = `DARTS cell space: normal and reduction cells of 4 nodes × 2 inputs × 8 ops, ${this.cells} cells at C=${this.channels}`;
  }

  decisions(): Decision[] {
    return DARTS_CELL_TYPES.flatMap((cell) =>
      NODES.flatMap((to) => [
        { name: `${cell}.node${to}.inputs`, options: inputPairs(to).map(([a, b]) => `${a}+${b}`) },
        { name: `${cell}.node${to}.op_a`, options: [...DARTS_OPS] },
        { name: `${cell}.node${to}.op_b`, options: [...DARTS_OPS] },
      ]),
    );
  }

  /** The two cell strings of a choice vector. */
  genotype(choices: readonly number[]): DartsGenotype {
    checkChoices(this.id, this.decisions(), choices);
    const cell = (offset: number) =>
      dartsCellString(
        NODES.map((to, i): DartsEdge[] => {
          const [pair, opA, opB] = choices.slice(offset + 3 * i, offset + 3 * i + 3);
          const [a, b] = inputPairs(to)[pair];
          return [
            { op: DARTS_OPS[opA], from: a },
            { op: DARTS_OPS[opB], from: b },
          ];
        }),
      );
    return { normal: cell(0), reduce: cell(PER_CELL) };
  }

  /** The choice vector of a genotype (edges of a node in either order), e.g. DARTS-V2's. Throws a UserError on a bad cell. */
  encode(genotype: DartsGenotype): number[] {
    return [genotype.normal, genotype.reduce].flatMap((cell) =>
      parseDartsCell(cell).flatMap((edges, i) => {
        const [lo, hi] = edges[0].from < edges[1].from ? edges : [edges[1], edges[0]];
        const pair = inputPairs(NODES[i]).findIndex(([a, b]) => a === lo.from && b === hi.from);
        return [pair, DARTS_OPS.indexOf(lo.op), DARTS_OPS.indexOf(hi.op)];
      }),
    );
  }

  protected network(g: DartsGenotype, name: string): Architecture {
    return dartsNetwork(g, { name, resolution: this.resolution, classes: this.classes, cells: this.cells, channels: this.channels, stem: 'cifar' });
  }

  /**
   * Stem, preprocessing and head never change. A cell's parts depend only on its input shape, whether it
   * reduces, and which (op, source is a cell input or not) pairs it holds; the cell with every edge the same
   * op and sources 0/1, 0/2, 1/3, 2/4 holds each op at both, so one such member per op covers the space exactly.
   */
  protected coverMembers(): number[][] {
    const sources = [[0, 1], [0, 2], [1, 3], [2, 4]];
    return Array.from({ length: DARTS_OPS.length - 1 }, (_, i) => i + 1).map((op) =>
      DARTS_CELL_TYPES.flatMap(() =>
        NODES.flatMap((to, i) => {
          const [a, b] = sources[i];
          return [inputPairs(to).findIndex(([x, y]) => x === a && y === b), op, op];
        }),
      ),
    );
  }
}

export function createDartsSpace(opts: DartsSpaceOptions = {}): DartsSpace {
  return new DartsSpace(opts);
}

