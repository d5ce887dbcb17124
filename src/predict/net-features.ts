/**
 * What an op instance holds beyond its LUT time, for the in-network correction of a prediction: the bytes
 * of its parameters (float32, BatchNorm folded into the conv as the exported model has it), read once per run.
 * Memoised per key: searches ask for the same instances again and again.
 */
import { graphMetrics } from '../core/graph/metrics.js';
import { opKey } from '../core/keys.js';
import { lowerInstance } from '../core/lower/index.js';
import type { OpInstance } from '../core/ops.js';

const BYTES: Record<string, number> = { f32: 4, f16: 2, i8: 1 };
const memo = new Map<string, number>();

/** The instance's parameter bytes (its lowered graph's parameter count × the dtype's size). */
export function instanceWeightBytes(inst: OpInstance, key = opKey(inst)): number {
  let b = memo.get(key);
  if (b === undefined) {
    b = graphMetrics(lowerInstance(inst)).params * (BYTES[inst.dtype] ?? 4);
    memo.set(key, b);
  }
  return b;
}
