// The remote client: any browser that opens the session URL runs this. It loads onnxruntime-web as the
// server's /config says, introduces itself (/hello), then pulls tasks (/work), runs them and posts the
// results (/result) until the tab is closed. A reload keeps the client id (sessionStorage), so the
// server re-issues whatever this tab had not answered.
import { browserInfo } from './browser-info.js';
import { loadOrt, openOrtModel } from './ort-runner.js';

const base = location.pathname.replace(/\/+$/, ''); // /s/<token>
const statusEl = document.getElementById('status');
const logEl = document.getElementById('log');
const CLIENT_KEY = 'hwnas-remote-client';

function status(text) {
  statusEl.textContent = text;
}

function log(text) {
  logEl.textContent = `${new Date().toLocaleTimeString()} ${text}\n` + logEl.textContent.slice(0, 20000);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fetch with retries on network failures (a phone switching networks), not on HTTP errors. */
async function request(path, init) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(base + path, { cache: 'no-store', ...init });
    } catch (e) {
      if (attempt >= 30) throw e;
      status(`server unreachable, retrying… (${e.message})`);
      await sleep(Math.min(5000, 250 * 2 ** attempt));
    }
  }
}

async function json(path, init) {
  const res = await request(path, init);
  const body = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) throw Object.assign(new Error(body?.error ?? `${res.status} ${res.statusText}`), { status: res.status });
  return body;
}

const post = (path, body) => json(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function bytes(url) {
  const res = await request(url.slice(base.length));
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function start() {
  const config = await json('/config');
  let ep = config.ep;
  const wantGpu = ep !== 'wasm';
  let loaded = await loadOrt(`/ort/${config.bundle}`, { numThreads: config.threads, webgpu: wantGpu, gpuProfiling: config.timing === 'gpu' });
  if (wantGpu && loaded.adapterError) {
    if (ep === 'webgpu') throw new Error(`this browser cannot run the WebGPU EP: ${loaded.adapterError}`);
    log(`no WebGPU (${loaded.adapterError}): using the wasm EP`);
    ep = 'wasm';
  } else if (ep === 'auto') ep = 'webgpu';
  const { ort, ...info } = loaded;
  const hello = {
    clientId: sessionStorage.getItem(CLIENT_KEY) ?? undefined,
    ...(await browserInfo()),
    ep,
    ortVersion: info.versions.web ?? info.versions.common,
    numThreads: ort.env.wasm.numThreads,
    crossOriginIsolated: info.crossOriginIsolated,
    tickMs: info.tickMs,
    ...(ep === 'webgpu' ? { adapter: info.adapter } : {}),
  };
  const { clientId } = await post('/hello', hello);
  sessionStorage.setItem(CLIENT_KEY, clientId);
  log(`connected as ${clientId}: onnxruntime-web ${hello.ortVersion}, ${ep} EP${info.adapter ? ` on ${info.adapter.vendor} ${info.adapter.architecture}` : ''}`);
  return { ort, clientId, options: { ep, graphOptimizationLevel: config.graphOptimizationLevel, timing: ep === 'webgpu' ? config.timing : 'wall', preferredLayout: config.preferredLayout, tickMs: info.tickMs } };
}

async function openModel(ort, model, options) {
  const inputs = await Promise.all(model.inputs.map(async (i) => ({ name: i.name, shape: i.shape, data: new Float32Array((await bytes(i.url)).buffer) })));
  return openOrtModel(ort, await bytes(model.url), inputs, options);
}

async function main() {
  const { ort, clientId, options } = await start();
  let current; // { url, runner }
  let done = 0;
  for (;;) {
    status(`waiting for work… (${done} tasks done)`);
    const task = await json(`/work?client=${encodeURIComponent(clientId)}`);
    if (!task) continue;
    status(`${task.kind} ${task.model.key}`);
    try {
      let body;
      // A cold task always measures a fresh session; a samples task reuses the open one, or opens it
      // and runs it once untimed (after a reload, the cold run was taken before).
      if (task.kind === 'cold' || current?.url !== task.model.url) {
        await current?.runner.release();
        current = undefined;
        const runner = await openModel(ort, task.model, options);
        current = { url: task.model.url, runner };
        const coldMs = await runner.cold();
        if (task.kind === 'cold') body = { setupMs: runner.setupMs, coldMs };
      }
      if (task.kind === 'samples') body = { samples: await current.runner.samples(task.count) };
      await post('/result', { client: clientId, item: task.id, ...body });
      done++;
    } catch (e) {
      if (e.status) throw e; // the server refused us: say so instead of looping
      log(`failed: ${task.kind} ${task.model.key}: ${e.message}`);
      await post('/result', { client: clientId, item: task.id, error: String(e.message ?? e).slice(0, 1900) }).catch(() => undefined);
      await current?.runner.release().catch(() => undefined);
      current = undefined;
    }
  }
}

main().catch((e) => {
  status(`stopped: ${e.message}`);
  log(`stopped: ${e.message}`);
});
