/**
 * ConformanceRunners over onnxruntime: `ortRunner` works with onnxruntime-node and onnxruntime-web
 * alike (same API); the wasm and webgpu-native devices build theirs from it with their own session
 * options, and `ortCpuRunner` covers ort-cpu (another team's device) with the CPU EP.
 */
import type * as Ort from 'onnxruntime-node';
import { ortCpuSessionOptions, parseOrtCpuOptions } from '../ort-cpu/index.js';
import type { DeviceOptions } from '../types.js';
import { ConformanceSkip, type ConformanceRunner } from './runner.js';
import type { TensorData, TensorType } from './tensor.js';

/** The part of onnxruntime's API a runner uses, shared by onnxruntime-node and onnxruntime-web. */
export interface OrtApi {
  InferenceSession: {
    create(model: Uint8Array, options: object): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { type: string; dims: readonly number[]; data: unknown }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: TensorType, data: TensorData['data'], dims: readonly number[]) => unknown;
}

/**
 * A runner that opens a session per call with `sessionOptions`. `skipReason` turns a session-creation
 * error into a skip (e.g. "the EP lacks this op") instead of a failure.
 */
export function ortRunner(ort: OrtApi, sessionOptions: object, skipReason?: (error: Error) => string | undefined): ConformanceRunner {
  return async (onnx, feeds) => {
    let session: Awaited<ReturnType<OrtApi['InferenceSession']['create']>>;
    try {
      session = await ort.InferenceSession.create(onnx, sessionOptions);
    } catch (e) {
      const skip = skipReason?.(e as Error);
      if (skip) throw new ConformanceSkip(skip);
      throw e;
    }
    try {
      const inputs: Record<string, unknown> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(t.type, t.data, t.dims);
      const outputs = await session.run(inputs);
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(outputs)) out[name] = { type: t.type as TensorType, dims: [...t.dims], data: t.data as TensorData['data'] };
      return out;
    } finally {
      await session.release();
    }
  };
}

/** The ort-cpu device's session options (one thread unless given), the reference the other runtimes are read against. */
export async function ortCpuRunner(options: DeviceOptions = { threads: 1 }): Promise<ConformanceRunner> {
  const ort: typeof Ort = await import('onnxruntime-node');
  return ortRunner(ort, { ...ortCpuSessionOptions(parseOrtCpuOptions(options)), logSeverityLevel: 4 });
}
