/**
 * What every browser device shares: one browser + page server + bench page per device instance, started
 * in init(), restarted after a crash, and the timing loop driven through the page (devices/harness.ts
 * asks for k samples; the page runs the k runs and sends the k durations back in one round trip).
 *
 * What differs per device (which runtime the page loads and how a model is handed to it) is a
 * PageRuntime; webgpu, browser-wasm and the tfjs devices are each one PageRuntime.
 */
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import type { OpInstance } from '../../src/core/ops.js';
import type { ConformanceRunner } from '../conformance/runner.js';
import type { TensorType } from '../conformance/tensor.js';
import { measure, type SampleSource } from '../harness.js';
import { hostInfo } from '../host.js';
import { numberOption } from '../options.js';
import { booleanOption } from '../ort-wasm/bool-option.js';
import type { AdapterInfo, Device, DeviceInfo, DeviceOptions, ModelUnderTest, TimingProtocol, TimingResult } from '../types.js';
import { BrowserPage } from './browser-page.js';
import { feedBytes } from './feed-values.js';
import { tensorFromBytes } from './tensor-bytes.js';
import type { LaunchOptions } from './launcher.js';

/** What a runtime reports once loaded in a page. */
export interface LoadedRuntime {
  runtime: string;
  runtimeVersion: string;
  ep: string;
  options: Record<string, string | number | boolean>;
  adapter?: AdapterInfo;
  timing: string;
  warnings: string[];
}

/** A model's inputs as the page fetches them: values served as blobs. */
export interface PageInput {
  name: string;
  shape: number[];
  url: string;
}

export interface PageRuntime {
  /** Static folders the page needs (URL prefix -> folder); checked to exist before launching. */
  mounts(): Record<string, string>;
  /** Loads the runtime in a fresh page; DeviceUnavailableError when the page cannot run it. */
  load(page: BrowserPage): Promise<LoadedRuntime>;
  supports(inst: OpInstance): true | string;
  /** The argument of window.hwnas.open() for `model`; `blob` registers bytes with the page server. */
  openArgs(model: ModelUnderTest, inputs: PageInput[], blob: (bytes: Uint8Array) => string): unknown | Promise<unknown>;
  /** True when the page runs the ONNX bytes themselves (and can run conformance cases). */
  readonly runsOnnx: boolean;
  /** Input shape as the runtime wants it (tfjs: NHWC); values are the same either way. */
  inputShape?(shape: number[]): number[];
}

/** Options every browser device reads. */
export function launchOptions(device: string, options: DeviceOptions): LaunchOptions {
  const str = (key: string) => (options[key] === undefined || options[key] === '' ? undefined : String(options[key]));
  return {
    device,
    executable: str('browser'),
    endpoint: str('browserEndpoint'),
    headless: booleanOption(device, options, 'headless', true),
    extraArgs: (str('browserArgs') ?? '').split(/\s+/).filter(Boolean),
  };
}

/** The longest one page call (a cold run, a batch of samples) may take before the page is declared hung, unless the `callTimeout` option (s) says longer. */
const MIN_CALL_TIMEOUT_MS = 120_000;

/** Playwright prefixes page errors with "page.evaluate: " and appends a stack: keep the message. */
export function pageErrorMessage(e: unknown): string {
  const text = String((e as Error)?.message ?? e).replace(/^page\.evaluate:\s*/, '');
  return text.split('\n')[0].replace(/^Error:\s*/, '');
}

export class BrowserDevice implements Device {
  private readonly launch: LaunchOptions;
  private readonly port?: number;
  private bp?: BrowserPage;
  private info?: DeviceInfo;
  /** A software adapter (SwiftShader) on a loaded machine can take minutes to compile a deep net's shaders. */
  private readonly callTimeoutMs: number;

  constructor(
    readonly name: string,
    private readonly runtime: PageRuntime,
    options: DeviceOptions,
  ) {
    this.launch = launchOptions(name, options);
    const port = numberOption(name, options, 'port', 0, { min: 0, integer: true });
    this.port = port || undefined;
    this.callTimeoutMs = 1000 * numberOption(name, options, 'callTimeout', MIN_CALL_TIMEOUT_MS / 1000, { min: 1 });
  }

  /** The running page (for diagnostics and fault-injection tests); undefined before init() or after a crash. */
  get page(): BrowserPage | undefined {
    return this.bp;
  }

  async init(): Promise<DeviceInfo> {
    if (this.info) return this.info;
    const loaded = await this.start();
    const info: DeviceInfo = {
      device: this.name,
      runtime: loaded.runtime,
      runtimeVersion: loaded.runtimeVersion,
      ep: loaded.ep,
      options: loaded.options,
      host: hostInfo(),
      timing: loaded.timing,
    };
    if (loaded.adapter) info.adapter = loaded.adapter;
    const warnings = [...loaded.warnings];
    if (this.launch.endpoint) warnings.push(`browser reached at ${this.launch.endpoint}: host describes this machine, which may not be the browser's`);
    if (warnings.length) info.warnings = warnings;
    this.info = info;
    return info;
  }

