/**
 * `remote`: profiling on any browser that can open a URL — a phone, a tablet, another laptop.
 *
 * init() starts the page server (loopback unless a host is given), prints the session URL (random token
 * included) and a QR code on stderr, and waits for the first browser to open it and describe itself;
 * that browser's user agent and adapter define the device, and only browsers matching it may join later.
 * time() drives the shared timing loop (devices/harness.ts) through the work queue: each cold run and
 * each batch of k samples is a task that the browser pulls, runs with onnxruntime-web, and answers.
 * See api.ts for the HTTP API and queue.ts for how tasks survive reloads and disconnects.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import type { OpInstance } from '../../src/core/ops.js';
import { launchOptions } from '../browser/browser-device.js';
import { pageDir } from '../browser/browser-page.js';
import { feedBytes } from '../browser/feed-values.js';
import { launchBrowser, type LaunchedBrowser } from '../browser/launcher.js';
import { ORT_BUNDLES, ortWebSupports } from '../browser/ort-runtime.js';
import { ortWebDist } from '../browser/packages.js';
import { PageServer } from '../browser/server.js';
import { measure, type SampleSource } from '../harness.js';
import { TINY_INPUT, tinyAddModel } from '../ort-wasm/tiny-model.js';
import { enumOption, numberOption } from '../options.js';
import { LEGACY_OUTPUT_MODE, outputsOption, timedBytes, type OutputMode } from '../ort-outputs.js';
import { booleanOption } from '../ort-wasm/bool-option.js';
import type { Device, DeviceFactory, DeviceInfo, DeviceOptions, ModelUnderTest, TimingProtocol, TimingResult } from '../types.js';
import { RemoteApi, type RemoteClientConfig } from './api.js';
import { announcement, sessionUrls } from './announce.js';
import type { ClientHello, ColdResult, RemoteModel, RemoteTask, TaskResult } from './messages.js';
import { WorkQueue } from './queue.js';

const NAME = 'remote';
const OPT_LEVELS = ['all', 'extended', 'basic', 'disabled'] as const;
const KERNEL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

export interface RemoteOptions {
  host: string;
  port: number;
  client: RemoteClientConfig;
  /** How long to wait for a browser to connect, and for a vanished one to come back (0: forever). */
  connectTimeoutMs: number;
  /** A task not answered within this time is issued again. */
  leaseMs: number;
  /** How long a client's poll for work is held open. */
  pollMs: number;
  /** 'local': the device opens the URL itself in a local headless browser (self-test, CI). */
  launchClient: boolean;
  /** PEM files: serve https, so that a browser on a LAN address gets a secure context (WebGPU, threads). */
  tls?: { cert: string; key: string };
  /**
   * Whether each model's outputs are read by a one-element Slice and kept inside the session (devices/ort-outputs.ts),
   * rewritten here before the browser fetches the model; absent: decided by the EP the browser runs (as browser-wasm
   * and webgpu decide: sliced on wasm, full on WebGPU, whose outputs stay on the GPU).
   */
  outputs?: OutputMode;
}

export function parseRemoteOptions(options: DeviceOptions): RemoteOptions {
  // Opening a port for other machines' browsers is never implicit.
  if (!booleanOption(NAME, options, 'serve', false))
    throw new UserError(`device '${NAME}' serves a page for a browser on another device to open: say so with --serve`, {
      hint: 'nas-profile --device remote --serve [--host 0.0.0.0] [--port N] (or --device-opt serve=true)',
    });
  const ep = enumOption(NAME, options, 'ep', ['auto', 'webgpu', 'wasm'] as const, 'auto');
  const bundle = enumOption(NAME, options, 'bundle', ['all', 'webgpu', 'wasm'] as const, ep === 'wasm' ? 'wasm' : 'all');
  const timing = enumOption(NAME, options, 'timing', ['wall', 'gpu'] as const, 'wall');
  if (bundle === 'wasm' && ep !== 'wasm') throw new UserError(`device '${NAME}': bundle=wasm has no WebGPU EP; use ep=wasm or bundle=all`);
  if (timing === 'gpu' && bundle !== 'all') throw new UserError(`device '${NAME}': timing=gpu needs bundle=all (only the JSEP bundle reports kernel times)`);
  const num = (key: string, fallback: number, min: number) => numberOption(NAME, options, key, fallback, { min, integer: true });
  return {
    host: options.host === undefined || options.host === '' ? '127.0.0.1' : String(options.host),
    port: num('port', 0, 0),
    client: {
      ep,
      bundle: ORT_BUNDLES[bundle],
      threads: num('threads', 1, 0),
      graphOptimizationLevel: enumOption(NAME, options, 'graphOptimizationLevel', OPT_LEVELS, 'all'),
      timing,
      preferredLayout: enumOption(NAME, options, 'preferredLayout', ['NHWC', 'NCHW'] as const, 'NHWC'),
    },
    connectTimeoutMs: num('connectTimeoutMs', 600_000, 0),
    leaseMs: num('leaseMs', 60_000, 1),
    pollMs: num('pollMs', 20_000, 1),
    launchClient: enumOption(NAME, options, 'client', ['none', 'local'] as const, 'none') === 'local',
    tls: tlsFiles(options),
    outputs: options.outputs === undefined || options.outputs === '' ? undefined : outputsOption(NAME, options),
  };
}

