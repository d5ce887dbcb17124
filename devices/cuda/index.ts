/**
 * `cuda`: onnxruntime-node with the CUDA execution provider, timed per session.run with performance.now().
 * Available only where onnxruntime-node's CUDA provider libraries were installed (see binaries.ts).
 *
 * Inputs and outputs live on the CPU (the Node binding has no CUDA-memory tensors), so each sample
 * includes the host→device copy of the inputs and, with outputs=full, the device→host copy of the outputs
 * (outputs=sliced, the default, copies back one element per output: devices/ort-outputs.ts); session.run
 * returns after the CUDA stream is done, so the wall clock covers the kernels.
 */
import type * as Ort from 'onnxruntime-node';
import { DeviceUnavailableError } from '../../src/core/errors.js';
import { hostInfo } from '../host.js';
import { numberOption, optLevelOption, type OrtOptLevel } from '../options.js';
import { LEGACY_OUTPUT_MODE, outputsOption, type OutputMode } from '../ort-outputs.js';
import { findOrtNode } from '../ort-cpu/package.js';
import { tinyAddModel, TINY_INPUT } from '../ort-wasm/tiny-model.js';
import type { Device, DeviceFactory, DeviceInfo, DeviceOptions } from '../types.js';
import { bindingDir, CUDA_INSTALL_HINT, cudaProblem } from './binaries.js';
import { availableWhen, OrtSessionDevice } from '../ort-session.js';

const NAME = 'cuda';

export interface CudaOptions {
  deviceId: number;
  graphOptimizationLevel: OrtOptLevel;
  /** 'sliced': the outputs stay on the device, a Slice of their first element is copied back; 'full': every output copied to the host every run, as before. */
  outputs: OutputMode;
}

export function parseCudaOptions(options: DeviceOptions): CudaOptions {
  return {
    deviceId: numberOption(NAME, options, 'deviceId', 0, { min: 0, integer: true }),
    graphOptimizationLevel: optLevelOption(NAME, options),
    outputs: outputsOption(NAME, options),
  };
}

/** onnxruntime-node and its CUDA provider files, or why not; looks at files only. */
function checkAvailable(): { version: string } | string {
  const found = findOrtNode();
  if (typeof found === 'string') return found;
  return cudaProblem(bindingDir(found.dir)) ?? { version: found.version };
}

export class CudaDevice extends OrtSessionDevice<typeof Ort, CudaOptions> implements Device {
  constructor(options: DeviceOptions = {}) {
    super(NAME, parseCudaOptions(options));
  }

  protected sessionOptions(): Ort.InferenceSession.SessionOptions {
    return {
      executionProviders: [{ name: 'cuda', deviceId: this.options.deviceId }],
      executionMode: 'sequential',
      graphOptimizationLevel: this.options.graphOptimizationLevel,
    };
  }

  protected outputMode(): OutputMode {
    return this.options.outputs;
  }

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const available = checkAvailable();
    if (typeof available === 'string') throw new DeviceUnavailableError(NAME, available);
    try {
      this.ort = await import('onnxruntime-node');
      // The files being there does not mean CUDA 12 / cuDNN 9 load and a GPU answers: run one node to know.
      const probe = await this.ort.InferenceSession.create(await tinyAddModel(), this.sessionOptions());
      await probe.run({ [TINY_INPUT]: new this.ort.Tensor('float32', new Float32Array([1]), [1]) });
      await probe.release();
    } catch (e) {
      throw new DeviceUnavailableError(NAME, `onnxruntime-node's CUDA EP did not start: ${(e as Error).message}`, {
        cause: e,
        hint: `the CUDA 12 runtime, cuBLAS and cuDNN 9 libraries must be on the loader path (LD_LIBRARY_PATH); ${CUDA_INSTALL_HINT}`,
      });
    }
    this.info = {
      device: NAME,
      runtime: 'onnxruntime-node',
      runtimeVersion: this.ort.env.versions?.node ?? available.version,
      ep: 'cuda',
      options: { deviceId: this.options.deviceId, executionMode: 'sequential', graphOptimizationLevel: this.options.graphOptimizationLevel, outputs: this.options.outputs },
      host: hostInfo(),
      timing:
        this.options.outputs === 'sliced'
          ? 'wall clock (performance.now) per session.run, including the host→device copy of the inputs; outputs kept on the device (each returned as a Slice of its first element)'
          : 'wall clock (performance.now) per session.run, including host↔device copies of inputs and outputs',
      warnings: ['onnxruntime keeps some small shape-computing nodes on the CPU beside the CUDA EP; they are inside the timed runs'],
    };
    return this.info;
  }
}

export const cudaFactory = {
  name: NAME,
  options: ['deviceId', 'graphOptimizationLevel', 'outputs'],
  legacyOptions: { outputs: LEGACY_OUTPUT_MODE },
  description: "onnxruntime-node's CUDA EP on an NVIDIA GPU (needs its CUDA provider libraries, CUDA 12, cuDNN 9) (options: deviceId, graphOptimizationLevel, outputs=sliced|full)",
  available: availableWhen(checkAvailable),
  create: (options: DeviceOptions) => new CudaDevice(options),
} satisfies DeviceFactory;
