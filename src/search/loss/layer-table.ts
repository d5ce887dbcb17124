/**
 * A layer-wise latency table: L[layer][option] in ms, the LUT latency of each option of each searchable
 * layer, plus the constant part every architecture pays (the LUT's session overhead and the layers no
 * decision touches: stem, head). It is what a differentiable latency loss needs: with it,
 * latency(choices) = constantMs + Σ_l L[l][choices[l]] exactly as the LUT predictor computes it.
 *
 * Building it from a LUT needs a layer-wise space (src/core/layerwise.ts): one decision per searchable layer,
 * and a layer's input shape must not depend on any choice (ProxylessNAS/FBNet's `mbv2`, whose stage shapes
 * are fixed), plus at most one decision for the head, whose row prices each option's whole head (`fbnet`'s
 * 1984 or 1504 channels: the 1×1 conv, pooling and the classifier on its width).
 * A skip option is either left out of the network (0 ms) or placed as an op (its LUT value, ~0).
 * Spaces whose shapes follow earlier choices (`mnasnet`: a block's input width is the previous block's
 * filter choice) or whose decisions are not layers (`nb201`) have no such table: fromLut says so.
 */
import type { Architecture, PlacedLayer } from '../../core/arch.js';
import { lutInstances } from '../../core/decompose.js';
import { UserError } from '../../core/errors.js';
import { opKey } from '../../core/keys.js';
import { layerwiseView, notLayerwise } from '../../core/layerwise.js';
import type { OpInstance } from '../../core/ops.js';
import type { SearchSpace } from '../../core/space.js';
import type { Lut } from '../../../lut/format.js';
import { MissingEntriesError } from '../../predict/predictor.js';

export interface LayerTableOptions {
  /** Session overhead, ms (a LUT's overhead.median). Default 0. */
  overheadMs?: number;
  /** Latency of the layers no decision changes (stem, head), ms. Default 0. */
  fixedMs?: number;
  /** Layer names; default "layer1", "layer2", ... */
  layers?: string[];
  /** Option labels per layer; default "op0", "op1", ... */
  options?: string[][];
}

export class LayerLatencyTable {
  /** Widest layer's option count: the padded width of the matrices tfjs functions work on. */
  readonly maxOptions: number;

  private constructor(
    /** ms[l][o]: latency of option o at layer l, ms. Rows may differ in length. */
    readonly ms: readonly (readonly number[])[],
    readonly overheadMs: number,
    readonly fixedMs: number,
    readonly layers: readonly string[],
    readonly options: readonly (readonly string[])[],
  ) {
    this.maxOptions = Math.max(...ms.map((row) => row.length));
  }

  /** From a plain matrix (ms), e.g. for tests or a supernet with its own latency numbers. Rows may be ragged. */
  static fromMatrix(ms: readonly (readonly number[])[], opts: LayerTableOptions = {}): LayerLatencyTable {
    if (ms.length === 0) throw new UserError('layer latency table: the matrix needs at least one layer (row)');
    ms.forEach((row, l) => {
      if (row.length === 0) throw new UserError(`layer latency table: layer ${l} has no options; every row needs at least one latency`);
      row.forEach((v, o) => {
        if (!Number.isFinite(v) || v < 0) throw new UserError(`layer latency table: L[${l}][${o}] must be a finite latency ≥ 0 ms, got ${v}`);
      });
    });
    const overheadMs = opts.overheadMs ?? 0;
    const fixedMs = opts.fixedMs ?? 0;
    for (const [name, v] of [['overheadMs', overheadMs], ['fixedMs', fixedMs]] as const)
      if (!Number.isFinite(v) || v < 0) throw new UserError(`layer latency table: ${name} must be a finite latency ≥ 0 ms, got ${v}`);
    const layers = opts.layers ?? ms.map((_, l) => `layer${l + 1}`);
    const options = opts.options ?? ms.map((row) => row.map((_, o) => `op${o}`));
    if (layers.length !== ms.length) throw new UserError(`layer latency table: ${ms.length} rows but ${layers.length} layer names`);
    options.forEach((labels, l) => {
      if (labels.length !== ms[l].length) throw new UserError(`layer latency table: layer ${l} has ${ms[l].length} latencies but ${labels.length} option labels`);
    });
    return new LayerLatencyTable(
      ms.map((row) => [...row]),
      overheadMs,
      fixedMs,
      [...layers],
      options.map((o) => [...o]),
    );
  }

  /** From a LUT (`net` ms per op key, plus overhead.median) and a layer-wise space; see the file comment. */
  static fromLut(lut: Lut, space: SearchSpace): LayerLatencyTable {
    const view = layerwiseView(space, { refuse: (why) => notLayerwise(space.id, 'so it has no layer latency table', why, 'other spaces are predicted whole, by the LUT predictor') });
    const missing = new Map<string, OpInstance>();
    const latencyOfLayers = (arch: Architecture, layers: readonly PlacedLayer[]) => {
      const wanted = new Set(layers.map((p) => p.index));
      let ms = 0;
      for (const { layerIndex, inst } of lutInstances(arch)) {
        if (!wanted.has(layerIndex)) continue;
        const key = opKey(inst);
        const entry = lut.entries[key];
        if (entry) ms += entry.net;
        else missing.set(key, inst);
      }
      return ms;
    };
    const fixedMs = latencyOfLayers(view.base, [...view.stem, ...view.head]);
    // A layer's option costs its one layer (0 when left out); a head decision's option its whole head.
    const ms = view.decisions.map((d) => d.chains.map((chain, o) => (chain.length ? latencyOfLayers(d.archs[o], chain) : 0)));
    if (missing.size) throw new MissingEntriesError(lut.id, [...missing].map(([key, inst]) => ({ key, inst })), lut);
    return LayerLatencyTable.fromMatrix(ms, {
      overheadMs: lut.overhead.median,
      fixedMs,
      layers: view.decisions.map((d) => d.name),
      options: view.decisions.map((d) => d.options),
    });
  }

  /** Everything but the searchable layers: session overhead + fixed layers, ms. */
  get constantMs(): number {
    return this.overheadMs + this.fixedMs;
  }

  /** Latency of one architecture given by its choices (plain numbers, no tensors), ms. */
  latencyOf(choices: readonly number[]): number {
    if (choices.length !== this.ms.length) throw new UserError(`layer latency table: expected ${this.ms.length} choices (one per layer), got ${choices.length}`);
    return choices.reduce((sum, c, l) => {
      if (!Number.isInteger(c) || c < 0 || c >= this.ms[l].length)
        throw new UserError(`layer latency table: ${this.layers[l]} choice must be an integer in [0, ${this.ms[l].length - 1}], got ${c}`);
      return sum + this.ms[l][c];
    }, this.constantMs);
  }
}
