/** The page server (no browser needed): isolation headers, mounts, blobs, port handling; and browser discovery. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrowser } from '../../devices/browser/find-browser.js';
import { PageServer } from '../../devices/browser/server.js';
import { UserError } from '../../src/core/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-server-test-'));
writeFileSync(path.join(dir, 'a.js'), 'export const a = 1;\n');
writeFileSync(path.join(os.tmpdir(), 'hwnas-secret.txt'), 'secret');
let server: PageServer;

beforeAll(async () => {
  server = await new PageServer({ mounts: { '/assets/': dir } }).start();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(path.join(os.tmpdir(), 'hwnas-secret.txt'), { force: true });
});

describe('page server', () => {
  it('binds 127.0.0.1 on a free port and serves mounted files with COOP/COEP headers', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.origin}/assets/a.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain('export const a');
  });

  it('refuses paths outside a mount and unknown paths', async () => {
    expect((await fetch(`${server.origin}/assets/..%2f..%2fhwnas-secret.txt`)).status).toBe(404);
    expect((await fetch(`${server.origin}/assets/../../hwnas-secret.txt`)).status).toBe(404);
    expect((await fetch(`${server.origin}/nothing`)).status).toBe(404);
    expect((await fetch(`${server.origin}/assets/a.js`, { method: 'POST' })).status).toBe(405);
  });

  it('serves registered bytes as blobs until they are dropped', async () => {
    const url = server.putBlob(new Uint8Array([1, 2, 3]));
    expect(url).toMatch(/^\/blob\/[\w-]{20,}$/);
    expect(new Uint8Array(await (await fetch(server.origin + url)).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    server.dropBlob(url);
    expect((await fetch(server.origin + url)).status).toBe(404);
  });

  it('says so when a given port is taken, and a random port never is', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await new PageServer({ mounts: {}, port }).start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toBe(`page server: port ${port} on 127.0.0.1 is already in use`);
      expect((err as UserError).hint).toMatch(/another --port/);
      const other = await new PageServer({ mounts: {} }).start();
      expect(other.port).not.toBe(port);
      await other.close();
    } finally {
      blocker.close();
    }
  });
});

describe('finding a browser', () => {
  it('uses an explicit path only if it exists, and explains how to get one', () => {
    expect(findBrowser('/no/such/chrome')).toEqual({ reason: '--browser /no/such/chrome: no such file' });
    const saved = process.env.CHROME_PATH;
    try {
      process.env.CHROME_PATH = '/no/such/chromium';
      expect(findBrowser()).toEqual({ reason: 'CHROME_PATH=/no/such/chromium: no such file' });
      process.env.CHROME_PATH = process.execPath; // any existing file is taken as given
      expect(findBrowser()).toEqual({ path: process.execPath });
    } finally {
      if (saved === undefined) delete process.env.CHROME_PATH;
      else process.env.CHROME_PATH = saved;
    }
  });
});
