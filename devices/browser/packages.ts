/**
 * Where the runtimes the page loads live on disk: onnxruntime-web's and tfjs's dist folders, found in
 * node_modules by module resolution (no module is loaded). Each returns a reason when it is missing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function distOf(pkg: string, file: string): { dir: string } | { reason: string } {
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    return { reason: `the '${pkg}' package is not installed (npm install ${pkg})` };
  }
  const dir = path.dirname(entry);
  return existsSync(path.join(dir, file)) ? { dir } : { reason: `'${pkg}' has no ${file} in ${dir}; reinstall the package` };
}

/** onnxruntime-web's dist/ holding `bundle` (an ESM bundle such as ort.all.bundle.min.mjs). */
export const ortWebDist = (bundle: string) => distOf('onnxruntime-web', bundle);

/** tfjs's union UMD bundle (core + layers + converter + cpu + webgl backends). */
export const TFJS_SCRIPT = 'tf.min.js';
export const tfjsDist = () => distOf('@tensorflow/tfjs', TFJS_SCRIPT);

/** The WebGPU backend for tfjs is a separate package; its UMD bundle registers on top of tf.min.js. */
export const TFJS_WEBGPU_SCRIPT = 'tf-backend-webgpu.min.js';
export const tfjsWebgpuDist = () => distOf('@tensorflow/tfjs-backend-webgpu', TFJS_WEBGPU_SCRIPT);
