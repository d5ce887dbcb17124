/**
 * The page server: a small node:http server that the browser devices (and the remote device's clients)
 * load their page, runtimes and models from.
 *
 * Every response carries COOP/COEP headers, so the page is crossOriginIsolated: onnxruntime-web can then
 * use SharedArrayBuffer (wasm threads) and performance.now() has its finest resolution. It binds
 * 127.0.0.1 unless a host is given, and on a random free port unless a port is given; a given port that
 * is taken is a UserError (a random one never is).
 *
 * Models and inputs are "blobs": bytes registered under an unguessable id and fetched by the page at
 * /blob/<id>, so large networks do not travel through page.evaluate as JSON.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { UserError } from '../../src/core/errors.js';

/** Extra routes (the remote device's API): return true when the request was handled. */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface PageServerOptions {
  /** Static folders by URL prefix, e.g. { '/ort/': '<onnxruntime-web>/dist' }. */
  mounts: Record<string, string>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port chosen by the OS. */
  port?: number;
  routes?: RouteHandler[];
  /** PEM certificate and key: serve https (a page on a LAN address needs it to be a secure context). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Headers that make the page cross-origin isolated; same-origin CORP lets its own fetches through. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export class PageServer {
  private server?: http.Server;
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly routes: RouteHandler[];

  constructor(private readonly options: PageServerOptions) {
    this.routes = [...(options.routes ?? [])];
  }

  /** http(s)://host:port (host as bound; 0.0.0.0 stays as is). */
  get origin(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('page server: not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${this.options.tls ? 'https' : 'http'}://${host}:${address.port}`;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 0;
    const listener: http.RequestListener = (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, `internal error: ${(e as Error).message}`);
        else res.destroy();
      });
    };
    let server: http.Server;
    try {
      server = this.options.tls ? https.createServer(this.options.tls, listener) : http.createServer(listener);
    } catch (e) {
      throw new UserError(`page server: the TLS certificate or key is not usable: ${(e as Error).message}`, { cause: e });
    }
    // Long-polling clients keep connections open; do not let them hold close() forever.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE')
          reject(new UserError(`page server: port ${port} on ${host} is already in use`, { hint: 'pick another --port, or leave it out to get a free one', cause: e }));
        else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
          reject(new UserError(`page server: cannot bind ${host}:${port}: no such local address`, { hint: 'pass an address of this machine as --host (or 0.0.0.0 for every interface)', cause: e }));
        else reject(e);
      });
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.blobs.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addRoute(handler: RouteHandler): void {
    this.routes.push(handler);
  }

  /** Registers bytes and returns their URL path (/blob/<id>). */
  putBlob(bytes: Uint8Array): string {
    const id = randomBytes(16).toString('base64url');
    this.blobs.set(id, bytes);
    return `/blob/${id}`;
  }

  dropBlob(urlPath: string): void {
    this.blobs.delete(urlPath.slice('/blob/'.length));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const route of this.routes) if (await route(req, res, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    if (url.pathname.startsWith('/blob/')) {
      const bytes = this.blobs.get(url.pathname.slice('/blob/'.length));
      if (!bytes) return send(res, 404, 'no such blob');
      res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return;
    }
    for (const [prefix, dir] of Object.entries(this.options.mounts)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = safeJoin(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
      if (!file || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, `not found: ${url.pathname}`);
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': type, 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
      return;
    }
    send(res, 404, `not found: ${url.pathname}`);
  }
}

/** `rel` inside `dir`, or undefined when it would escape it (../, absolute paths). */
function safeJoin(dir: string, rel: string): string | undefined {
  const root = path.resolve(dir);
  const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  return file === root || file.startsWith(root + path.sep) ? file : undefined;
}

export function send(res: http.ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}): void {
  const json = typeof body !== 'string';
  const text = json ? JSON.stringify(body) : body;
  res.writeHead(status, {
    ...ISOLATION_HEADERS,
    'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}
