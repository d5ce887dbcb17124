/**
 * Timing one model in an onnxruntime session (and OrtSessionDevice, the class around it), shared by the
 * devices that differ only in runtime flavour and session options (ort-cpu, wasm, cuda): create the
 * session (timed as setupMs), feed the same reproducible inputs every ONNX device uses, run the shared
 * harness, release the session. With the device's `outputs` option at `sliced` (ort-outputs.ts) the model's
 * outputs stay inside the session, as a network's intermediates do.
 */
import { UserError } from '../src/core/errors.js';
import { measure, timedLoop, type BetweenPosition, type MeasureHooks } from './harness.js';
import { median } from 'simple-statistics';
import { REFERENCE_BATCH, REFERENCE_EVERY_BATCH, REFERENCE_WARM_RUNS, type ReferenceBatch, type ReferencedResult } from './reference.js';
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

/** A model kept in one session with its inputs (a timing reference: devices/reference.ts). */
interface KeptSession<S> {
  session: S;
  feeds: Record<string, unknown>;
}

export async function timeInOrtSession<S extends SessionLike, T>(
  device: string,
  ort: OrtFlavour<S, T>,
  sessionOptions: object,
  model: ModelUnderTest,
  protocol: TimingProtocol,
  outputs: OutputMode,
  hooks?: MeasureHooks,
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
      hooks,
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
  /** Timing references, each in one session kept until dispose() (devices/reference.ts), by model key. */
  private references = new Map<string, Promise<KeptSession<SessionLike>>>();

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

  /**
   * `model` in a fresh session, as time() does, with `reference` (kept in one session for the device's
   * life) run REFERENCE_BATCH times before the model's first batch (its warm-up, right after its cold run)
   * and after its last — and before every batch between them with REFERENCE_EVERY_BATCH — each time after
   * `warmRuns` untimed runs (REFERENCE_WARM_RUNS); the reference's median over the timed runs comes back
   * beside the model's figures, and each batch's median with its position.
   */
  async timeWithReference(model: ModelUnderTest, protocol: TimingProtocol, reference: ModelUnderTest, warmRuns = REFERENCE_WARM_RUNS): Promise<ReferencedResult> {
    const ort = this.ort;
    if (!ort) throw new Error(`${this.name}: timeWithReference() called before init()`);
    let kept = this.references.get(reference.key);
    if (!kept) {
      kept = (async () => {
        const session = await ort.InferenceSession.create(await timedBytes(reference.onnx, this.outputMode()), this.sessionOptions() as never);
        const feeds = randomFeeds(ort.Tensor, reference) as Record<string, unknown>;
        for (let i = 0; i < 10; i++) await session.run(feeds);
        return { session, feeds };
      })();
      this.references.set(reference.key, kept);
    }
    const ref = await kept;
    const samples: number[] = [];
    const batches: ReferenceBatch[] = [];
    const between = async (position: BetweenPosition) => {
      // Between the model's own batches only where REFERENCE_EVERY_BATCH says (the first call always, the last always).
      if (position === 'batch' && batches.length && !REFERENCE_EVERY_BATCH) return;
      for (let i = 0; i < warmRuns; i++) await ref.session.run(ref.feeds);
      const batch: number[] = [];
      for (let i = 0; i < REFERENCE_BATCH; i++) {
        const t0 = performance.now();
        await ref.session.run(ref.feeds);
        batch.push(performance.now() - t0);
      }
      samples.push(...batch);
      batches.push({ position, ms: median(batch) });
    };
    const r = await timeInOrtSession(this.name, ort, this.sessionOptions(), model, protocol, this.outputMode(), { between });
    return { ...r, referenceMs: median(samples), batches };
  }

  supports(): true {
    // Every catalog op exports to standard ONNX operators, all of which the CPU, wasm and CUDA EPs implement.
    return true;
  }

  async dispose(): Promise<void> {
    const kept = [...this.references.values()];
    this.references.clear();
    for (const k of kept) await (await k).session.release();
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
