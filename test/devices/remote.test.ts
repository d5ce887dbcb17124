/**
 * The remote device end to end on loopback, with headless Chromium (launched by the device itself,
 * client=local) playing the phone: connecting, timing, forged and malformed posts, a tampered result,
 * reloads mid-run, a second device trying to join, a model the browser cannot run, nobody connecting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcement, sessionUrls } from '../../devices/remote/announce.js';
import { RemoteDevice } from '../../devices/remote/index.js';
import type { Route } from 'playwright-core';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { instance } from '../../src/core/ops.js';
import { expectSampleCount } from './sample-count.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 500, targetCI: 0.1 };
/** Enough batches to be caught mid-run. */
const LONG: TimingProtocol = { warmup: 2, minRepeats: 2_000, maxRepeats: 100_000, maxTimeMs: 3_000, targetCI: 1e-9 };
const conv = opModel(instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 4, 8, 8]));

const lines: string[] = [];
const d = new RemoteDevice({ serve: true, client: 'local', ep: 'wasm', leaseMs: 5_000, pollMs: 2_000, connectTimeoutMs: 60_000 }, { log: (l) => lines.push(l) });
let url: string;

beforeAll(async () => {
  await d.init();
  url = d.urls[0];
});
afterAll(async () => {
  await d.dispose();
});

async function waitForLine(pattern: RegExp, ms = 10_000): Promise<string> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit) return hit;
  }
  throw new Error(`no log line matched ${pattern} within ${ms} ms:\n${lines.join('\n')}`);
}

const post = (path: string, body: unknown) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('remote device', () => {
  it('prints a loopback URL with a session token and a QR code, and describes the browser that connected', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/s\/[\w-]{24}\/$/);
    const banner = lines.find((l) => l.includes(url))!;
    expect(banner).toMatch(/▄|█/); // the QR code
    await waitForLine(/^remote: client [\w-]+ connected: Chromium/);
    const info = await d.init();
    expect(info).toMatchObject({ device: 'remote', runtime: 'onnxruntime-web', ep: 'wasm' });
    expect(info.options).toMatchObject({ bundle: 'ort.wasm.bundle.min.mjs', threads: 1, crossOriginIsolated: true, outputs: 'sliced' });
    expect(info.timing).toMatch(/outputs kept in the session/);
    expect(String(info.options.userAgent)).toMatch(/Chrome/);
    expect(info.host).toMatchObject({ cpu: expect.stringMatching(/^remote browser \(.*Linux/), node: process.version });
    expect(info.host.cores).toBeGreaterThan(0);
  });

  it('times a model in the browser', async () => {
    const protocol = { ...FAST, maxTimeMs: 2_000 };
    const r = await d.time(conv, protocol);
    expect(r.stats.median).toBeGreaterThan(0);
    expectSampleCount(r.stats, protocol);
    expect(r.coldMs).toBeGreaterThan(0);
    expect(r.setupMs).toBeGreaterThan(0);
  });

  it('refuses forged tokens with 403 and malformed or stale results with 400/409, logging each', async () => {
    const origin = new URL(url).origin;
    const forged = await post(`${origin}/s/forgedtokenforgedtoken1234/result`, { item: 'x', client: 'y', samples: [1] });
    expect(forged.status).toBe(403);
    expect((await fetch(`${origin}/s/forgedtokenforgedtoken1234/work?client=y`)).status).toBe(403);
    expect(await waitForLine(/refused POST \/s\/…\/result from 127\.0\.0\.1: 403 bad session token/)).not.toContain('forged');
    const notJson = await post(`${url}result`, 'samples=1,2,3');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: 'body is not JSON' });
    const noItem = await post(`${url}result`, { client: 'y', samples: [1, 2] });
    expect(noItem.status).toBe(400);
    const stale = await post(`${url}result`, { item: 'no-such-task', client: 'y', samples: [1] });
    expect(stale.status).toBe(409);
    await waitForLine(/refused POST .*: 400 malformed result: item must be the id of the task/);
    await waitForLine(/refused POST .*: 409 no pending task 'no-such-task'/);
  });

  it('refuses a tampered result from the client, and the run continues after the tab is reloaded', async () => {
    const page = d.clientPage!;
    let tampered = false;
    await page.route('**/result', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (!tampered && Array.isArray(body.samples)) {
        tampered = true;
        return route.continue({ postData: JSON.stringify({ ...body, samples: body.samples.slice(1) }) });
      }
      return route.continue();
    });
    const running = d.time(conv, FAST);
    await waitForLine(/400 malformed result: samples must be an array of exactly \d+ finite numbers/);
    await page.unroute('**/result');
    // The refused tab stops; reloading it (same tab, same client id) re-issues the unanswered task.
    await page.reload();
    const r = await running;
    expect(r.stats.median).toBeGreaterThan(0);
    await waitForLine(/client [\w-]+ reconnected; re-issuing 1 unfinished task/);
  });

  it('survives a reload in the middle of a run: the batch in flight is issued again and every sample delivered counts', async () => {
    const page = d.clientPage!;
    const before = lines.length;
    // Every result the tab posts, and whether the server took it; the first batch of samples is held (never
    // answered) and the tab reloaded while it waits, so the reload lands while a task is leased, whatever the load.
    const accepted: number[] = [];
    let heldOne = false;
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    // The handlers still running: the server settles a batch (and time() may return) before its handler ends.
    const handling: Promise<void>[] = [];
    const handle = async (route: Route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (Array.isArray(body.samples) && !heldOne) {
        heldOne = true;
        held();
        return; // the page unloads with this request pending: the batch's result never arrives
      }
      const response = await route.fetch();
      if (response.ok() && Array.isArray(body.samples)) accepted.push(body.samples.length);
      await route.fulfill({ response });
    };
    await page.route('**/result', (route) => {
      const done = handle(route);
      handling.push(done);
      return done;
    });
    try {
      // One warm-up run (the cold one): every batch of samples after it is a measured one.
      const running = d.time(conv, { ...LONG, warmup: 1 });
      await holding;
      await page.reload();
      const r = await running;
      await Promise.all(handling);
      const after = lines.slice(before);
      expect(after.some((l) => /client [\w-]+ reconnected/.test(l))).toBe(true);
      expect(after.some((l) => l.includes(`re-issuing samples of ${conv.key} (attempt 2)`))).toBe(true);
      // Nothing lost, nothing counted twice: the figure holds exactly the samples of the batches the server took.
      expect(accepted.length).toBeGreaterThan(0);
      expect(r.stats.n + r.stats.rejected).toBe(accepted.reduce((a, b) => a + b, 0));
      expect(r.stats.median).toBeGreaterThan(0);
    } finally {
      await page.unroute('**/result');
    }
  });

  it('turns away a second, different device with 409', async () => {
    const hello = { userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile', browserVersion: 'Chrome 140', cores: 8, ep: 'wasm', ortVersion: '1.30.0', numThreads: 1, crossOriginIsolated: true, tickMs: 0.1 };
    const res = await post(`${url}hello`, hello);
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatch(/one LUT must come from one device/);
  });

  it("reports what the browser could not run as that entry's error", async () => {
    const garbage: ModelUnderTest = { ...conv, key: 'garbage', onnx: new Uint8Array([1, 2, 3, 4]) };
    const err = await d.time(garbage, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^remote: the browser could not run the cold task of 'garbage': /);
    expect((await d.time(conv, FAST)).stats.median).toBeGreaterThan(0); // and carries on
  });
});

