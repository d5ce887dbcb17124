/**
 * TensorFlow.js in the bench page, as a PageRuntime: `tfjs-webgl` (the webgl backend in tfjs's union
 * bundle) and `tfjs-webgpu` (needs the separate @tensorflow/tfjs-backend-webgpu package). Models are
 * compiled from their primitive graph to a tfjs program (devices/tfjs/program.ts, the program the Node tfjs
 * devices run), since tfjs does not run ONNX.
 */
import { DeviceUnavailableError } from '../../src/core/errors.js';
import type { OpInstance } from '../../src/core/ops.js';
import type { AdapterInfo, ModelUnderTest } from '../types.js';
import type { LoadedRuntime, PageInput, PageRuntime } from './browser-device.js';
import type { BrowserPage } from './browser-page.js';
import { TFJS_SCRIPT, TFJS_WEBGPU_SCRIPT, tfjsDist, tfjsWebgpuDist } from './packages.js';
import { modelGraph, tfjsProgram, tfUnsupported } from '../tfjs/program.js';

export type TfjsBackend = 'webgl' | 'webgpu';

interface PageTfjsInfo {
  error?: string;
  version: string;
  backend: string;
  tickMs: number;
  renderer?: string;
  vendor?: string;
  webglVersion?: number;
  userAgent: string;
  browserVersion: string;
}

/** Renderer strings of CPU implementations of WebGL. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

export class TfjsPageRuntime implements PageRuntime {
  readonly runsOnnx = false;
  constructor(
    private readonly device: string,
    private readonly backend: TfjsBackend,
  ) {}

  mounts(): Record<string, string> {
    const tf = tfjsDist();
    if ('reason' in tf) throw new DeviceUnavailableError(this.device, tf.reason);
    if (this.backend === 'webgl') return { '/tfjs/': tf.dir };
    const webgpu = tfjsWebgpuDist();
    if ('reason' in webgpu) throw new DeviceUnavailableError(this.device, webgpu.reason);
    return { '/tfjs/': tf.dir, '/tfjs-webgpu/': webgpu.dir };
  }

  async load(bp: BrowserPage): Promise<LoadedRuntime> {
    const scripts = [`/tfjs/${TFJS_SCRIPT}`, ...(this.backend === 'webgpu' ? [`/tfjs-webgpu/${TFJS_WEBGPU_SCRIPT}`] : [])];
    const info = await bp.call<PageTfjsInfo>('loadTfjs', { scripts, backend: this.backend });
    if (info.error)
      throw new DeviceUnavailableError(this.device, info.error, {
        hint: this.backend === 'webgl' ? 'headless Chromium needs a GPU or SwiftShader for WebGL; try --device-opt headless=false or browserArgs=--use-angle=swiftshader' : 'the browser needs WebGPU (see the webgpu device)',
      });
    const warnings: string[] = [];
    let adapter: AdapterInfo | undefined;
    if (info.renderer !== undefined) {
      adapter = { vendor: info.vendor ?? '', architecture: info.renderer, isFallback: SOFTWARE_RENDERER.test(info.renderer) };
      if (adapter.isFallback) warnings.push(`WebGL renders in software (${info.renderer}): its timings say nothing about a real GPU`);
    }
    const tick = `${+(info.tickMs * 1000).toFixed(1)} µs timer`;
    return {
      runtime: '@tensorflow/tfjs',
      runtimeVersion: info.version,
      ep: info.backend,
      options: {
        backend: info.backend,
        browser: info.browserVersion || info.userAgent,
        model: 'compiled from the primitive graph (NHWC, BN folded, relu/relu6/sigmoid fused)',
        ...(info.webglVersion ? { webglVersion: info.webglVersion } : {}),
      },
      adapter,
      timing: `in-page wall clock (performance.now, ${tick}) per run, ended by a one-element readback of the output (waits for every kernel); runs shorter than 100 timer ticks are timed in groups and averaged; k runs per round trip`,
      warnings,
    };
  }

  supports(inst: OpInstance): true | string {
    const why = tfUnsupported(inst);
    return why === undefined ? true : `tfjs: ${why}`;
  }

  inputShape(shape: number[]): number[] {
    return [shape[0], shape[2] ?? 1, shape[3] ?? 1, shape[1]]; // an N×C input (an ONNX unit's Gemm) is N×C×1×1
  }

  openArgs(model: ModelUnderTest, inputs: PageInput[]): unknown {
    return { program: tfjsProgram(modelGraph(model)), inputs };
  }
}
