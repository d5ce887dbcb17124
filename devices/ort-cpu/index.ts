/**
 * `ort-cpu`: onnxruntime-node with the CPU execution provider, timed per session.run with
 * performance.now(), the model's outputs kept inside the session (option outputs=sliced, the default;
 * devices/ort-outputs.ts says why). The runtime is imported inside init(), so registering this device is free.
 */
import type * as Ort from 'onnxruntime-node';
import { DeviceUnavailableError } from '../../src/core/errors.js';
import { hostInfo } from '../host.js';
import { numberOption, optLevelOption, type OrtOptLevel } from '../options.js';
import { LEGACY_OUTPUT_MODE, outputsOption, type OutputMode } from '../ort-outputs.js';
import type { Device, DeviceFactory, DeviceInfo, DeviceOptions } from '../types.js';
import { findOrtNode } from './package.js';
import { availableWhen, OrtSessionDevice } from '../ort-session.js';

const NAME = 'ort-cpu';

export interface OrtCpuOptions {
  /**
   * intraOpNumThreads; 0 lets onnxruntime choose (one per physical core it detects). On the 2-vCPU development VM it
   * chose one: no intra-op worker thread, the speed of threads=1 (docs/benchmarks.md, issue 13 at 224 px).
   */
  threads: number;
  graphOptimizationLevel: OrtOptLevel;
  /** 'sliced': the outputs stay inside the session, a Slice of their first element is returned; 'full': every output copied out every run, as before. */
  outputs: OutputMode;
}

export function parseOrtCpuOptions(options: DeviceOptions): OrtCpuOptions {
  return {
    threads: numberOption(NAME, options, 'threads', 0, { min: 0, integer: true }),
    graphOptimizationLevel: optLevelOption(NAME, options),
    outputs: outputsOption(NAME, options),
  };
}

/** The session options every ort-cpu measurement uses (bench/overhead.ts builds its bare loop from them too). */
export function ortCpuSessionOptions(options: Pick<OrtCpuOptions, 'threads' | 'graphOptimizationLevel'>): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads,
    // One op at a time: the models are chains, and parallel branches would make LUT entries
    // depend on what else runs beside them.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimizationLevel,
  };
}

export class OrtCpuDevice extends OrtSessionDevice<typeof Ort, OrtCpuOptions> implements Device {
  constructor(options: DeviceOptions = {}) {
    super(NAME, parseOrtCpuOptions(options));
  }

  protected sessionOptions(): Ort.InferenceSession.SessionOptions {
    return ortCpuSessionOptions(this.options);
  }

  protected outputMode(): OutputMode {
    return this.options.outputs;
  }

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const found = findOrtNode();
    if (typeof found === 'string') throw new DeviceUnavailableError(NAME, found);
    try {
      this.ort = await import('onnxruntime-node');
    } catch (e) {
      throw new DeviceUnavailableError(NAME, `onnxruntime-node failed to load: ${(e as Error).message}`, { cause: e });
    }
    const s = ortCpuSessionOptions(this.options);
    this.info = {
      device: NAME,
      runtime: 'onnxruntime-node',
      runtimeVersion: this.ort.env.versions?.node ?? found.version,
      ep: 'cpu',
      options: {
        threads: this.options.threads,
        interOpThreads: s.interOpNumThreads!,
        executionMode: s.executionMode!,
        graphOptimizationLevel: this.options.graphOptimizationLevel,
        outputs: this.options.outputs,
      },
      host: hostInfo(),
      timing:
        this.options.outputs === 'sliced'
          ? 'wall clock (performance.now) per session.run, inputs created once, outputs kept in the session (each returned as a Slice of its first element)'
          : 'wall clock (performance.now) per session.run, inputs created once, every output copied out every run',
    };
    if (this.options.threads === 0)
      this.info.warnings = ['threads=0: onnxruntime picks the thread count (one per physical core it detects, which can be fewer than the CPUs: one on a 2-vCPU VM); pass threads=N to fix it'];
    return this.info;
  }
}

export const ortCpuFactory = {
  name: NAME,
  options: ['threads', 'graphOptimizationLevel', 'outputs'],
  legacyOptions: { outputs: LEGACY_OUTPUT_MODE },
  // Measured on the development VM: docs/benchmarks.md, "A timing reference interleaved in every round".
  defaultReference: 'mbv2net64',
  description: 'onnxruntime-node, CPU execution provider (options: threads, graphOptimizationLevel, outputs=sliced|full)',
  available: availableWhen(findOrtNode),
  create: (options: DeviceOptions) => new OrtCpuDevice(options),
} satisfies DeviceFactory;
