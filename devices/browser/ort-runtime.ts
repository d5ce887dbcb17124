/**
 * onnxruntime-web in the bench page, as a PageRuntime: the `webgpu` device (WebGPU EP) and the
 * `browser-wasm` device (wasm EP) are this runtime with different options.
 *
 * Bundles (recorded in every LUT: they are different code): for WebGPU, ort.all.bundle.min.mjs runs
 * the JSEP WebGPU EP, which also reports per-kernel GPU times; ort.webgpu.bundle.min.mjs runs the
 * native (C++) WebGPU EP, which reports none to JS. The wasm EP defaults to ort.wasm.bundle.min.mjs,
 * what a wasm-only deployment ships.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { enumOption, numberOption, optLevelOption, type OrtOptLevel } from '../options.js';
import { outputsOption, timedBytes, type OutputMode } from '../ort-outputs.js';
import type { OpInstance } from '../../src/core/ops.js';
import { inferShapes } from '../../src/core/graph/index.js';
import { lowerInstance } from '../../src/core/lower/index.js';
import { writesCeilMode } from '../../export/onnx/primitives/pool.js';
import type { AdapterInfo, DeviceOptions, ModelUnderTest } from '../types.js';
import type { LoadedRuntime, PageInput, PageRuntime } from './browser-device.js';
import type { BrowserPage } from './browser-page.js';
import { TINY_INPUT, tinyAddModel } from '../ort-wasm/tiny-model.js';
import { ortWebDist } from './packages.js';

export const ORT_BUNDLES = {
  all: 'ort.all.bundle.min.mjs',
  webgpu: 'ort.webgpu.bundle.min.mjs',
  wasm: 'ort.wasm.bundle.min.mjs',
} as const;
type BundleName = keyof typeof ORT_BUNDLES;
const TIMINGS = ['auto', 'wall', 'gpu'] as const;
/** Adapter features that change which kernels onnxruntime-web picks (recorded in the LUT). */
const KERNEL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

export interface OrtPageOptions {
  ep: 'webgpu' | 'wasm';
  bundle: BundleName;
  threads: number;
  graphOptimizationLevel: OrtOptLevel;
  timing: (typeof TIMINGS)[number];
  /** WebGPU EP tensor layout: NHWC (onnxruntime-web's default) or NCHW. */
  preferredLayout: 'NHWC' | 'NCHW';
  /** A folder holding onnxruntime-web's dist files (another version, a local build); default: node_modules. */
  ortDir?: string;
  /** 'sliced': each output read by a one-element Slice and kept inside the session (devices/ort-outputs.ts); 'full': the model as it is (on WebGPU, its outputs left whole on the GPU). Default: sliced on wasm, full on WebGPU. */
  outputs: OutputMode;
}

export function parseOrtPageOptions(device: string, ep: 'webgpu' | 'wasm', options: DeviceOptions): OrtPageOptions {
  const bundles: BundleName[] = ep === 'webgpu' ? ['all', 'webgpu'] : ['wasm', 'all'];
  const o: OrtPageOptions = {
    ep,
    bundle: enumOption(device, options, 'bundle', bundles, bundles[0]),
    threads: numberOption(device, options, 'threads', 1, { min: 0, integer: true }),
    graphOptimizationLevel: optLevelOption(device, options),
    // auto: GPU timestamps where the adapter has them and the bundle reports kernel times (bundle=all), else wall.
    timing: ep === 'webgpu' ? enumOption(device, options, 'timing', TIMINGS, 'auto') : 'wall',
    preferredLayout: ep === 'webgpu' ? enumOption(device, options, 'preferredLayout', ['NHWC', 'NCHW'] as const, 'NHWC') : 'NHWC',
    ortDir: options.ortDir === undefined || options.ortDir === '' ? undefined : String(options.ortDir),
    // WebGPU keeps its outputs on the GPU already (gpu-buffer): nothing to slice by default.
    outputs: outputsOption(device, options, ep === 'webgpu' ? 'full' : 'sliced'),
  };
  if (o.timing === 'gpu' && o.bundle !== 'all')
    throw new UserError(`device '${device}': timing=gpu needs bundle=all`, {
      hint: `only ${ORT_BUNDLES.all} (the JSEP WebGPU EP) hands per-kernel GPU times to the page; ${ORT_BUNDLES[o.bundle]} does not`,
    });
  return o;
}

