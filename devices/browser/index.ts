/**
 * The browser devices: a runtime in a page of a real Chrome/Chromium/Edge driven by playwright-core.
 *   webgpu        onnxruntime-web, WebGPU EP
 *   browser-wasm  onnxruntime-web, wasm EP
 *   tfjs-webgl    TensorFlow.js, webgl backend
 *   tfjs-webgpu   TensorFlow.js, webgpu backend (needs @tensorflow/tfjs-backend-webgpu)
 * Options they all read: browser (executable), browserEndpoint (ws:// of a running browser), headless,
 * browserArgs (extra flags), port (page server). See docs/devices-browser.md.
 */
import { createRequire } from 'node:module';
import { LEGACY_OUTPUT_MODE } from '../ort-outputs.js';
import type { DeviceFactory, DeviceOptions } from '../types.js';
import { BrowserDevice } from './browser-device.js';
import { findBrowser } from './find-browser.js';
import { OrtPageRuntime, ORT_BUNDLES, parseOrtPageOptions } from './ort-runtime.js';
import { ortWebDist, tfjsDist, tfjsWebgpuDist } from './packages.js';
import { TfjsPageRuntime } from './tfjs-runtime.js';

/** Cheap checks shared by every browser device: playwright-core and a browser to launch. */
export function browserAvailable(): true | string {
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    return "the 'playwright-core' package is not installed (npm install playwright-core)";
  }
  // A browser reached over an endpoint needs no local executable; options are not seen here, so the
  // endpoint can be announced through the environment too.
  if (process.env.NAS_BROWSER_ENDPOINT) return true;
  const found = findBrowser();
  return 'reason' in found ? found.reason : true;
}

const both = (...checks: (() => true | string | { reason: string } | { dir: string })[]) => async (): Promise<true | string> => {
  for (const check of checks) {
    const r = check();
    if (typeof r === 'string') return r;
    if (typeof r === 'object' && 'reason' in r) return r.reason;
  }
  return true;
};

/** The endpoint from the options, else from NAS_BROWSER_ENDPOINT. */
/** Options every browser device reads (launchOptions, the page server's port), and those of the ORT page. */
const LAUNCH_OPTIONS = ['browser', 'browserEndpoint', 'headless', 'browserArgs', 'port', 'callTimeout'] as const;
const ORT_PAGE_OPTIONS = [...LAUNCH_OPTIONS, 'bundle', 'threads', 'graphOptimizationLevel', 'timing', 'preferredLayout', 'ortDir', 'outputs'] as const;

function withEndpoint(options: DeviceOptions): DeviceOptions {
  return options.browserEndpoint || !process.env.NAS_BROWSER_ENDPOINT ? options : { ...options, browserEndpoint: process.env.NAS_BROWSER_ENDPOINT };
}

export const webgpuFactory = {
  options: ORT_PAGE_OPTIONS,
  name: 'webgpu',
  legacyOptions: { outputs: LEGACY_OUTPUT_MODE },
  description: 'onnxruntime-web WebGPU EP in Chrome/Chromium/Edge (options: bundle=all|webgpu, timing=auto|wall|gpu, outputs=sliced|full, threads, browser, browserEndpoint, headless, browserArgs)',
  available: both(browserAvailable, () => ortWebDist(ORT_BUNDLES.all)),
  create: (options: DeviceOptions) => new BrowserDevice('webgpu', new OrtPageRuntime('webgpu', parseOrtPageOptions('webgpu', 'webgpu', options)), withEndpoint(options)),
} satisfies DeviceFactory;

export const browserWasmFactory = {
  options: ORT_PAGE_OPTIONS,
  name: 'browser-wasm',
  legacyOptions: { outputs: LEGACY_OUTPUT_MODE },
  description: 'onnxruntime-web wasm EP in Chrome/Chromium/Edge (options: threads, bundle=wasm|all, graphOptimizationLevel, outputs=sliced|full, browser, browserEndpoint, headless)',
  available: both(browserAvailable, () => ortWebDist(ORT_BUNDLES.wasm)),
  create: (options: DeviceOptions) =>
    new BrowserDevice('browser-wasm', new OrtPageRuntime('browser-wasm', parseOrtPageOptions('browser-wasm', 'wasm', options)), withEndpoint(options)),
} satisfies DeviceFactory;

export const tfjsWebglFactory = {
  options: LAUNCH_OPTIONS,
  name: 'tfjs-webgl',
  description: 'TensorFlow.js webgl backend in Chrome/Chromium/Edge, models rebuilt from their ops (options: browser, browserEndpoint, headless, browserArgs)',
  available: both(browserAvailable, tfjsDist),
  create: (options: DeviceOptions) => new BrowserDevice('tfjs-webgl', new TfjsPageRuntime('tfjs-webgl', 'webgl'), withEndpoint(options)),
} satisfies DeviceFactory;

export const tfjsWebgpuFactory = {
  options: LAUNCH_OPTIONS,
  name: 'tfjs-webgpu',
  description: 'TensorFlow.js webgpu backend in Chrome/Chromium/Edge (needs @tensorflow/tfjs-backend-webgpu)',
  available: both(tfjsWebgpuDist, browserAvailable, tfjsDist),
  create: (options: DeviceOptions) => new BrowserDevice('tfjs-webgpu', new TfjsPageRuntime('tfjs-webgpu', 'webgpu'), withEndpoint(options)),
} satisfies DeviceFactory;