describe('remote device without a browser', () => {
  it('gives up waiting after connectTimeoutMs with the URL it waited on', async () => {
    const quiet: string[] = [];
    const lonely = new RemoteDevice({ serve: true, connectTimeoutMs: 300 }, { log: (l) => quiet.push(l) });
    const err = await lonely.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as Error).message).toMatch(/no browser opened http:\/\/127\.0\.0\.1:\d+\/s\/[\w-]+\/ within 0\.3 s/);
    expect(quiet.join('\n')).toMatch(/waiting up to 0 s for a browser/);
    await expect(fetch(lonely.urls[0])).rejects.toThrow(); // the server is gone again
  });
});

const openssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!openssl)('remote device over https (needs openssl to make a certificate)', () => {
  it('serves https with the given certificate, so the page is a secure, isolated context', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-tls-'));
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    expect(made.status).toBe(0);
    const log: string[] = [];
    // A self-signed certificate: the local client is told to accept it, as a user would tap "proceed".
    const tls = new RemoteDevice({ serve: true, client: 'local', ep: 'wasm', tlsCert: cert, tlsKey: key, browserArgs: '--ignore-certificate-errors' }, { log: (l) => log.push(l) });
    try {
      const info = await tls.init();
      expect(tls.urls[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/s\//);
      expect(info.options.crossOriginIsolated).toBe(true);
      expect((await tls.time(conv, FAST)).stats.median).toBeGreaterThan(0);
    } finally {
      await tls.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs both files', () => {
    expect(() => new RemoteDevice({ serve: true, tlsCert: '/x.pem' })).toThrow('https needs both tlsCert and tlsKey');
  });
});

describe('remote device set-up', () => {
  it('opens a port only when asked to with --serve', () => {
    expect(() => new RemoteDevice({})).toThrow(/serves a page for a browser on another device to open: say so with --serve/);
  });

  it('lists every IPv4 address for 0.0.0.0, and warns that plain http on a LAN address gets no WebGPU', () => {
    const urls = sessionUrls(new URL('http://0.0.0.0:8080'), '/s/tok/');
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:8080\/s\/tok\/$/);
    expect(sessionUrls(new URL('http://127.0.0.1:8080'), '/s/tok/')).toEqual(['http://127.0.0.1:8080/s/tok/']);
    expect(announcement(['http://192.168.1.5:8080/s/tok/'], 0)).toMatch(/not a secure context: the browser there gets no WebGPU/);
    expect(announcement(['http://127.0.0.1:8080/s/tok/'], 0)).not.toMatch(/secure context/);
  });
});