function tlsFiles(options: DeviceOptions): RemoteOptions['tls'] {
  const cert = options.tlsCert === undefined || options.tlsCert === '' ? undefined : String(options.tlsCert);
  const key = options.tlsKey === undefined || options.tlsKey === '' ? undefined : String(options.tlsKey);
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new UserError(`device '${NAME}': https needs both tlsCert and tlsKey (PEM files)`);
  for (const file of [cert, key]) if (!existsSync(file)) throw new UserError(`device '${NAME}': ${file}: no such file`);
  return { cert, key };
}

export interface RemoteHooks {
  /** Where announcements and refusals go (default: stderr). */
  log?: (line: string) => void;
}

/** What must stay the same for every browser of one session: a LUT comes from one device. */
function fingerprint(h: ClientHello): string {
  return [h.userAgent, h.ep, h.adapter?.vendor ?? '', h.adapter?.architecture ?? '', h.adapter?.description ?? ''].join(' | ');
}

/** The OS part of a user agent: "X11; Linux x86_64", "Linux; Android 14; Pixel 8". */
const uaPlatform = (ua: string) => /\(([^)]*)\)/.exec(ua)?.[1] ?? 'unknown';

export class RemoteDevice implements Device {
  readonly name = NAME;
  private readonly o: RemoteOptions;
  private readonly log: (line: string) => void;
  private server?: PageServer;
  private api?: RemoteApi;
  private queue?: WorkQueue<RemoteTask, TaskResult>;
  private localClient?: LaunchedBrowser;
  private first?: ClientHello;
  private firstArrived?: () => void;
  private info?: DeviceInfo;
  /** The URLs browsers can open (set once the server is up). */
  urls: string[] = [];

  constructor(
    private readonly options: DeviceOptions = {},
    hooks: RemoteHooks = {},
  ) {
    this.o = parseRemoteOptions(options);
    this.log = hooks.log ?? ((line) => process.stderr.write(line + '\n'));
  }

