/**
 * `webgpu-native`: onnxruntime-node's bundled WebGPU execution provider (Dawn on Vulkan), in Node.
 *
 * Adapter: see vulkan.ts — a real GPU when Dawn accepts one, else SwiftShader (flagged as a software
 * fallback in DeviceInfo). Timing (option `timing`): 'gpu' sums the run's kernel durations from WebGPU
 * timestamp queries (gpu-time.ts), 'wall' is the wall clock of run + fence (fence.ts: outputs stay on the
 * GPU and a tiny fence model waits for the queue, so a sample is the model's GPU work plus dispatch, not a
 * readback); 'auto' (default) is 'gpu' where the adapter gives timestamps, else 'wall', and says why.
 * CPU fallback is off by default: a model with a node the WebGPU EP lacks fails to load with a clear
 * error instead of being timed half on the CPU.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { DeviceUnavailableError, UnrunnableModelError, UserError } from '../../src/core/errors.js';
import type { OpInstance } from '../../src/core/ops.js';
import { lowerInstance } from '../../src/core/lower/table.js';
import { measure, timedLoop, type SampleSource } from '../harness.js';
import { hostInfo } from '../host.js';
import { enumOption, optLevelOption, type OrtOptLevel } from '../options.js';
import { findOrtNode } from '../ort-cpu/package.js';
import { booleanOption } from '../ort-wasm/bool-option.js';
import { randomFeeds } from '../ort-wasm/feeds.js';
import { tinyAddModel, TINY_INPUT, TINY_OUTPUT } from '../ort-wasm/tiny-model.js';
import type { AdapterInfo, Device, DeviceFactory, DeviceInfo, DeviceOptions, ModelUnderTest, TimingProtocol, TimingResult } from '../types.js';
import { ortRunner } from '../conformance/ort-runner.js';
import type { ConformanceRunner } from '../conformance/runner.js';
import { uploadFeeds, type DeviceFeeds } from './device-inputs.js';
import { fencedLoop } from './fence.js';
import { gpuTimePerRun, parseGpuProfile } from './gpu-time.js';
import { chooseVulkan, type VulkanChoice } from './vulkan.js';

const NAME = 'webgpu-native';
const LAYOUTS = ['NHWC', 'NCHW'] as const;
const VALIDATION = ['basic', 'wgpuOnly', 'full'] as const;
const OUTPUTS = ['gpu-buffer', 'cpu'] as const;
const INPUTS = ['gpu-buffer', 'cpu'] as const;
/** What LUTs measured before the `inputs` option was recorded did: every input uploaded from the CPU on every run. */
const LEGACY_INPUTS: (typeof INPUTS)[number] = 'cpu';
const TIMINGS = ['auto', 'gpu', 'wall'] as const;
const FALLBACK_DISABLED = /fallback to CPU EP has been explicitly disabled/;

export interface OrtWebGpuOptions {
  /** Layout the EP converts layout-sensitive ops to; NHWC is the EP's own default. */
  preferredLayout: (typeof LAYOUTS)[number];
  /** Dawn/EP validation; 'disabled' is not offered: in Node a WebGPU error then crashes the process. */
  validationMode: (typeof VALIDATION)[number];
  graphOptimizationLevel: OrtOptLevel;
  /** Where outputs stay: 'gpu-buffer' (fenced, no readback) or 'cpu' (each run includes the readback). */
  outputs: (typeof OUTPUTS)[number];
  /** Where inputs live: 'gpu-buffer' (uploaded once per model, before timing: device-inputs.ts) or 'cpu' (uploaded on every run). */
  inputs: (typeof INPUTS)[number];
  /** Let onnxruntime run nodes the WebGPU EP lacks on the CPU (the sample then mixes devices). */
  cpuFallback: boolean;
  /** Accept a software adapter (SwiftShader); false makes the device unavailable without a real GPU. */
  allowSoftware: boolean;
  /** 'gpu': kernel time from timestamp queries; 'wall': run + fence; 'auto': 'gpu' where the adapter has timestamps. */
  timing: (typeof TIMINGS)[number];
}

export function parseOrtWebGpuOptions(options: DeviceOptions): OrtWebGpuOptions {
  return {
    preferredLayout: enumOption(NAME, options, 'preferredLayout', LAYOUTS, 'NHWC'),
    validationMode: enumOption(NAME, options, 'validationMode', VALIDATION, 'basic'),
    graphOptimizationLevel: optLevelOption(NAME, options),
    outputs: enumOption(NAME, options, 'outputs', OUTPUTS, 'gpu-buffer'),
    inputs: enumOption(NAME, options, 'inputs', INPUTS, 'gpu-buffer'),
    cpuFallback: booleanOption(NAME, options, 'cpuFallback', false),
    allowSoftware: booleanOption(NAME, options, 'allowSoftware', true),
    timing: enumOption(NAME, options, 'timing', TIMINGS, 'auto'),
  };
}

