/**
 * Timing one model in an onnxruntime session (and OrtSessionDevice, the class around it), shared by the
 * devices that differ only in runtime flavour and session options (ort-cpu, wasm, cuda): create the
 * session (timed as setupMs), feed the same reproducible inputs every ONNX device uses, run the shared
 * harness, release the session. With the device's `outputs` option at `sliced` (ort-outputs.ts) the model's
 * outputs stay inside the session, as a network's intermediates do.
 */
import { UserError } from '../src/core/errors.js';
import { measure, timedLoop } from './harness.js';
import { randomFeeds, type Float32TensorCtor } from './ort-wasm/feeds.js';
import { timedBytes, type OutputMode } from './ort-outputs.js';
import type { DeviceInfo, ModelUnderTest, TimingProtocol, TimingResult } from './types.js';

interface SessionLike {
  run(feeds: Record<string, unknown>): Promise<unknown>;
  release(): Promise<void>;
}

/** The parts of onnxruntime-node / onnxruntime-web this needs (their classes differ, the shapes do not). */
export interface OrtFlavour<S extends SessionLike, T> {
  InferenceSession: { create(model: Uint8Array, options: never): Promise<S> };
  Tensor: Float32TensorCtor<T>;
}

export async function timeInOrtSession<S extends SessionLike, T>(
  device: string,
  ort: OrtFlavour<S, T>,
  sessionOptions: object,
  model: ModelUnderTest,
  protocol: TimingProtocol,
  outputs: OutputMode,
): Promise<TimingResult> {
  const bytes = await timedBytes(model.onnx, outputs);
  const t0 = performance.now();
  let session: S;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions as never);
  } catch (e) {
    throw new UserError(`${device}: cannot load model '${model.key}' (${model.onnx.byteLength} bytes): ${(e as Error).message}`, {
      cause: e,
      hint: 'the bytes must be a valid ONNX model; re-export it or check the exporter',
    });
  }
  const setupMs = performance.now() - t0;
  try {
    const feeds = randomFeeds(ort.Tensor, model) as Record<string, unknown>;
    const { stats, coldMs } = await measure(
      timedLoop(() => session.run(feeds)),
      protocol,
    );
    return { stats, coldMs, setupMs };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new Error(`${device}: running '${model.key}' failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await session.release();
  }
}

/**
 * What the session-per-model devices (ort-cpu, ort-wasm, cuda) share beyond init(), which loads `ort`
 * and fills `info`: their parsed options, time() in a fresh session with the device's session options,
 * supports() and dispose(). dispose() drops the references only: the runtime module stays loaded (the
 * wasm runtime cannot be restarted in a process).
 */
export abstract class OrtSessionDevice<R extends OrtFlavour<SessionLike, unknown>, O> {
  protected ort?: R;
  protected info?: DeviceInfo;

  constructor(
    readonly name: string,
    protected readonly options: O,
  ) {}

  protected abstract sessionOptions(): object;

  /** Whether a model's outputs stay inside the session (the device's `outputs` option, recorded in DeviceInfo.options). */
  protected abstract outputMode(): OutputMode;

  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    const ort = this.ort;
    if (!ort) throw new Error(`${this.name}: time() called before init()`);
    return timeInOrtSession(this.name, ort, this.sessionOptions(), model, protocol, this.outputMode());
  }

  supports(): true {
    // Every catalog op exports to standard ONNX operators, all of which the CPU, wasm and CUDA EPs implement.
    return true;
  }

  async dispose(): Promise<void> {
    this.ort = undefined;
    this.info = undefined;
  }
}

/** A factory's available(): true, or the string `check` returns (why not, and how to fix it). */
export const availableWhen =
  (check: () => object | string): (() => Promise<true | string>) =>
  async () => {
    const found = check();
    return typeof found === 'string' ? found : true;
  };
