/**
 * Loading tfjs with one backend: 'cpu' (plain JS kernels, in @tensorflow/tfjs), 'wasm'
 * (@tensorflow/tfjs-backend-wasm, XNNPACK; SIMD in Node, no threads there) or 'tensorflow'
 * (@tensorflow/tfjs-node, libtensorflow; optional, it does not install offline).
 *
 * tfjs keeps one active backend per process (tf.setBackend): each device switches to its own before
 * it builds or runs anything. The wasm backend starts once per process with one SIMD setting.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { UserError } from '../../src/core/errors.js';

export type TfBackend = 'cpu' | 'wasm' | 'tensorflow';

const TFJS = '@tensorflow/tfjs';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';
const TFJS_NODE = '@tensorflow/tfjs-node';
const require = createRequire(import.meta.url);

function resolves(pkg: string): string | undefined {
  try {
    return require.resolve(pkg);
  } catch {
    return undefined;
  }
}

/** Whether `backend` can load here, judged from installed files only; a string says why not and what to do. */
export function findTfBackend(backend: TfBackend): true | string {
  if (!resolves(TFJS)) return `the '${TFJS}' package is not installed (npm install ${TFJS})`;
  if (backend === 'wasm') {
    const entry = resolves(TFJS_WASM);
    if (!entry) return `the '${TFJS_WASM}' package is not installed (npm install ${TFJS_WASM})`;
    // The .wasm files sit next to the package's Node entry (dist/).
    if (!existsSync(path.join(path.dirname(entry), 'tfjs-backend-wasm-simd.wasm'))) return `'${TFJS_WASM}' has no .wasm files in ${path.dirname(entry)}; reinstall it`;
  }
  if (backend === 'tensorflow' && !resolves(TFJS_NODE))
    return (
      `the optional package '${TFJS_NODE}' is not installed: npm install ${TFJS_NODE} ` +
      '(its install script downloads libtensorflow, so it needs network access and a supported linux/macOS/windows x64 host)'
    );
  return true;
}

export interface TfRuntime {
  tf: typeof TF;
  backend: TfBackend;
  version: string;
  /** What the backend runs with (recorded in DeviceInfo.options). */
  options: Record<string, string | number | boolean>;
}

let wasmStart: { simd: boolean; started: Promise<string> } | undefined;

/** Starts the wasm backend once per process; returns the backend package's version. */
async function startWasm(tf: typeof TF, simd: boolean): Promise<string> {
  if (wasmStart && wasmStart.simd !== simd)
    throw new UserError(`tfjs-wasm already runs in this process with simd=${wasmStart.simd}; it cannot restart with simd=${simd}`, {
      hint: 'measure each SIMD setting in its own process',
    });
  if (!wasmStart) {
    const started = (async () => {
      const wasm = await import(TFJS_WASM);
      wasm.setWasmPaths(path.dirname(require.resolve(TFJS_WASM)) + path.sep);
      // Read when the backend initialises: false makes it load the non-SIMD binary.
      if (!simd) tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false (the backend failed to initialise)');
      return wasm.version_wasm;
    })();
    wasmStart = { simd, started };
    started.catch(() => (wasmStart = undefined));
  }
  const version = await wasmStart.started;
  // Another device may have switched tfjs to its backend since the start.
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  return version;
}

/** Loads tfjs with `backend` active; throws (with the cause) when the backend cannot start. */
export async function loadTf(backend: TfBackend, opts: { simd: boolean }): Promise<TfRuntime> {
  if (backend === 'tensorflow') {
    // tfjs-node re-exports the whole tfjs API bound to its native backend.
    const tf = (await import(TFJS_NODE as string)) as typeof TF;
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
    const version = (tf.version as Record<string, string>)['tfjs-node'] ?? tf.version.tfjs;
    return { tf, backend, version, options: { layout: 'NHWC' } };
  }
  const tf = await import(TFJS);
  if (backend === 'wasm') {
    const version = await startWasm(tf, opts.simd);
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'multi' : 1;
    return { tf, backend, version, options: { layout: 'NHWC', simd, threads } };
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
  return { tf, backend, version: tf.version.tfjs, options: { layout: 'NHWC' } };
}
