/**
 * `wasm`: onnxruntime-web's WebAssembly execution provider, run inside Node. In Node,
 * `import('onnxruntime-web')` resolves to the wasm-only Node build, so this measures the same kernels a
 * browser runs with the wasm EP, minus the browser. Timed per session.run with performance.now().
 *
 * onnxruntime-web copies every output out of the wasm heap into a new typed array on every run; with
 * outputs=sliced (the default, devices/ort-outputs.ts) the outputs stay in the heap and one element each is
 * copied. The inputs are copied into the heap on every run either way (the JS API has no way around it).
 *
 * The wasm runtime is one per process: it starts once, with one thread count, and keeps it. A second
 * device asking for another thread count in the same process gets a UserError rather than numbers
 * silently measured with the first count. The same holds for V8's wasm compiler (option `compiler`,
 * ./compiler.ts): TurboFan from the first call by default, set before the runtime compiles its module.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as OrtWeb from 'onnxruntime-web';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { hostInfo } from '../host.js';
import { numberOption, optLevelOption, type OrtOptLevel } from '../options.js';
import type { Device, DeviceFactory, DeviceInfo, DeviceOptions } from '../types.js';
import { ortRunner } from '../conformance/ort-runner.js';
import type { ConformanceRunner } from '../conformance/runner.js';
import { booleanOption } from './bool-option.js';
import { compilerOption, COMPILER_FLAG, LEGACY_COMPILER, useWasmCompiler, type WasmCompiler } from './compiler.js';
import { tinyAddModel } from './tiny-model.js';
import { availableWhen, OrtSessionDevice } from '../ort-session.js';
import { LEGACY_OUTPUT_MODE, outputsOption, type OutputMode } from '../ort-outputs.js';

const NAME = 'wasm';
const PACKAGE = 'onnxruntime-web';
/** onnxruntime-web 1.30 ships only SIMD binaries (ort-wasm-simd-threaded*.wasm). */
const WASM_BINARY = 'ort-wasm-simd-threaded.wasm';

export interface OrtWasmOptions {
  /** ort.env.wasm.numThreads; 0 lets onnxruntime-web choose (min(4, ceil(cores / 2))). */
  threads: number;
  /** Fixed-width SIMD. Always on: the package has no non-SIMD binary; asking for simd=false is an error. */
  simd: true;
  graphOptimizationLevel: OrtOptLevel;
  /** 'sliced': the outputs stay in the wasm heap, a Slice of their first element is returned; 'full': every output copied out every run, as before. */
  outputs: OutputMode;
  /** V8's wasm compiler for the runtime's module (./compiler.ts): 'turbofan' (--no-liftoff) or 'liftoff' (V8's default). */
  compiler: WasmCompiler;
}

export function parseOrtWasmOptions(options: DeviceOptions): OrtWasmOptions {
  if (!booleanOption(NAME, options, 'simd', true))
    throw new UserError(`device '${NAME}': simd=false is not available`, {
      hint: `onnxruntime-web ships only SIMD WebAssembly binaries (${WASM_BINARY}); a non-SIMD build would have to be compiled from source`,
    });
  return {
    threads: numberOption(NAME, options, 'threads', 1, { min: 0, integer: true }),
    simd: true,
    graphOptimizationLevel: optLevelOption(NAME, options),
    outputs: outputsOption(NAME, options),
    compiler: compilerOption(NAME, options),
  };
}

/** The package's Node entry and wasm binary, or why they cannot be used; no module is loaded. */
function findOrtWeb(): { dir: string } | string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(PACKAGE);
  } catch {
    return `the '${PACKAGE}' package is not installed (npm install ${PACKAGE})`;
  }
  const dir = path.dirname(entry);
  if (!existsSync(path.join(dir, WASM_BINARY))) return `'${PACKAGE}' has no ${WASM_BINARY} next to ${entry}; reinstall the package`;
  return { dir };
}

interface WasmRuntime {
  ort: typeof OrtWeb;
  /** Threads the runtime actually started with (onnxruntime-web falls back to 1 without worker support). */
  threads: number;
  requestedThreads: number;
  compiler: WasmCompiler;
}

let runtime: Promise<WasmRuntime> | undefined;