interface PageOrtInfo {
  versions: Record<string, string>;
  crossOriginIsolated: boolean;
  tickMs: number;
  numThreads: number;
  userAgent: string;
  browserVersion: string;
  cores: number;
  adapter?: AdapterInfo & { features: string[] };
  adapterError?: string;
  /** Whether the page times by GPU kernel timestamps (timing=gpu, or auto on an adapter with timestamp-query). */
  gpuTiming?: boolean;
}

export class OrtPageRuntime implements PageRuntime {
  readonly runsOnnx = true;
  constructor(
    private readonly device: string,
    private readonly o: OrtPageOptions,
  ) {}

  private get bundleFile(): string {
    return ORT_BUNDLES[this.o.bundle];
  }

  mounts(): Record<string, string> {
    if (this.o.ortDir) {
      if (!existsSync(path.join(this.o.ortDir, this.bundleFile)))
        throw new DeviceUnavailableError(this.device, `ortDir ${this.o.ortDir} has no ${this.bundleFile}`, { hint: "point ortDir at onnxruntime-web's dist/ folder" });
      return { '/ort/': this.o.ortDir };
    }
    const found = ortWebDist(this.bundleFile);
    if ('reason' in found) throw new DeviceUnavailableError(this.device, found.reason);
    return { '/ort/': found.dir };
  }

  async load(bp: BrowserPage): Promise<LoadedRuntime> {
    const { o } = this;
    const info = await bp.call<PageOrtInfo>('loadOrt', {
      url: `/ort/${this.bundleFile}`,
      ep: o.ep,
      numThreads: o.threads,
      graphOptimizationLevel: o.graphOptimizationLevel,
      // bundle=webgpu reports no kernel times: auto is wall there.
      timing: o.timing === 'auto' && o.bundle !== 'all' ? 'wall' : o.timing,
      preferredLayout: o.preferredLayout,
    });
    if (info.adapterError)
      throw new DeviceUnavailableError(this.device, `no WebGPU adapter in the browser: ${info.adapterError}`, {
        hint: 'use a Chrome/Chromium/Edge with WebGPU (Linux: the launcher passes --enable-unsafe-webgpu; a GPU machine may also need --device-opt browserArgs=--use-angle=vulkan)',
      });
    await this.warmUp(bp);
    const warnings: string[] = [];
    if (!info.crossOriginIsolated) warnings.push('the page is not crossOriginIsolated: wasm threads are off and timers are coarse');
    if (o.threads !== 1 && info.numThreads !== o.threads) warnings.push(`threads=${o.threads} requested, onnxruntime-web runs ${info.numThreads}`);
    const options: Record<string, string | number | boolean> = {
      bundle: this.bundleFile,
      threads: info.numThreads,
      graphOptimizationLevel: o.graphOptimizationLevel,
      browser: info.browserVersion || info.userAgent,
      crossOriginIsolated: info.crossOriginIsolated,
      outputs: o.outputs,
    };
    let adapter: AdapterInfo | undefined;
    if (o.ep === 'webgpu' && info.adapter) {
      const { features, ...rest } = info.adapter;
      adapter = rest;
      options.timing = info.gpuTiming ? 'gpu' : 'wall';
      options.io = 'gpu-buffer';
      options.preferredLayout = o.preferredLayout;
      options.adapterFeatures = KERNEL_FEATURES.filter((f) => features.includes(f)).join(',');
      if (adapter.isFallback)
        warnings.push(`the WebGPU adapter is a fallback (software) adapter (${adapter.vendor} ${adapter.architecture}): its timings say nothing about a real GPU`);
      if (o.timing === 'gpu' && !features.includes('timestamp-query')) throw new DeviceUnavailableError(this.device, 'timing=gpu needs the timestamp-query adapter feature, which this adapter lacks', { hint: 'use timing=wall' });
    }
    if (o.ortDir) options.ortDir = o.ortDir;
    return {
      runtime: 'onnxruntime-web',
      runtimeVersion: info.versions.web ?? info.versions.common ?? 'unknown',
      ep: o.ep,
      options,
      adapter,
      timing: this.timingText(info.tickMs, info.gpuTiming === true, info.adapter?.features ?? []),
      warnings,
    };
  }

