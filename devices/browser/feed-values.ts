/**
 * The input values a browser page times a model on: the same reproducible values every ONNX device
 * uses (devices/ort-wasm/feeds.ts), as raw float32 arrays that the page fetches as bytes.
 */
import { randomFeeds } from '../ort-wasm/feeds.js';
import type { ModelUnderTest } from '../types.js';

/** Stands in for a runtime's Tensor class so randomFeeds hands over the values it made. */
class Values {
  constructor(
    readonly type: 'float32',
    readonly data: Float32Array,
    readonly dims: readonly number[],
  ) {}
}

/** Input name -> its values as bytes (little-endian float32). */
export function feedBytes(model: ModelUnderTest): Record<string, Uint8Array> {
  const feeds = randomFeeds(Values, model);
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}