/** Starts the process's wasm runtime once (by opening a one-node session), or returns the running one. */
async function startRuntime(requestedThreads: number, compiler: WasmCompiler): Promise<WasmRuntime> {
  runtime ??= (async () => {
    // Before the module is compiled (the first session below): V8 reads the flag when it compiles a function.
    useWasmCompiler(compiler);
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = requestedThreads;
    const session = await ort.InferenceSession.create(await tinyAddModel(), { executionProviders: ['wasm'] });
    await session.release();
    return { ort, threads: ort.env.wasm.numThreads ?? requestedThreads, requestedThreads, compiler };
  })().catch((e: unknown) => {
    runtime = undefined;
    throw e;
  });
  const started = await runtime;
  if (started.requestedThreads !== requestedThreads)
    throw new UserError(
      `device '${NAME}': onnxruntime-web's wasm runtime already runs in this process with threads=${started.requestedThreads}; it cannot restart with threads=${requestedThreads}`,
      { hint: 'measure each thread count in its own process (one nas-profile run per setting)' },
    );
  if (started.compiler !== compiler)
    throw new UserError(
      `device '${NAME}': onnxruntime-web's wasm runtime already runs in this process with compiler=${started.compiler} (${COMPILER_FLAG[started.compiler]}); it cannot restart with compiler=${compiler}`,
      { hint: 'measure each compiler setting in its own process (one nas-profile run per setting)' },
    );
  return started;
}

export class OrtWasmDevice extends OrtSessionDevice<typeof OrtWeb, OrtWasmOptions> implements Device {
  constructor(options: DeviceOptions = {}) {
    super(NAME, parseOrtWasmOptions(options));
  }

  protected sessionOptions(): OrtWeb.InferenceSession.SessionOptions {
    return {
      executionProviders: ['wasm'],
      executionMode: 'sequential',
      graphOptimizationLevel: this.options.graphOptimizationLevel,
    };
  }

  protected outputMode(): OutputMode {
    return this.options.outputs;
  }

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const found = findOrtWeb();
    if (typeof found === 'string') throw new DeviceUnavailableError(NAME, found);
    let started: WasmRuntime;
    try {
      started = await startRuntime(this.options.threads, this.options.compiler);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new DeviceUnavailableError(NAME, `onnxruntime-web's wasm runtime failed to start: ${(e as Error).message}`, { cause: e });
    }
    this.ort = started.ort;
    const warnings: string[] = [];
    if (started.threads !== this.options.threads)
      warnings.push(`threads=${this.options.threads} requested, onnxruntime-web runs ${started.threads} (0 means its own choice; 1 when workers are unavailable)`);
    this.info = {
      device: NAME,
      runtime: PACKAGE,
      runtimeVersion: started.ort.env.versions.web ?? 'unknown',
      ep: 'wasm',
      options: {
        threads: started.threads,
        simd: 'fixed',
        executionMode: 'sequential',
        graphOptimizationLevel: this.options.graphOptimizationLevel,
        binary: WASM_BINARY,
        outputs: this.options.outputs,
        compiler: started.compiler,
      },
      host: hostInfo(),
      timing:
        this.options.outputs === 'sliced'
          ? 'wall clock (performance.now) per session.run in Node, inputs created once (copied into the wasm heap every run), outputs kept in the heap (each returned as a Slice of its first element)'
          : 'wall clock (performance.now) per session.run in Node, inputs created once, every output copied out every run',
    };
    if (warnings.length) this.info.warnings = warnings;
    return this.info;
  }

  /** Runs ONNX conformance cases with this device's session options (devices/conformance). */
  conformanceRunner(): ConformanceRunner {
    if (!this.ort) throw new Error(`${NAME}: conformanceRunner() called before init()`);
    return ortRunner(this.ort, { ...this.sessionOptions(), logSeverityLevel: 4 });
  }
}

export const ortWasmFactory = {
  name: NAME,
  options: ['threads', 'simd', 'graphOptimizationLevel', 'outputs', 'compiler'],
  legacyOptions: { outputs: LEGACY_OUTPUT_MODE, compiler: LEGACY_COMPILER },
  description: 'onnxruntime-web, WebAssembly EP in Node (options: threads, simd, graphOptimizationLevel, outputs=sliced|full, compiler=turbofan|liftoff)',
  available: availableWhen(findOrtWeb),
  create: (options: DeviceOptions) => new OrtWasmDevice(options),
} satisfies DeviceFactory;
