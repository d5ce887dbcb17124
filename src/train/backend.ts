/**
 * The tfjs backend training runs on, best first:
 *   tensorflow  @tensorflow/tfjs-node (native TensorFlow; optional, it does not install offline)
 *   wasm        @tensorflow/tfjs-backend-wasm with SIMD, plus the training kernels it lacks
 *               (kernels/register.ts); threads do not start in Node, so one core
 *   cpu         plain JS; with the same replacement kernels (its own conv gradients are loops)
 * `auto` takes the first that loads and reports why the others did not.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../core/errors.js';
import { registerTrainingKernels } from './kernels/register.js';

import { TRAIN_BACKENDS, type BackendPreference, type TrainBackendName } from '../core/contracts.js';

export { TRAIN_BACKENDS, type BackendPreference, type TrainBackendName };

export interface TrainBackendInfo {
  name: TrainBackendName;
  /** e.g. "wasm (SIMD, 1 thread, training kernels)". */
  detail: string;
  /** Why earlier choices of `auto` were not taken. */
  skipped: string[];
}

export interface BackendOptions {
  /** cpu only: keep tfjs's own gradient kernels instead of the replacements (for comparisons). */
  stockCpuKernels?: boolean;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
let wasmPathsSet = false;

async function tryTensorflow(): Promise<string> {
  // A variable specifier: the package is optional and absent from the type graph.
  const specifier = TFJS_NODE;
  await import(specifier);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" did not initialise');
  return 'tensorflow (tfjs-node, native)';
}

async function tryWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(main) + path.sep);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('backend "wasm" did not initialise');
  registerTrainingKernels('wasm');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return `wasm (${simd ? 'SIMD' : 'no SIMD'}, 1 thread, training kernels)`;
}

async function tryCpu(opts: BackendOptions): Promise<string> {
  if (!(await tf.setBackend('cpu'))) throw new Error('backend "cpu" did not initialise');
  if (opts.stockCpuKernels) return 'cpu (stock kernels)';
  registerTrainingKernels('cpu');
  return 'cpu (training kernels)';
}

/** Selects (and initialises) the training backend. */
export async function useTrainingBackend(prefer: BackendPreference = 'auto', opts: BackendOptions = {}): Promise<TrainBackendInfo> {
  if (prefer !== 'auto' && !TRAIN_BACKENDS.includes(prefer))
    throw new UserError(`unknown training backend '${prefer}'`, { hint: `choose auto, ${TRAIN_BACKENDS.join(', ')}` });
  const order = prefer === 'auto' ? TRAIN_BACKENDS : [prefer];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const detail = name === 'tensorflow' ? await tryTensorflow() : name === 'wasm' ? await tryWasm() : await tryCpu(opts);
      return { name, detail, skipped };
    } catch (e) {
      skipped.push(`[${name}] ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new UserError(`training backend '${prefer}' is not available here: ${skipped.join('; ')}`, {
    hint: prefer === 'tensorflow' ? `install ${TFJS_NODE} (it downloads libtensorflow at install time), or use --backend wasm` : 'use --backend auto',
  });
}
