/**
 * What goes wrong with browsers, simulated: the browser killed mid-measurement, a runtime that does not
 * load, the page server's port taken, the WebGPU device lost, no browser at all, and a browser that
 * belongs to the user (reached through --browser-endpoint) which must survive our dispose().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrowserDevice } from '../../devices/browser/browser-device.js';
import { findBrowser } from '../../devices/browser/find-browser.js';
import { browserWasmFactory, webgpuFactory } from '../../devices/browser/index.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { instance } from '../../src/core/ops.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 500, targetCI: 0.1 };
const conv = instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 4, 8, 8]);

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Pids of the processes started with this user-data dir (the browser and its children). */
function browserPids(userDataDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`--user-data-dir=${userDataDir}`)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

describe('browser killed mid-measurement', () => {
  it('fails that entry with a clear error, and the next one runs in a fresh browser', async () => {
    const d = browserWasmFactory.create({}) as BrowserDevice;
    cleanups.push(() => d.dispose());
    await d.init();
    const dir = d.page!.browser.userDataDir!;
    // Long enough to be running when the browser is killed 1.5 s in: one CI run finished 12,092 repeats before that.
    const long: TimingProtocol = { warmup: 2, minRepeats: 100_000, maxRepeats: 1_000_000, maxTimeMs: 60_000, targetCI: 1e-9 };
    const running = d.time(opModel(conv), long);
    await new Promise((r) => setTimeout(r, 1500));
    const pids = browserPids(dir);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^browser-wasm: while timing 'conv:1x4x8x8:.*': the browser process exited or was killed$/);
    expect((err as UserError).hint).toMatch(/run the same command again to resume/);
    const again = await d.time(opModel(conv), FAST);
    expect(again.stats.median).toBeGreaterThan(0);
    expect(d.page!.browser.userDataDir).not.toBe(dir);
  });
});

describe('a runtime that does not load', () => {
  it('is a DeviceUnavailableError naming the file and why', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-broken-ort-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'ort.wasm.bundle.min.mjs'), 'export const this is not javascript;\n');
    const d = browserWasmFactory.create({ ortDir: dir }) as BrowserDevice;
    cleanups.push(() => d.dispose());
    const err = await d.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as Error).message).toMatch(/the page could not load its runtime: could not load onnxruntime-web from \/ort\/ort\.wasm\.bundle\.min\.mjs: .*(Unexpected|SyntaxError)/);
    expect(d.page).toBeUndefined(); // the browser was closed again
  });

  it('refuses an ortDir without the bundle before launching anything', async () => {
    const err = await browserWasmFactory.create({ ortDir: '/nonexistent' }).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as Error).message).toMatch(/ortDir \/nonexistent has no ort\.wasm\.bundle\.min\.mjs/);
  });
});

describe('port in use and no browser', () => {
  it('says the given port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => void blocker.close());
    const port = (blocker.address() as net.AddressInfo).port;
    const err = await browserWasmFactory.create({ port }).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`page server: port ${port} on 127.0.0.1 is already in use`);
  });

  it('refuses a callTimeout (seconds a page call may take) that is not a positive number, before launching anything', () => {
    for (const bad of ['0', 'soon']) expect(() => webgpuFactory.create({ callTimeout: bad }), bad).toThrow(/callTimeout/);
    expect(() => webgpuFactory.create({ callTimeout: '600' })).not.toThrow();
  });

  it('says how to get a browser when the given one does not exist', async () => {
    const err = await browserWasmFactory.create({ browser: '/no/such/chrome' }).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as Error).message).toBe("device 'browser-wasm' is not available here: --browser /no/such/chrome: no such file");
    expect((err as DeviceUnavailableError).hint).toMatch(/apt-get install chromium/);
  });
});

describe('WebGPU device lost', () => {
  it('fails the entry with the loss reason, and the next one runs on a fresh device', async () => {
    const d = webgpuFactory.create({ preferredLayout: 'NCHW' }) as BrowserDevice;
    cleanups.push(() => d.dispose());
    await d.init();
    // Destroying the GPUDevice onnxruntime-web uses is what a driver reset looks like to the page.
    // (A string, so that vitest does not rewrite the page's import().)
    await d.page!.page.evaluate("import('/ort/ort.all.bundle.min.mjs').then(async (ort) => (await ort.env.webgpu.device).destroy())");
    const err = await d.time(opModel(conv), FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^webgpu: while timing 'conv:.*': WebGPU device lost \(destroyed/);
    const again = await d.time(opModel(conv), FAST);
    expect(again.stats.median).toBeGreaterThan(0);
  });
});

describe('a browser reached through --browser-endpoint', () => {
  it('is used through a context of our own and keeps running after dispose()', async () => {
    const exe = findBrowser();
    if ('reason' in exe) throw new Error(exe.reason);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-endpoint-'));
    const child: ChildProcess = spawn(exe.path, ['--headless', '--remote-debugging-port=0', `--user-data-dir=${dir}`, '--no-sandbox', '--no-first-run', '--disable-dev-shm-usage', 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true, // its own process group, so the cleanup kills its helper processes too (they write into `dir`)
    });
    cleanups.push(async () => {
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is already gone
      }
      await exited;
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
      } catch (e) {
        // A leftover temporary profile is not what this test checks; CI once failed here on ENOTEMPTY.
        console.warn(`browser-faults: could not remove ${dir}: ${(e as Error).message}`);
      }
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stderr!.on('data', (b: Buffer) => {
        text += b.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`browser exited: ${text}`)));
    });
    const d = browserWasmFactory.create({ browserEndpoint: endpoint });
    const info = await d.init();
    expect(info.warnings?.join('\n')).toMatch(/browser reached at ws:\/\//);
    expect((await d.time(opModel(conv), FAST)).stats.median).toBeGreaterThan(0);
    await d.dispose();
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
  });
});
