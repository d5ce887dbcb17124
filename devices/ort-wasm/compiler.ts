/**
 * Which of V8's WebAssembly compilers runs onnxruntime-web's kernels (device option `compiler`).
 *
 * V8 compiles wasm lazily (a function on its first call) and, by default, with Liftoff, its baseline
 * compiler; a function that runs enough is recompiled by TurboFan in the background (dynamic tiering), and
 * calls switch to the faster code whenever that finishes. A fresh process therefore times its first rounds
 * partly on baseline code, up to 10–25× slower, and how many depends on when tier-up finishes: the same model
 * measured in two processes (a profile, then `nas verify`) was 3.4–8.3× apart (docs/benchmarks.md).
 *
 *   turbofan  `--no-liftoff`: every function is compiled by TurboFan when it is first called, so every run
 *             after a model's first is on the code it keeps (process medians 1.04× apart against 1.9× on
 *             Liftoff in the same run, +2.6 s to a process's first figure: docs/benchmarks.md). The default.
 *   liftoff   V8's own default (`--liftoff --wasm-lazy-compilation --wasm-dynamic-tiering`, all three set, so it
 *             holds even in a process started with `--no-liftoff`, which turns the other two off): baseline code
 *             first, TurboFan later; every LUT measured before the option was recorded.
 *
 * Set from inside the process, `--no-liftoff` keeps lazy compilation: only the functions a model calls are
 * compiled, each on its first call (in the model's cold run). `node --no-liftoff` on the command line also turns
 * lazy compilation off through V8's flag implications, so there the whole module is compiled up front.
 *
 * The flag is set with v8.setFlagsFromString before the runtime compiles its module and stays set: compilation
 * is lazy, so functions first called later are compiled under it too. V8's flags are the process's, so any
 * WebAssembly compiled later in the same process (another wasm runtime) gets the same compiler.
 */
import { setFlagsFromString } from 'node:v8';
import type { DeviceOptions } from '../types.js';
import { enumOption } from '../options.js';

export const WASM_COMPILERS = ['turbofan', 'liftoff'] as const;
export type WasmCompiler = (typeof WASM_COMPILERS)[number];

/** The V8 flag each compiler setting sets. */
export const COMPILER_FLAG: Readonly<Record<WasmCompiler, string>> = {
  turbofan: '--no-liftoff',
  liftoff: '--liftoff --wasm-lazy-compilation --wasm-dynamic-tiering',
};

/** What LUTs measured before the option was recorded ran on (lut/validate.ts fills it in for them). */
export const LEGACY_COMPILER: WasmCompiler = 'liftoff';

export const compilerOption = (device: string, options: DeviceOptions): WasmCompiler => enumOption(device, options, 'compiler', WASM_COMPILERS, 'turbofan');

/** Sets V8's flag for `compiler`; call before the wasm module is compiled. */
export function useWasmCompiler(compiler: WasmCompiler): void {
  setFlagsFromString(COMPILER_FLAG[compiler]);
}
