/**
 * The latency table of DARTS's relaxed cells, from a LUT of the `darts` space: L[e][o], the LUT latency of
 * op o on edge e of the normal cell (rows 0..13) or the reduction cell (rows 14..27), summed over every cell
 * of that type in the space's network (the network the derived cells go into, at the space's resolution
 * and size: not the smaller search network). The constant part is the session overhead, the stem, head and
 * preprocessing layers, and each cell's node sums and concat. Then, with the LayerLatencyTable functions FBNet
 * and ProxylessNAS use,
 *
 *   E[LAT](α) = constant + Σ_e Σ_o softmax(α_e)_o · L[e][o]           (`none` costs 0)
 *
 * is the expected latency of the relaxed cells, and a derived genotype's latency, constant + Σ over its 8
 * kept edges per cell type, is exactly the LUT predictor's (derivedLatency).
 */
import { placeLayers } from '../../core/arch.js';
import { DARTS_INPUTS, DARTS_OPS, parseDartsCell } from '../../core/darts-cell.js';
import { lutInstances } from '../../core/decompose.js';
import { UserError } from '../../core/errors.js';
import { opKey } from '../../core/keys.js';
import { instance, type OpInstance, type Shape } from '../../core/ops.js';
import type { DartsCellSpec } from '../../core/specs.js';
import type { Lut } from '../../../lut/format.js';
import { MissingEntriesError } from '../../predict/predictor.js';
import type { DartsSpace } from '../../spaces/darts.js';
import type { DartsGenotype } from '../../spaces/darts-net.js';
import { LayerLatencyTable } from '../loss/index.js';
import { DARTS_EDGES, dartsEdgeNames } from './darts-supernet.js';
import { dartsEdgeSpec } from '../../core/darts-cell.js';

export function dartsLatencyTable(lut: Lut, space: DartsSpace): LayerLatencyTable {
  // Any member: only the layers' shapes and the constant parts are read (every node of it adds two edges, as derived cells do).
  const base = space.build(space.encode({ normal: SKIPS, reduce: SKIPS }));
  const missing = new Map<string, OpInstance>();
  const ms = (inst: OpInstance) => {
    const key = opKey(inst);
    const e = lut.entries[key];
    if (!e) missing.set(key, inst);
    return e?.net ?? 0;
  };
  const cellLayers = new Set(placeLayers(base).flatMap((p) => (p.layer.spec.kind === 'dartscell' ? [p.index] : [])));
  let fixedMs = 0;
  for (const { layerIndex, inst } of lutInstances(base)) if (!cellLayers.has(layerIndex) || inst.spec.kind === 'sum' || inst.spec.kind === 'concat') fixedMs += ms(inst);
  const n = DARTS_EDGES.length;
  const rows = Array.from({ length: 2 * n }, () => new Array<number>(DARTS_OPS.length).fill(0));
  for (const p of placeLayers(base)) {
    if (p.layer.spec.kind !== 'dartscell') continue;
    const reduce = (p.layer.spec as DartsCellSpec).reduce;
    const input = p.inst.input;
    const reduced: Shape = reduce ? [input[0], input[1], input[2] / 2, input[3] / 2] : input;
    DARTS_EDGES.forEach(({ from }, k) => {
      const stride = reduce && from < DARTS_INPUTS ? 2 : 1;
      DARTS_OPS.forEach((op, o) => {
        const spec = dartsEdgeSpec(op, input[1], stride);
        if (spec) rows[(reduce ? n : 0) + k][o] += ms(instance(spec, from < DARTS_INPUTS ? input : reduced, p.inst.dtype));
      });
    });
  }
  if (missing.size) throw new MissingEntriesError(lut.id, [...missing].map(([key, inst]) => ({ key, inst })), lut);
  if (!(lut.overhead.median >= 0)) throw new UserError(`LUT ${lut.id} has no valid session overhead`);
  return LayerLatencyTable.fromMatrix(rows, { overheadMs: lut.overhead.median, fixedMs, layers: dartsEdgeNames(), options: dartsEdgeNames().map(() => [...DARTS_OPS]) });
}

const SKIPS = '|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|';

/** A genotype's latency from the table: the constant part plus its kept edges (what the LUT predictor gives for space.build of it). */
export function derivedLatency(table: LayerLatencyTable, g: DartsGenotype): number {
  const n = DARTS_EDGES.length;
  let total = table.constantMs;
  [g.normal, g.reduce].forEach((cell, t) =>
    parseDartsCell(cell).forEach((edges, s) => {
      for (const e of edges) {
        const k = DARTS_EDGES.findIndex((x) => x.to === DARTS_INPUTS + s && x.from === e.from);
        total += table.ms[t * n + k][DARTS_OPS.indexOf(e.op)];
      }
    }),
  );
  return total;
}