  /** The local client's page when client=local (for tests and diagnostics). */
  clientPage?: Page;

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const ort = ortWebDist(this.o.client.bundle);
    if ('reason' in ort) throw new DeviceUnavailableError(NAME, ort.reason);
    const token = randomBytes(18).toString('base64url');
    this.queue = new WorkQueue<RemoteTask, TaskResult>(this.o.leaseMs);
    this.api = new RemoteApi({
      token,
      config: this.o.client,
      queue: this.queue,
      pollMs: this.o.pollMs,
      pageDir: pageDir(),
      log: this.log,
      admit: (hello) => this.admit(hello),
      onClientError: (task, error) => new UserError(`${NAME}: the browser could not run the ${task.kind} task of '${task.model.key}': ${error}`),
    });
    const connected = new Promise<void>((resolve) => {
      this.firstArrived = resolve;
    });
    try {
      const tls = this.o.tls && { cert: readFileSync(this.o.tls.cert), key: readFileSync(this.o.tls.key) };
      this.server = await new PageServer({ host: this.o.host, port: this.o.port || undefined, tls, mounts: { '/page/': pageDir(), '/ort/': ort.dir }, routes: [this.api.route] }).start();
      this.urls = sessionUrls(new URL(this.server.origin), `/s/${token}/`);
      this.log(announcement(this.urls, this.o.connectTimeoutMs));
      if (this.o.launchClient) await this.openLocalClient(`${this.o.tls ? 'https' : 'http'}://127.0.0.1:${this.server.port}/s/${token}/`);
      await this.within(connected, this.o.connectTimeoutMs, () => `no browser opened ${this.urls[0]} within ${this.o.connectTimeoutMs / 1000} s`);
      this.info = this.describe(this.first!);
      await this.warmUp();
    } catch (e) {
      await this.dispose();
      throw e;
    }
    return this.info;
  }

  /**
   * A one-node model run once through the whole path (task, fetch, session, result), so the browser's
   * runtime start-up (wasm instantiation, WebGPU device) is not billed to the first real model.
   */
  private async warmUp(): Promise<void> {
    const model: ModelUnderTest = { key: 'warm-up', onnx: await tinyAddModel(), inputs: [{ name: TINY_INPUT, shape: [1] }], ops: [] };
    await this.time(model, { warmup: 0, minRepeats: 1, maxRepeats: 1, maxTimeMs: 1, targetCI: 1 });
  }

  private async openLocalClient(url: string): Promise<void> {
    this.localClient = await launchBrowser(launchOptions(NAME, this.options));
    this.clientPage = this.localClient.context.pages()[0] ?? (await this.localClient.context.newPage());
    await this.clientPage.goto(url);
  }

  private admit(hello: ClientHello): true | string {
    if (!this.first) {
      this.first = hello;
      this.firstArrived?.();
      return true;
    }
    if (fingerprint(hello) === fingerprint(this.first)) return true;
    return `this session measures ${fingerprint(this.first)}; this browser is ${fingerprint(hello)}: one LUT must come from one device (start another session for it)`;
  }

  private describe(h: ClientHello): DeviceInfo {
    const warnings: string[] = [];
    const options: Record<string, string | number | boolean> = {
      bundle: this.o.client.bundle,
      threads: h.numThreads,
      graphOptimizationLevel: this.o.client.graphOptimizationLevel,
      browser: h.browserVersion || h.userAgent,
      userAgent: h.userAgent,
      crossOriginIsolated: h.crossOriginIsolated,
      outputs: this.outputsFor(h),
    };
    if (!h.crossOriginIsolated) warnings.push('the remote page is not crossOriginIsolated (not a secure context?): wasm threads are off and timers are coarse');
    let adapter: DeviceInfo['adapter'];
    if (h.adapter) {
      const { features, ...rest } = h.adapter;
      adapter = rest;
      options.timing = this.o.client.timing;
      options.io = 'gpu-buffer';
      options.preferredLayout = this.o.client.preferredLayout;
      options.adapterFeatures = KERNEL_FEATURES.filter((f) => features.includes(f)).join(',');
      if (rest.isFallback) warnings.push(`the remote WebGPU adapter is a fallback (software) adapter (${rest.vendor} ${rest.architecture})`);
    }
    const tick = `${+(h.tickMs * 1000).toFixed(1)} µs timer`;
    const sliced = this.outputsFor(h) === 'sliced' ? '; outputs kept in the session (each returned as a Slice of its first element)' : '';
    const timing =
      h.ep === 'webgpu' && this.o.client.timing === 'gpu'
        ? `GPU time per session.run in the remote browser: sum of per-kernel timestamp-query durations (onnxruntime-web WebGPU profiling)${sliced}`
        : `wall clock per session.run inside the remote browser (performance.now, ${tick}${h.ep === 'webgpu' ? ', until queue.onSubmittedWorkDone(), I/O on the GPU' : ''})${sliced}; runs shorter than 100 ticks timed in groups; k runs per task`;
    return {
      device: NAME,
      runtime: 'onnxruntime-web',
      runtimeVersion: h.ortVersion,
      ep: h.ep,
      options,
      host: { cpu: `remote browser (${uaPlatform(h.userAgent)})`, cores: h.cores, os: uaPlatform(h.userAgent), node: process.version },
      ...(adapter ? { adapter } : {}),
      timing,
      ...(warnings.length ? { warnings } : {}),
    };
  }

  /** The output mode for the session's browser (its EP decides the default). */
  private outputsFor(h: ClientHello | undefined): OutputMode {
    return this.o.outputs ?? (h?.ep === 'webgpu' ? 'full' : 'sliced');
  }

  supports(inst: OpInstance): true | string {
    // Which EP runs is known once a browser has connected (ep=auto picks WebGPU where it exists).
    return ortWebSupports(NAME, this.info?.ep ?? this.o.client.ep, this.o.client.bundle, inst);
  }

  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    const { api, queue } = this;
    if (!this.info || !api || !queue) throw new Error(`${NAME}: time() called before init()`);
    const blobs: string[] = [];
    const blob = (bytes: Uint8Array) => {
      blobs.push(api.putBlob(bytes));
      return blobs[blobs.length - 1];
    };
    const values = feedBytes(model);
    const task: RemoteModel = {
      key: model.key,
      url: blob(await timedBytes(model.onnx, this.outputsFor(this.first))),
      inputs: model.inputs.map((i) => ({ name: i.name, shape: i.shape, url: blob(values[i.name]) })),
    };
    let setupMs = 0;
    const source: SampleSource = {
      cold: async () => {
        const r = (await queue.enqueue({ kind: 'cold', model: task })) as ColdResult;
        setupMs = r.setupMs;
        return r.coldMs;
      },
      samples: (count) => queue.enqueue({ kind: 'samples', count, model: task }) as Promise<number[]>,
    };
    const watchdog = this.watchForVanishedClient(model.key);
    try {
      const { stats, coldMs } = await measure(source, protocol);
      return { stats, coldMs, setupMs };
    } finally {
      clearInterval(watchdog);
      for (const url of blobs) api.dropBlob(url);
    }
  }

  /** Fails the pending tasks when no browser has asked for work for connectTimeoutMs. */
  private watchForVanishedClient(key: string): NodeJS.Timeout | undefined {
    const limit = this.o.connectTimeoutMs;
    if (!limit) return undefined;
    const since = Date.now();
    return setInterval(() => {
      const last = Math.max(this.api!.lastPoll, since);
      if (this.queue!.size > 0 && Date.now() - last > limit)
        this.queue!.rejectAll(
          new UserError(`${NAME}: no browser has asked for work for ${Math.round(limit / 1000)} s while timing '${key}'`, {
            hint: `reopen ${this.urls[0]} on the device; entries measured so far are kept, and running the same command again resumes`,
          }),
        );
    }, Math.min(1000, limit)).unref();
  }

  private async within(p: Promise<void>, ms: number, why: () => string): Promise<void> {
    if (!ms) return p;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeviceUnavailableError(NAME, why())), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    this.info = undefined;
    this.first = undefined;
    this.queue?.rejectAll(new UserError(`${NAME}: the device was disposed`));
    this.queue?.close();
    this.queue = undefined;
    const client = this.localClient;
    this.localClient = undefined;
    this.clientPage = undefined;
    await client?.close();
    const server = this.server;
    this.server = undefined;
    this.api = undefined;
    await server?.close();
  }
}

export const remoteFactory = {
  name: NAME,
  options: ['serve', 'host', 'port', 'ep', 'bundle', 'timing', 'threads', 'graphOptimizationLevel', 'preferredLayout', 'outputs', 'connectTimeoutMs', 'leaseMs', 'pollMs', 'client', 'tlsCert', 'tlsKey'],
  legacyOptions: { outputs: LEGACY_OUTPUT_MODE },
  description:
    'any browser that opens the printed URL (phone, tablet, laptop) runs onnxruntime-web and reports back; needs --serve (options: host, port, ep=auto|webgpu|wasm, bundle, threads, timing, preferredLayout, outputs=sliced|full, connectTimeoutMs, leaseMs, client=local, tlsCert, tlsKey)',
  available: async () => {
    const ort = ortWebDist(ORT_BUNDLES.all);
    return 'reason' in ort ? ort.reason : true;
  },
  create: (options: DeviceOptions) => new RemoteDevice(options),
} satisfies DeviceFactory;
