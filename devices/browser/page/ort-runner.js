// onnxruntime-web in the page: loading a bundle, describing the WebGPU adapter, and opening one model
// for timing. Shared by the local bench page and the remote client page.
import { makeSampler, timerTickMs } from './timing.js';

/** Events from ORT's WebGPU profiling (JSEP bundle only); the open model's runner drains them. */
const gpuEvents = [];
/** Why each lost GPUDevice was lost. onnxruntime-web's native WebGPU EP destroys its device with its
 * last session and makes a new one for the next, so only the loss of the device in use counts. */
const lostDevices = new WeakMap();
/** The GPUDevice of the open model. */
let currentDevice;

function adapterInfo(adapter) {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description || info.device || '',
    isFallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
    features: [...adapter.features].sort(),
  };
}

/** The WebGPU adapter this page gets, or why there is none. */
export async function probeAdapter() {
  if (!globalThis.isSecureContext) return { error: 'the page is not a secure context (WebGPU needs https:// or localhost)' };
  if (!navigator.gpu) return { error: 'this browser has no WebGPU (navigator.gpu is undefined)' };
  const adapter = await navigator.gpu.requestAdapter().catch((e) => ({ failed: String(e) }));
  if (!adapter) return { error: 'navigator.gpu.requestAdapter() returned null (Chromium needs --enable-unsafe-webgpu on Linux, or a GPU driver it accepts)' };
  if (adapter.failed) return { error: `requestAdapter() failed: ${adapter.failed}` };
  return { adapter, info: adapterInfo(adapter) };
}

/**
 * Imports onnxruntime-web from `url` and configures it before any session exists (the wasm thread
 * count and the WebGPU adapter and profiling can only be set then). gpuProfiling: true, false, or
 * 'auto' (on when the adapter has the timestamp-query feature); result.gpuTiming says what was chosen.
 */
export async function loadOrt(url, { numThreads, webgpu, gpuProfiling }) {
  let ort;
  try {
    ort = await import(url);
  } catch (e) {
    throw new Error(`could not load onnxruntime-web from ${url}: ${e?.message ?? e}`);
  }
  if (!ort.InferenceSession) throw new Error(`${url} loaded, but it is not onnxruntime-web (no InferenceSession export)`);
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = numThreads;
  const result = { versions: { ...ort.env.versions }, crossOriginIsolated: globalThis.crossOriginIsolated === true, tickMs: timerTickMs() };
  if (webgpu) {
    const probe = await probeAdapter();
    if (probe.error) return { ...result, adapterError: probe.error, ort };
    ort.env.webgpu.adapter = probe.adapter;
    result.gpuTiming = gpuProfiling === true || (gpuProfiling === 'auto' && probe.info.features.includes('timestamp-query'));
    if (result.gpuTiming) ort.env.webgpu.profiling = { mode: 'default', ondata: (e) => gpuEvents.push(e) };
    result.adapter = probe.info;
  }
  return { ...result, ort };
}

function watchDevice(device) {
  if (!device || device.__hwnasWatched) return;
  device.__hwnasWatched = true;
  device.lost.then((info) => {
    lostDevices.set(device, `WebGPU device lost (${info.reason || 'unknown reason'}${info.message ? ': ' + info.message : ''})`);
  });
}

/** Why the WebGPU device in use is gone, if it is. */
export function deviceLost() {
  return currentDevice && lostDevices.get(currentDevice);
}

function throwIfLost() {
  const lost = deviceLost();
  if (lost) throw new Error(lost);
}

function executionProvider(ep, preferredLayout) {
  return ep === 'webgpu' && preferredLayout ? { name: 'webgpu', preferredLayout } : ep;
}

/**
 * Opens a model for timing. inputs: [{ name, shape, data: Float32Array }].
 * WebGPU keeps everything on the GPU: inputs are uploaded once into GPU buffers and outputs stay there
 * (preferredOutputLocation 'gpu-buffer'), so a run is dispatch + kernels, waited for with
 * queue.onSubmittedWorkDone(), and never a download.
 */
export async function openOrtModel(ort, bytes, inputs, { ep, graphOptimizationLevel, timing, tickMs, preferredLayout }) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [executionProvider(ep, preferredLayout)],
    graphOptimizationLevel,
    executionMode: 'sequential',
    ...(ep === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' } : {}),
  });
  const setupMs = performance.now() - t0;
  const buffers = [];
  const feeds = {};
  let device;
  if (ep === 'webgpu') {
    device = await ort.env.webgpu.device;
    watchDevice(device);
    currentDevice = device;
    throwIfLost();
    for (const input of inputs) {
      const size = Math.ceil(input.data.byteLength / 16) * 16;
      const buffer = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, input.data);
      buffers.push(buffer);
      feeds[input.name] = ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: input.shape });
    }
  } else {
    for (const input of inputs) feeds[input.name] = new ort.Tensor('float32', input.data, input.shape);
  }

  async function run() {
    throwIfLost();
    gpuEvents.length = 0;
    const outputs = await session.run(feeds);
    if (!device) return undefined;
    for (const t of Object.values(outputs)) t.dispose();
    await device.queue.onSubmittedWorkDone();
    throwIfLost();
    if (timing !== 'gpu') return undefined;
    let ns = 0;
    for (const e of gpuEvents) ns += Number(e.endTime) - Number(e.startTime);
    return ns / 1e6;
  }

  const sampler = makeSampler(run, { tickMs, mode: timing });
  return {
    setupMs,
    cold: sampler.cold,
    samples: sampler.samples,
    async release() {
      await session.release();
      for (const b of buffers) b.destroy();
      currentDevice = undefined;
    },
  };
}

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Runs a model once on CPU-side feeds and returns its outputs read back, for ONNX conformance checks.
 * feeds: [{ name, type, dims, bytes: Uint8Array }]; outputs: [{ name, type, dims, base64 }].
 */
export async function runOrtOnce(ort, modelBytes, feeds, { ep, graphOptimizationLevel, preferredLayout }) {
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: [executionProvider(ep, preferredLayout)], graphOptimizationLevel });
  try {
    if (ep === 'webgpu') {
      currentDevice = await ort.env.webgpu.device;
      watchDevice(currentDevice);
      throwIfLost();
    }
    const inputs = {};
    for (const f of feeds) {
      const Ctor = ARRAYS[f.type];
      if (!Ctor) throw new Error(`input '${f.name}': element type ${f.type} is not handled`);
      inputs[f.name] = new ort.Tensor(f.type, new Ctor(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength / Ctor.BYTES_PER_ELEMENT), f.dims);
    }
    const outputs = await session.run(inputs);
    return Object.entries(outputs).map(([name, t]) => {
      const data = t.data;
      return { name, type: t.type, dims: [...t.dims], base64: toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
    });
  } finally {
    await session.release();
    currentDevice = undefined;
  }
}