  /** A fresh browser + page with the runtime loaded. */
  private async start(): Promise<LoadedRuntime> {
    const mounts = this.runtime.mounts();
    this.bp = await BrowserPage.start({ launch: this.launch, mounts, port: this.port });
    try {
      return await this.runtime.load(this.bp);
    } catch (e) {
      await this.stop();
      if (e instanceof UserError) throw e;
      throw new DeviceUnavailableError(this.name, `the page could not load its runtime: ${pageErrorMessage(e)}`, { cause: e });
    }
  }

  private async stop(): Promise<void> {
    const bp = this.bp;
    this.bp = undefined;
    await bp?.close();
  }

  supports(inst: OpInstance): true | string {
    return this.runtime.supports(inst);
  }

  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    const timeoutMs = Math.max(this.callTimeoutMs, 20 * protocol.maxTimeMs);
    return this.withPage(`timing '${model.key}'`, timeoutMs, async (call, blob) => {
      const values = feedBytes(model);
      const inputs = model.inputs.map((input) => ({
        name: input.name,
        shape: this.runtime.inputShape?.(input.shape) ?? input.shape,
        url: blob(values[input.name]),
      }));
      try {
        const setupMs = await call<number>('open', await this.runtime.openArgs(model, inputs, blob));
        const source: SampleSource = { cold: () => call<number>('cold'), samples: (count) => call<number[]>('samples', count) };
        const { stats, coldMs } = await measure(source, protocol);
        return { stats, coldMs, setupMs };
      } finally {
        await call('close').catch(() => undefined);
      }
    });
  }

  /**
   * Runs ONNX conformance cases in the page with this device's runtime and EP, outputs read back to
   * the CPU (onnxruntime devices only; tfjs does not run ONNX).
   */
  conformanceRunner(): ConformanceRunner {
    if (!this.runtime.runsOnnx) throw new UserError(`${this.name} does not run ONNX models (it rebuilds them from their ops): no conformance runner`);
    return (onnx, feeds) =>
      this.withPage('running a conformance case', this.callTimeoutMs, async (call, blob) => {
        const pageFeeds = Object.entries(feeds).map(([name, t]) => ({
          name,
          type: t.type,
          dims: t.dims,
          url: blob(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
        }));
        const outputs = await call<{ name: string; type: TensorType; dims: number[]; base64: string }[]>('runOnce', { modelUrl: blob(onnx), feeds: pageFeeds });
        return Object.fromEntries(outputs.map((o) => [o.name, tensorFromBytes(o.type, o.dims, Buffer.from(o.base64, 'base64'))]));
      });
  }

  /**
   * Runs `work` against a live page (starting a fresh browser when the last one died: a profiling run
   * resumes), with bytes registered as blobs for the duration of the work.
   */
  private async withPage<T>(
    what: string,
    timeoutMs: number,
    work: (call: <R>(method: string, ...args: unknown[]) => Promise<R>, blob: (bytes: Uint8Array) => string) => Promise<T>,
  ): Promise<T> {
    if (!this.info) throw new Error(`${this.name}: used before init()`);
    if (!this.bp?.alive) {
      await this.stop();
      await this.start();
    }
    const bp = this.bp!;
    const blobs: string[] = [];
    const blob = (bytes: Uint8Array) => {
      const url = bp.server.putBlob(bytes);
      blobs.push(url);
      return url;
    };
    try {
      return await work((method, ...args) => this.call(bp, what, timeoutMs, method, ...args), blob);
    } finally {
      for (const url of blobs) bp.server.dropBlob(url);
    }
  }

  /** One page call, with every way it can fail turned into a message that says what happened. */
  private async call<T>(bp: BrowserPage, what: string, timeoutMs: number, method: string, ...args: unknown[]): Promise<T> {
    const where = `${this.name}: while ${what}`;
    const resume = 'the entries measured so far are kept; the next measurement starts a fresh browser (run the same command again to resume)';
    if (!bp.alive) throw new UserError(`${where}: ${bp.deathCause}`, { hint: resume });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PageHung(timeoutMs)), timeoutMs);
      });
      return await Promise.race([bp.call<T>(method, ...args), timeout]);
    } catch (e) {
      if (e instanceof PageHung) {
        await this.stop();
        throw new UserError(`${where}: the page did not answer ${method}() within ${timeoutMs / 1000} s and was closed`, { hint: resume, cause: e });
      }
      if (bp.diedWith(e)) {
        await bp.settle();
        const cause = bp.deathCause;
        await this.stop();
        throw new UserError(`${where}: ${cause}`, { hint: resume, cause: e });
      }
      const lost = await bp.call<string | undefined>('lost').catch(() => undefined);
      if (lost) {
        // onnxruntime-web cannot move to a new GPU device inside one page: start afresh next time.
        await this.stop();
        throw new UserError(`${where}: ${lost}`, { hint: resume, cause: e });
      }
      // A runtime that threw inside a run can be left unusable (onnxruntime-web's JSEP then refuses
      // every later kernel as "called recursively"): the next call gets a fresh page.
      await this.stop();
      throw new UserError(`${where}: the page failed in ${method}(): ${pageErrorMessage(e)}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    this.info = undefined;
    await this.stop();
  }
}

class PageHung extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}
