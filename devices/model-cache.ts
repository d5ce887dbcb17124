/**
 * Built models kept between their rounds. Building a network (export to ONNX with its weights) can cost
 * as much as timing it, so a model is kept from its first round to its last; but with whole networks
 * interleaved with a LUT's entries every network is built in the first pass and would all sit in memory
 * at once (hundreds of 128 px nets: gigabytes). So models are kept while their ONNX bytes fit a budget,
 * and one over it is built again for each round (export is deterministic: the same bytes).
 */
import type { ModelUnderTest } from './types.js';

/** Bytes of ONNX kept at most (256 MiB: ~25 random mbv2@128 networks). */
export const MODEL_CACHE_BYTES = 256 * 2 ** 20;

export class ModelCache {
  private readonly kept = new Map<string, ModelUnderTest>();
  private bytes = 0;

  constructor(private readonly budget = MODEL_CACHE_BYTES) {}

  /** The model of `key`: kept, or built (and kept when it fits). */
  get(key: string, build: () => ModelUnderTest): ModelUnderTest {
    const hit = this.kept.get(key);
    if (hit) return hit;
    const model = build();
    if (this.bytes + model.onnx.byteLength <= this.budget) {
      this.kept.set(key, model);
      this.bytes += model.onnx.byteLength;
    }
    return model;
  }

  has(key: string): boolean {
    return this.kept.has(key);
  }

  /** After a model's last round. */
  delete(key: string): void {
    const m = this.kept.get(key);
    if (!m) return;
    this.bytes -= m.onnx.byteLength;
    this.kept.delete(key);
  }
}
