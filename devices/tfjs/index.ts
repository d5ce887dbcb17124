/**
 * `tfjs-cpu`, `tfjs-wasm`, `tfjs-node`: TensorFlow.js backends in Node. They do not run ONNX: each
 * model is rebuilt as tfjs ops from its op instances (model.ts), NHWC, BatchNorm folded, relu/relu6
 * fused into the conv and matMul kernels as tfjs's graph converter does. A sample is one forward
 * pass inside tf.tidy plus `await output.data()`, so a backend that computes lazily or asynchronously
 * is timed until its result is really there.
 */
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import type { OpInstance } from '../../src/core/ops.js';
import { measure, timedLoop } from '../harness.js';
import { hostInfo } from '../host.js';
import { booleanOption } from '../ort-wasm/bool-option.js';
import type { Device, DeviceFactory, DeviceInfo, DeviceOptions, ModelUnderTest, TimingProtocol, TimingResult } from '../types.js';
import { buildTfModel, tfUnsupported } from './model.js';
import { findTfBackend, loadTf, type TfBackend, type TfRuntime } from './runtime.js';

const BACKENDS = { 'tfjs-cpu': 'cpu', 'tfjs-wasm': 'wasm', 'tfjs-node': 'tensorflow' } as const satisfies Record<string, TfBackend>;
export type TfjsDeviceName = keyof typeof BACKENDS;

export class TfjsDevice implements Device {
  private readonly backend: TfBackend;
  private readonly simd: boolean;
  private runtime?: TfRuntime;
  private info?: DeviceInfo;

  constructor(
    readonly name: TfjsDeviceName,
    options: DeviceOptions = {},
  ) {
    this.backend = BACKENDS[name];
    // Only the wasm backend has a SIMD switch; the option is refused elsewhere rather than ignored.
    if (this.backend !== 'wasm' && options.simd !== undefined) throw new UserError(`device '${name}' has no 'simd' option (tfjs-wasm has)`);
    this.simd = booleanOption(name, options, 'simd', true);
  }

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const found = findTfBackend(this.backend);
    if (found !== true) throw new DeviceUnavailableError(this.name, found);
    try {
      this.runtime = await loadTf(this.backend, { simd: this.simd });
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new DeviceUnavailableError(this.name, `the tfjs '${this.backend}' backend did not start: ${(e as Error).message}`, { cause: e });
    }
    const warnings: string[] = [];
    if (this.backend === 'wasm' && this.simd && this.runtime.options.simd !== true) warnings.push('simd requested but this Node has no WebAssembly SIMD: the non-SIMD binary runs');
    this.info = {
      device: this.name,
      runtime: this.backend === 'tensorflow' ? '@tensorflow/tfjs-node' : this.backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs',
      runtimeVersion: this.runtime.version,
      ep: this.backend,
      options: { ...this.runtime.options, fusedActivations: 'relu,relu6', batchNorm: 'folded' },
      host: hostInfo(),
      timing: 'wall clock (performance.now) per forward pass in tf.tidy + await data() of the output; weights and inputs built once per model',
    };
    if (warnings.length) this.info.warnings = warnings;
    return this.info;
  }

  supports(inst: OpInstance): true | string {
    const why = tfUnsupported(inst);
    return why === undefined ? true : `${this.name}: ${why}`;
  }

  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    const runtime = this.runtime;
    if (!runtime) throw new Error(`${this.name}: time() called before init()`);
    const { tf } = runtime;
    // tfjs has one active backend per process; another device may have switched it.
    if (tf.getBackend() !== this.backend && !(await tf.setBackend(this.backend))) throw new Error(`${this.name}: tf.setBackend('${this.backend}') failed`);
    const t0 = performance.now();
    const built = buildTfModel(tf, model);
    const setupMs = performance.now() - t0;
    try {
      const run = async () => {
        const y = tf.tidy(() => built.forward(built.inputs));
        await y.data();
        if (!built.inputs.includes(y)) y.dispose();
      };
      const { stats, coldMs } = await measure(timedLoop(run), protocol);
      return { stats, coldMs, setupMs };
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new Error(`${this.name}: running '${model.key}' failed: ${(e as Error).message}`, { cause: e });
    } finally {
      built.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.runtime = undefined;
    this.info = undefined;
  }
}

function factory(name: TfjsDeviceName, description: string): DeviceFactory {
  return {
    name,
    description,
    available: async () => findTfBackend(BACKENDS[name]),
    create: (options: DeviceOptions) => new TfjsDevice(name, options),
    options: name === 'tfjs-wasm' ? ['simd'] : [],
  };
}

export const tfjsCpuFactory = factory('tfjs-cpu', 'TensorFlow.js cpu backend (plain JavaScript kernels), ops rebuilt from the model in NHWC');
export const tfjsWasmFactory = factory('tfjs-wasm', 'TensorFlow.js wasm backend (XNNPACK, SIMD; no threads in Node), ops rebuilt in NHWC (options: simd)');
export const tfjsNodeFactory = factory('tfjs-node', 'TensorFlow.js on libtensorflow via the optional @tensorflow/tfjs-node, ops rebuilt in NHWC');
