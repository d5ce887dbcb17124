// The page a local browser device drives through page.evaluate: window.hwnas is its whole API. One
// runtime per page (loaded once) and one open model at a time; bytes (models, inputs) are fetched from
// the page server by URL rather than passed through evaluate.
import { deviceLost, loadOrt, openOrtModel, runOrtOnce } from './ort-runner.js';
import { loadTfjs, openTfjsModel } from './tfjs-runner.js';
import { browserInfo } from './browser-info.js';

let runtime; // { kind: 'ort', ort, config } | { kind: 'tfjs', tf, tickMs }
let open; // the open model's runner

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchInputs(inputs) {
  return Promise.all(inputs.map(async (i) => ({ name: i.name, shape: i.shape, data: new Float32Array((await fetchBytes(i.url)).buffer) })));
}

async function closeOpen() {
  const was = open;
  open = undefined;
  if (was) await was.release();
}

window.hwnas = {
  /** config: { url, ep, numThreads, graphOptimizationLevel, timing }. */
  async loadOrt(config) {
    if (runtime) throw new Error('a runtime is already loaded in this page');
    const gpuProfiling = config.timing === 'auto' ? 'auto' : config.timing === 'gpu';
    const { ort, ...info } = await loadOrt(config.url, { numThreads: config.numThreads, webgpu: config.ep === 'webgpu', gpuProfiling });
    // 'auto' is settled here, by the adapter's features: the models opened later are timed the chosen way.
    runtime = { kind: 'ort', ort, config: { ...config, timing: info.gpuTiming ? 'gpu' : 'wall' }, tickMs: info.tickMs };
    return { ...info, numThreads: ort.env.wasm.numThreads, ...(await browserInfo()) };
  },

  async loadTfjs({ scripts, backend }) {
    if (runtime) throw new Error('a runtime is already loaded in this page');
    const info = await loadTfjs(scripts, backend);
    if (!info.error) runtime = { kind: 'tfjs', tf: globalThis.tf, tickMs: info.tickMs };
    return { ...info, ...(await browserInfo()) };
  },

  /** model: { modelUrl | program, inputs: [{ name, shape, url }] }; returns the session setup time. */
  async open(model) {
    await closeOpen();
    const inputs = await fetchInputs(model.inputs);
    if (runtime?.kind === 'ort') {
      const { ort, config } = runtime;
      open = await openOrtModel(ort, await fetchBytes(model.modelUrl), inputs, { ...config, tickMs: runtime.tickMs });
    } else if (runtime?.kind === 'tfjs') {
      open = await openTfjsModel(runtime.tf, model.program, inputs, { tickMs: runtime.tickMs });
    } else throw new Error('no runtime loaded');
    return open.setupMs;
  },

  /** Runs an ONNX model once and returns its outputs (conformance checks); feeds: [{ name, type, dims, url }]. */
  async runOnce({ modelUrl, feeds }) {
    if (runtime?.kind !== 'ort') throw new Error('runOnce needs onnxruntime-web loaded');
    const inputs = await Promise.all(feeds.map(async (f) => ({ ...f, bytes: await fetchBytes(f.url) })));
    return runOrtOnce(runtime.ort, await fetchBytes(modelUrl), inputs, runtime.config);
  },

  cold: () => open.cold(),
  samples: (count) => open.samples(count),
  close: () => closeOpen(),
  /** Why the WebGPU device is gone, if it is. */
  lost: () => deviceLost(),
};
window.hwnasReady = true;