/**
 * The ONNX op the exporter emits for `inst` that onnxruntime 1.30's WebGPU EP lacks, if any. Of the
 * exported op types only Sum is missing (conformance report in docs/devices.md): the ONNX emitter writes an
 * `add` primitive of three or more inputs as Sum (two inputs are an Add), so the lowered graph says it.
 */
function webgpuMissingOps(inst: OpInstance): string | undefined {
  const sums = lowerInstance(inst).nodes.filter((n) => n.prim.op === 'add' && n.inputs.length > 2);
  return sums.length ? `Sum (${sums[0].id} adds ${sums[0].inputs.length} tensors)` : undefined;
}

type Availability = { choice: Extract<VulkanChoice, { ok: true }>; version: string } | string;
let availability: Promise<Availability> | undefined;

/**
 * onnxruntime-node and a Vulkan driver Dawn accepts, or why not. Decided once per process: Dawn starts
 * once, and after init() sets VK_ICD_FILENAMES itself a fresh look would mistake that for the user's choice.
 */
function checkAvailable(): Promise<Availability> {
  availability ??= (async () => {
    const found = findOrtNode();
    if (typeof found === 'string') return found;
    const choice = await chooseVulkan(createRequire(import.meta.url).resolve('onnxruntime-node'));
    return choice.ok ? { choice, version: found.version } : choice.reason;
  })();
  return availability;
}

/** Median wall time of a few fence runs: the fixed cost each fenced sample carries. */
async function fenceCostMs(fence: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    await fence();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[10];
}

export class OrtWebGpuDevice implements Device {
  readonly name = NAME;
  private readonly options: OrtWebGpuOptions;
  private ort?: typeof Ort;
  private fenceSession?: Ort.InferenceSession;
  private fenceFeeds?: Record<string, Ort.Tensor>;
  private info?: DeviceInfo;
  /** How samples are timed, once init() has decided. */
  private gpuTiming = false;
  /** Where profiling sessions write their files (removed by dispose). */
  private profileDir?: string;
  private profiles = 0;

  constructor(options: DeviceOptions = {}) {
    this.options = parseOrtWebGpuOptions(options);
  }

  private sessionOptions(outputs: OrtWebGpuOptions['outputs'], cpuFallback: boolean): Ort.InferenceSession.SessionOptions {
    const ep = { name: 'webgpu', preferredLayout: this.options.preferredLayout, validationMode: this.options.validationMode };
    return {
      executionProviders: [ep],
      executionMode: 'sequential',
      graphOptimizationLevel: this.options.graphOptimizationLevel,
      preferredOutputLocation: outputs,
      // Warnings (e.g. "opset guarantees") would flood a profiling run; errors still reach us as exceptions.
      logSeverityLevel: 3,
      extra: { session: { disable_cpu_ep_fallback: cpuFallback ? '0' : '1' } },
    };
  }

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const available = await checkAvailable();
    if (typeof available === 'string') throw new DeviceUnavailableError(NAME, available);
    const { choice, version } = available;
    if (choice.adapter.isFallback && !this.options.allowSoftware)
      throw new DeviceUnavailableError(NAME, `the only WebGPU adapter here is a software one (${choice.adapter.description}) and allowSoftware=false`, {
        hint: 'run on a machine with a GPU whose Vulkan driver Dawn accepts, or allow the software adapter',
      });
    // Must happen before onnxruntime-node starts Dawn: the Vulkan loader reads it once.
    if (choice.setIcd && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = choice.setIcd;
    try {
      this.ort = await import('onnxruntime-node');
      this.fenceSession = await this.ort.InferenceSession.create(await tinyAddModel(), this.sessionOptions('cpu', false));
    } catch (e) {
      throw new DeviceUnavailableError(NAME, `onnxruntime-node's WebGPU EP did not start in this process: ${(e as Error).message}`, { cause: e });
    }
    this.fenceFeeds = { [TINY_INPUT]: new this.ort.Tensor('float32', new Float32Array([1]), [1]) };
    const fenceMs = await fenceCostMs(() => this.fence());
    const timestamps = this.options.timing === 'wall' ? 'timing=wall' : await this.probeTimestamps();
    if (this.options.timing === 'gpu' && timestamps !== true)
      throw new DeviceUnavailableError(NAME, `timing=gpu needs GPU timestamps, which this adapter does not give: ${timestamps}`, { hint: 'use timing=wall (or auto)' });
    this.gpuTiming = timestamps === true;
    const inputsText = this.options.inputs === 'gpu-buffer' ? 'inputs uploaded to the GPU once per model, before timing' : 'inputs uploaded from the CPU every run';
    const wall =
      this.options.outputs === 'gpu-buffer'
        ? `wall clock of session.run with outputs left on the GPU plus a 1-float fence run that waits for the GPU queue (fence alone: median ${fenceMs.toFixed(3)} ms at init); ${inputsText}`
        : `wall clock per session.run, including the readback of every output; ${inputsText}`;
    this.info = {
      device: NAME,
      runtime: 'onnxruntime-node',
      runtimeVersion: this.ort.env.versions?.node ?? version,
      ep: 'webgpu',
      options: {
        preferredLayout: this.options.preferredLayout,
        validationMode: this.options.validationMode,
        graphOptimizationLevel: this.options.graphOptimizationLevel,
        executionMode: 'sequential',
        outputs: this.options.outputs,
        inputs: this.options.inputs,
        cpuFallback: this.options.cpuFallback,
        vulkanDriver: choice.source,
        // Only when GPU timestamps are used: LUTs measured by wall clock keep the id they had before the option.
        ...(this.gpuTiming ? { timing: 'gpu' } : {}),
      },
      host: hostInfo(),
      adapter: choice.adapter,
      timing: this.gpuTiming
        ? "GPU time per session.run: the sum of its kernels' durations from WebGPU timestamp queries (onnxruntime's WebGPU profiler, session option enableProfiling), each batch of runs in its own profiling session whose first run is not counted; the cold run is wall clock (run + fence)"
        : this.options.timing === 'wall'
          ? wall
          : `${wall}; no GPU timestamps (${timestamps})`,
    };
    const warnings = this.warnings(choice.adapter);
    if (warnings.length) this.info.warnings = warnings;
    return this.info;
  }

