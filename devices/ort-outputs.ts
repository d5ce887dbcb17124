/**
 * Where a timed onnxruntime run writes its outputs (device option `outputs`).
 *
 * `session.run(feeds)` makes new output tensors on every run: onnxruntime allocates them and
 * onnxruntime-node 1.30 copies each into a new, zero-filled JS ArrayBuffer (large ones are fresh
 * mmap'd pages, faulted in on every run). A network pays that once, for its final output; a unit timed
 * alone pays it for what is, inside a network, an intermediate tensor written into a buffer the session
 * planned once and reuses. So by default a model is timed as a network runs its intermediates: the first
 * (cold) run makes the outputs, and every later run writes into those same tensors, passed as `fetches`
 * (pre-allocated outputs, which onnxruntime binds instead of allocating). docs/benchmarks.md, "Unit
 * outputs", has the measurements behind this.
 *
 *   reused  the outputs of the cold run are allocated once and passed as fetches to every timed run
 *   fresh   session.run(feeds): new outputs every run (every LUT measured before the option existed)
 */
import { performance } from 'node:perf_hooks';
import { timedLoop, type SampleSource } from './harness.js';

export const OUTPUT_MODES = ['reused', 'fresh'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** What LUTs measured before the option was recorded did (lut/validate.ts fills it in for them). */
export const LEGACY_OUTPUT_MODE: OutputMode = 'fresh';

/** An output tensor as run() returns it (onnxruntime-node and onnxruntime-web alike). */
export interface OutputTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** A Tensor constructor of either flavour, for any numeric type. */
export type AnyTensorCtor<T> = new (type: never, data: never, dims: readonly number[]) => T;

export interface RunnableSession {
  run(feeds: Record<string, unknown>, fetches?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

type TypedArrayCtor = new (length: number) => ArrayBufferView;

/**
 * One new tensor per output of `results`, of the same type and shape, to pass as fetches: every output
 * of the model, so onnxruntime computes all of them (fetching a subset would let it skip the rest).
 */
export function outputBuffers<T>(Tensor: AnyTensorCtor<T>, results: Record<string, unknown>): Record<string, T> {
  const Ctor = Tensor as unknown as new (type: string, data: ArrayBufferView, dims: readonly number[]) => T;
  const fetches: Record<string, T> = {};
  for (const [name, value] of Object.entries(results)) {
    const out = value as OutputTensor;
    if (!ArrayBuffer.isView(out.data))
      throw new Error(`output '${name}' is not a numeric tensor (type ${out.type}): it cannot be pre-allocated; time this model with outputs=fresh`);
    const data = out.data as ArrayBufferView & { length: number };
    fetches[name] = new Ctor(out.type, new (data.constructor as TypedArrayCtor)(data.length), out.dims);
  }
  return fetches;
}

/**
 * The runs of `session` as a SampleSource. `fresh`: session.run(feeds) each time. `reused`: the cold run
 * is session.run(feeds) (the first run after setup, allocation included, as before); its outputs' types and
 * shapes give the tensors every timed run then writes into (session.run(feeds, fetches)), made outside
 * the timed region.
 */
export function sessionRuns<T>(session: RunnableSession, feeds: Record<string, unknown>, mode: OutputMode, Tensor: AnyTensorCtor<T>): SampleSource {
  if (mode === 'fresh') return timedLoop(() => session.run(feeds));
  let fetches: Record<string, T> | undefined;
  const warm = timedLoop(() => session.run(feeds, fetches));
  return {
    async cold() {
      const t0 = performance.now();
      const results = await session.run(feeds);
      const ms = performance.now() - t0;
      fetches = outputBuffers(Tensor, results);
      return ms;
    },
    samples(count: number) {
      if (!fetches) throw new Error('sessionRuns: samples() before cold(): the outputs to reuse come from the cold run');
      return warm.samples(count);
    },
  };
}
