/**
 * How long ago, in bytes touched, each byte a unit reads was last touched: its reuse distance, which decides
 * whether the byte is still in the core's caches when the unit reads it.
 *
 * A unit timed alone runs many times in a row: everything it reads was last touched one run of itself ago,
 * so its reuse distance is its own working set (weights + inputs + outputs). Inside the whole file, the same
 * unit reads
 *   - its weights, last touched one run of the whole file ago: the file's footprint (every unit's weights
 *     and outputs);
 *   - each input activation, last touched when its producer wrote it: the bytes the units run in between
 *     touched (their weights and outputs); the file's own input, the run's start.
 * Execution order is the plan's unit order (the optimized graph's topological order, which onnxruntime's
 * sequential executor follows).
 */
import type { OnnxPlan } from './plan.js';

export interface UnitReuse {
  /** What the unit touches per run alone: weights + input and output activations. */
  aloneBytes: number;
  /** Its weights' reuse distance inside the file: the file's footprint per run. */
  fileBytes: number;
  /** Each run-time input of the unit: its bytes and its reuse distance inside the file. */
  inputs: { bytes: number; distance: number }[];
}

const count = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Per unit of the plan, in its order. */
export function unitReuse(plan: Pick<OnnxPlan, 'units' | 'graph'>): UnitReuse[] {
  const { units, graph } = plan;
  const outBytes = units.map((u) => 4 * u.outputs.reduce((t, s) => t + count(s), 0));
  // Bytes touched by the units before position i (weights + outputs): prefix[i].
  const prefix = [0];
  for (const [i, u] of units.entries()) prefix.push(prefix[i] + u.weightBytes + outBytes[i]);
  const fileBytes = prefix[units.length];
  const producer = new Map<string, number>();
  units.forEach((u, i) => {
    for (const n of u.unit.nodes) for (const o of n.outputs) if (o) producer.set(o, i);
  });
  return units.map((u, i) => {
    const inside = new Set(u.unit.nodes.flatMap((n) => n.outputs));
    const seen = new Set<string>();
    const inputs: UnitReuse['inputs'] = [];
    for (const n of u.unit.nodes)
      for (const name of n.inputs) {
        if (!name || inside.has(name) || seen.has(name)) continue;
        seen.add(name);
        const t = graph.tensors.get(name);
        if (!t || t.constant) continue;
        const p = producer.get(name);
        // A graph input (or a tensor no unit produces) was touched at the start of the run.
        const distance = p === undefined ? prefix[i] : prefix[i] - prefix[p + 1];
        inputs.push({ bytes: 4 * count(t.shape), distance });
      }
    const inBytes = inputs.reduce((t, x) => t + x.bytes, 0);
    return { aloneBytes: u.weightBytes + inBytes + outBytes[i], fileBytes, inputs };
  });
}