  /**
   * Runs a one-node model once, so that the runtime's own start-up (wasm instantiation, WebGPU device
   * creation) is not billed to the first model's setupMs.
   */
  private async warmUp(bp: BrowserPage): Promise<void> {
    const model = bp.server.putBlob(await tinyAddModel());
    const input = bp.server.putBlob(new Uint8Array(new Float32Array([1]).buffer));
    try {
      await bp.call('open', { modelUrl: model, inputs: [{ name: TINY_INPUT, shape: [1], url: input }] });
      await bp.call('cold');
      await bp.call('close');
    } finally {
      bp.server.dropBlob(model);
      bp.server.dropBlob(input);
    }
  }

  private timingText(tickMs: number, gpu: boolean, features: readonly string[]): string {
    const tick = `${+(tickMs * 1000).toFixed(1)} µs timer`;
    const grouped = 'runs shorter than 100 timer ticks are timed in groups and averaged';
    const sliced = this.o.outputs === 'sliced' ? ', outputs kept in the session (each returned as a Slice of its first element)' : '';
    if (this.o.ep === 'wasm')
      return `in-page wall clock (performance.now, ${tick}) per session.run, inputs copied into the wasm heap every run${sliced || ', every output copied out every run'}; ${grouped}; k runs per round trip`;
    if (gpu)
      return `in-page GPU time per session.run: sum of per-kernel timestamp-query durations from onnxruntime-web WebGPU profiling; inputs and outputs stay on the GPU${sliced}`;
    const wall = `in-page wall clock (performance.now, ${tick}) per session.run until queue.onSubmittedWorkDone(), inputs and outputs on the GPU (no readback)${sliced}; ${grouped}; k runs per round trip`;
    if (this.o.timing !== 'auto') return wall;
    const why = this.o.bundle !== 'all' ? `${this.bundleFile} reports no kernel times` : features.includes('timestamp-query') ? 'the page did not turn profiling on' : 'the adapter lacks the timestamp-query feature';
    return `${wall}; no GPU timestamps (${why})`;
  }

  supports(inst: OpInstance): true | string {
    return ortWebSupports(this.device, this.o.ep, ORT_BUNDLES[this.o.bundle], inst);
  }

  async openArgs(model: ModelUnderTest, inputs: PageInput[], blob: (bytes: Uint8Array) => string): Promise<unknown> {
    return { modelUrl: blob(await timedBytes(model.onnx, this.o.outputs)), inputs };
  }
}

/**
 * Whether onnxruntime-web runs `inst`'s export with `ep` from `bundle`. Every catalog op exports to
 * standard ONNX operators: the wasm EP implements all of them, and the WebGPU EPs run any kernel they
 * lack on the CPU (part of the latency a user would then see) — except where the JSEP kernel exists but
 * throws on an attribute it does not implement: its MaxPool and AveragePool throw on ceil_mode (the stride-2
 * resblock shortcut's average pool, SqueezeNet's and GoogLeNet's max pools), so a block whose export writes
 * ceil_mode 1 is refused, naming the pool.
 */
export function ortWebSupports(device: string, ep: string, bundle: string, inst: OpInstance): true | string {
  if (ep !== 'webgpu' || bundle !== ORT_BUNDLES.all) return true;
  const graph = lowerInstance(inst);
  const shapes = inferShapes(graph);
  for (const n of graph.nodes)
    if (n.prim.op === 'pool' && writesCeilMode(n.prim, shapes.get(n.inputs[0])!, shapes.get(n.id)!))
      return `${device}: ${ORT_BUNDLES.all}'s WebGPU ${n.prim.mode === 'max' ? 'MaxPool' : 'AveragePool'} does not implement ceil_mode, which ${inst.spec.kind}'s pool '${n.id}' uses (bundle=webgpu runs it)`;
  return true;
}
