/**
 * `nb201`: the NAS-Bench-201 cell space (Dong & Yang, ICLR 2020), 15,625 cells, of which the 15,284
 * connected ones are built by default (see Nb201SpaceOptions).
 *
 * A cell is a DAG of 4 nodes; each of its 6 edges (1←0, 2←0, 2←1, 3←0, 3←1, 3←2, the benchmark's
 * string order) carries one of 5 ops. The encoding is one op index per edge, in that order, and the
 * architecture name is the benchmark's cell string, so tabular data (src/latency/nb201-data.ts) is
 * indexed by it.
 *
 * Macro net, as in the benchmark: stem conv3x3 → 16 channels, 3 stages of 5 identical cells at
 * C = 16/32/64 with a residual reduction block (stride 2, channels doubled) between stages, then the
 * head. Simplifications: BatchNorm is folded into the preceding conv everywhere (the stem conv's act is
 * 'none' because its BN has no ReLU after it), and the benchmark's lastact (BN + ReLU before the
 * global pool) is left out: the catalog has no standalone activation and its latency is negligible
 * next to the cells.
 */
import { placeLayers, type Architecture, type Layer } from '../core/arch.js';
import { NB201_OPS, lutInstances, nb201CellInstances, nb201CellString, parseNb201Cell } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { spaceInput } from './space-util.js';

/** Edges as [to, from], in the order the cell string lists them (that of src/core/decompose.ts). */
export const NB201_EDGES = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
] as const;

export const NB201_CELLS = NB201_OPS.length ** NB201_EDGES.length;
const STAGE_CHANNELS = [16, 32, 64] as const;
const CELLS_PER_STAGE = 5;

/** Encoding (op index per edge) → the benchmark's cell string, e.g. "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|…|". */
export function encodingToCell(encoding: readonly number[]): string {
  if (encoding.length !== NB201_EDGES.length)
    throw new UserError(`nb201: a choice vector has ${NB201_EDGES.length} entries (one per edge), got ${encoding.length}`);
  encoding.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= NB201_OPS.length) {
      const [to, from] = NB201_EDGES[i];
      throw new UserError(`nb201: edge ${to}<-${from} choice must be an integer in [0, ${NB201_OPS.length - 1}] (${NB201_OPS.join(', ')}), got ${c}`);
    }
  });
  return nb201CellString(encoding.map((c) => NB201_OPS[c]));
}

/** The benchmark's cell string → encoding. Throws a UserError naming what does not fit. */
export function cellToEncoding(cell: string): number[] {
  return parseNb201Cell(cell).edges.map((e) => NB201_OPS.indexOf(e.op));
}

/** False when no path of non-'none' edges leads from the input (node 0) to the output (node 3). */
export function nb201Connected(encoding: readonly number[]): boolean {
  const reached = [true, false, false, false];
  NB201_EDGES.forEach(([to, from], i) => {
    if (encoding[i] !== 0 && reached[from]) reached[to] = true;
  });
  return reached[3];
}

/** Every encoding of the space, in mixed-radix order (edge 1<-0 most significant). */
export function allNb201Encodings(): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < NB201_CELLS; i++) {
    const e: number[] = [];
    for (let d = NB201_EDGES.length - 1, r = i; d >= 0; d--, r = Math.floor(r / NB201_OPS.length)) e[d] = r % NB201_OPS.length;
    out.push(e);
  }
  return out;
}

export interface Nb201SpaceOptions extends SpaceOptions {
  /**
   * Also build the 341 disconnected cells (output unreachable from the input: a constant net, ~10% in
   * the benchmark). Off by default: they are not networks anyone would deploy, yet their near-zero
   * latency would put them on every front.
   */
  includeDisconnected?: boolean;
}

export class Nb201Space implements SearchSpace {
  readonly id = 'nb201';
  readonly description = 'NAS-Bench-201 cell space: 6 edges × {none, skip, conv1x1, conv3x3, avgpool3x3}, 3 stages × 5 cells at C=16/32/64';
  readonly resolution: number;
  readonly classes: number;
  readonly includeDisconnected: boolean;
  private instances?: OpInstance[];

  constructor(opts: Nb201SpaceOptions = {}) {
    this.includeDisconnected = opts.includeDisconnected ?? false;
    // Two stride-2 reductions must leave at least a 2×2 map for the last stage.
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts, { resolution: 32, classes: 10, min: 8, hint: 'the benchmark uses 32 (CIFAR) and 16 (ImageNet16-120)' }));
  }

  decisions(): Decision[] {
    return NB201_EDGES.map(([to, from]) => ({ name: `edge${to}<-${from}`, options: [...NB201_OPS] }));
  }

  build(choices: readonly number[]): Architecture {
    const cell = encodingToCell(choices);
    if (!this.includeDisconnected && !nb201Connected(choices))
      throw new UserError(`nb201: cell ${cell} is disconnected (no path of non-none edges from its input to its output), so the net outputs a constant`, {
        hint: 'the 341 disconnected cells score ~10% in the benchmark; the space leaves them out unless built with includeDisconnected',
      });
    const layers: Layer[] = [{ role: 'stem', spec: { kind: 'conv', cout: STAGE_CHANNELS[0], k: 3, stride: 1, groups: 1, dilation: 1, act: 'none' } }];
    STAGE_CHANNELS.forEach((c, stage) => {
      if (stage > 0) layers.push({ role: 'block', spec: { kind: 'resblock', cout: c, stride: 2 } });
      for (let i = 0; i < CELLS_PER_STAGE; i++) layers.push({ role: 'block', spec: { kind: 'nb201cell', cell } });
    });
    layers.push({ role: 'head', spec: { kind: 'gpool', mode: 'avg' } }, { role: 'head', spec: { kind: 'linear', cout: this.classes, act: 'none' } });
    return {
      name: cell,
      space: { id: this.id, resolution: this.resolution, encoding: [...choices] },
      input: [1, 3, this.resolution, this.resolution],
      dtype: 'f32',
      layers,
    };
  }

  /** Uniform over the cells build() accepts (rejection: 98% of cells are connected). */
  sample(rng: Rng): number[] {
    for (;;) {
      const encoding = NB201_EDGES.map(() => rng.int(NB201_OPS.length));
      if (this.includeDisconnected || nb201Connected(encoding)) return encoding;
    }
  }

  /**
   * Every distinct LUT instance of the space, through the decomposition the predictor uses (cells
   * become edge ops and node sums). Stem, reductions and head never change; a cell's instances depend
   * only on the cell and its input shape, so the union over all cells at the three stage shapes is
   * exact. Computed once per space object.
   */
  allInstances(): OpInstance[] {
    if (this.instances) return this.instances;
    const seen = new Map<string, OpInstance>();
    const add = (inst: OpInstance) => {
      const key = opKey(inst);
      if (!seen.has(key)) seen.set(key, inst);
    };
    const arch = this.build([1, 1, 1, 1, 1, 1]);
    for (const { inst } of lutInstances(arch)) add(inst);
    const cellInputs = new Map(placeLayers(arch).filter((p) => p.layer.spec.kind === 'nb201cell').map((p) => [p.inst.input.join('x'), p.inst.input]));
    for (const encoding of allNb201Encodings()) {
      if (!this.includeDisconnected && !nb201Connected(encoding)) continue;
      const cell = encodingToCell(encoding);
      for (const input of cellInputs.values()) nb201CellInstances(cell, input, arch.dtype).forEach(add);
    }
    this.instances = [...seen.values()];
    return this.instances;
  }
}

export function createNb201Space(opts: Nb201SpaceOptions = {}): Nb201Space {
  return new Nb201Space(opts);
}