  private warnings(adapter: AdapterInfo): string[] {
    const out: string[] = [];
    if (adapter.isFallback)
      out.push(`software adapter (${adapter.architecture}): these are timings of a CPU emulating a GPU and say nothing about a real GPU`);
    if (adapter.vendor === 'unknown') out.push('onnxruntime-node does not report which adapter Dawn picked; the adapter fields are what this device could infer');
    if (this.options.cpuFallback) out.push('cpuFallback=true: nodes the WebGPU EP lacks run on the CPU inside the timed runs');
    return out;
  }

  /**
   * Whether onnxruntime's WebGPU profiler gives kernel timestamps here: two profiled runs of the fence
   * model must come back as one equal set of GPU programs each. True, or why not.
   */
  private async probeTimestamps(): Promise<true | string> {
    try {
      const times = await this.profiledRuns(await tinyAddModel(), { [TINY_INPUT]: this.fenceFeeds![TINY_INPUT] }, 2, { outputs: 'cpu', noKernelsIsZero: false });
      return times.length === 2 ? true : `the profile gave ${times.length} runs`;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /**
   * Runs `model` `runs` times in a new profiling session (plus one first run that is not counted: it
   * allocates) and returns each run's GPU time in ms, from the session's profile file.
   */
  private async profiledRuns(onnx: Uint8Array, feeds: Record<string, Ort.Tensor>, runs: number, o: { outputs?: OrtWebGpuOptions['outputs']; noKernelsIsZero?: boolean } = {}): Promise<number[]> {
    const outputs = o.outputs ?? this.options.outputs;
    this.profileDir ??= mkdtempSync(path.join(tmpdir(), 'hw-nas-webgpu-profile-'));
    const prefix = `p${process.pid}-${++this.profiles}`;
    const session = await this.ort!.InferenceSession.create(onnx, {
      ...this.sessionOptions(outputs, this.options.cpuFallback),
      enableProfiling: true,
      profileFilePrefix: path.join(this.profileDir, prefix),
    });
    try {
      for (let i = 0; i <= runs; i++) {
        const out = await session.run(feeds);
        await this.fence();
        for (const value of Object.values(out)) value.dispose();
      }
      session.endProfiling();
    } finally {
      await session.release();
    }
    const files = readdirSync(this.profileDir).filter((f) => f.startsWith(`${prefix}_`));
    if (files.length !== 1) throw new Error(`onnxruntime wrote ${files.length} profile files for ${prefix} in ${this.profileDir}`);
    const file = path.join(this.profileDir, files[0]);
    try {
      return gpuTimePerRun(parseGpuProfile(readFileSync(file, 'utf8')), runs + 1, { noKernelsIsZero: o.noKernelsIsZero ?? true }).slice(1);
    } finally {
      rmSync(file, { force: true });
    }
  }

  private async fence(): Promise<void> {
    const out = await this.fenceSession!.run(this.fenceFeeds!);
    if ((out[TINY_OUTPUT].data as Float32Array)[0] !== 2) throw new Error(`${NAME}: the fence model computed 1 + 1 = ${String(out[TINY_OUTPUT].data)}`);
  }

  /**
   * Runs ONNX conformance cases with this device's session options, outputs read back to the CPU; a
   * model with a node the WebGPU EP lacks is skipped (with cpuFallback=false) rather than failed.
   */
  conformanceRunner(): ConformanceRunner {
    if (!this.ort) throw new Error(`${NAME}: conformanceRunner() called before init()`);
    const options = { ...this.sessionOptions('cpu', this.options.cpuFallback), logSeverityLevel: 4 };
    return ortRunner(this.ort, options, (e) => (FALLBACK_DISABLED.test(e.message) ? 'the WebGPU EP does not implement every node (CPU fallback is off)' : undefined));
  }

  supports(inst: OpInstance): true | string {
    if (this.options.cpuFallback) return true;
    const missing = webgpuMissingOps(inst);
    return missing ? `${NAME}: its export uses ONNX ${missing}, which onnxruntime's WebGPU EP does not implement (set cpuFallback=true to time it with that node on the CPU)` : true;
  }

  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    const ort = this.ort;
    if (!ort) throw new Error(`${NAME}: time() called before init()`);
    const t0 = performance.now();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.onnx, this.sessionOptions(this.options.outputs, this.options.cpuFallback));
    } catch (e) {
      const message = (e as Error).message;
      if (FALLBACK_DISABLED.test(message))
        throw new UnrunnableModelError(`${NAME}: the WebGPU EP cannot run every node of '${model.key}'; onnxruntime would run some on the CPU`, {
          cause: e,
          hint: 'set the option cpuFallback=true to time it anyway (the entry then mixes GPU and CPU work), or leave this op out of the space',
        });
      throw new UserError(`${NAME}: cannot load model '${model.key}' (${model.onnx.byteLength} bytes): ${message}`, {
        cause: e,
        hint: 'the bytes must be a valid ONNX model; re-export it or check the exporter',
      });
    }
    const setupMs = performance.now() - t0;
    let uploaded: DeviceFeeds | undefined;
    try {
      const cpuFeeds = randomFeeds(ort.Tensor, model);
      // inputs=gpu-buffer: uploaded once here, outside the timed runs, as a network's intermediates never leave the GPU.
      if (this.options.inputs === 'gpu-buffer') uploaded = await uploadFeeds(ort, this.sessionOptions('gpu-buffer', false), cpuFeeds, () => this.fence());
      const feeds = uploaded?.feeds ?? cpuFeeds;
      const wall: SampleSource =
        this.options.outputs === 'gpu-buffer' ? fencedLoop(() => session.run(feeds), () => this.fence()) : timedLoop(() => session.run(feeds));
      // GPU time: the cold run stays wall clock (it is mostly pipeline compilation, which no kernel timestamp sees).
      const source: SampleSource = this.gpuTiming ? { cold: () => wall.cold(), samples: (count) => this.profiledRuns(model.onnx, feeds, count) } : wall;
      const { stats, coldMs } = await measure(source, protocol);
      return { stats, coldMs, setupMs };
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new Error(`${NAME}: running '${model.key}' failed: ${(e as Error).message}`, { cause: e });
    } finally {
      await uploaded?.release();
      await session.release();
    }
  }

  async dispose(): Promise<void> {
    await this.fenceSession?.release();
    this.fenceSession = undefined;
    this.fenceFeeds = undefined;
    this.ort = undefined;
    this.info = undefined;
    if (this.profileDir) rmSync(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
  }
}

export const ortWebGpuFactory = {
  name: NAME,
  options: ['preferredLayout', 'validationMode', 'graphOptimizationLevel', 'outputs', 'inputs', 'cpuFallback', 'allowSoftware', 'timing'],
  legacyOptions: { inputs: LEGACY_INPUTS },
  description:
    "onnxruntime-node's bundled WebGPU EP (Dawn on Vulkan; SwiftShader when there is no GPU) (options: preferredLayout, validationMode, graphOptimizationLevel, outputs, inputs=gpu-buffer|cpu, cpuFallback, allowSoftware, timing=auto|gpu|wall)",
  available: async () => {
    const available = await checkAvailable();
    return typeof available === 'string' ? available : true;
  },
  create: (options: DeviceOptions) => new OrtWebGpuDevice(options),
} satisfies DeviceFactory;
