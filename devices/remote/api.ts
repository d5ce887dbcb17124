/**
 * The remote device's HTTP API, mounted on the page server under /s/<token>/:
 *
 *   GET  /s/<token>/              the client page (remote.html)
 *   GET  /s/<token>/config        which runtime the client loads (bundle, EP, threads, timing)
 *   POST /s/<token>/hello         the client describes itself; answers its client id
 *   GET  /s/<token>/work?client=  long-poll for the next task (204 when none came in time)
 *   GET  /s/<token>/blob/<id>     model and input bytes
 *   POST /s/<token>/result        a task's result (or the error that stopped it)
 *
 * Every request must carry the session token; anything else gets 403. Bodies that are not what the task
 * asked for get 400, results for tasks that are no longer pending 409; each refusal is logged.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { ISOLATION_HEADERS, send, type RouteHandler } from '../browser/server.js';
import { parseHello, parseResult, type ClientHello, type RemoteTask, type TaskResult } from './messages.js';
import type { WorkQueue } from './queue.js';

/** What the client page loads; sent as /config. */
export interface RemoteClientConfig {
  ep: 'auto' | 'webgpu' | 'wasm';
  bundle: string;
  threads: number;
  graphOptimizationLevel: string;
  timing: 'wall' | 'gpu';
  preferredLayout: 'NHWC' | 'NCHW';
}

export interface RemoteApiOptions {
  token: string;
  config: RemoteClientConfig;
  queue: WorkQueue<RemoteTask, TaskResult>;
  /** How long a /work poll waits for a task before answering 204. */
  pollMs: number;
  pageDir: string;
  log(line: string): void;
  /** Decides whether a client may join; a string refuses it with that reason. */
  admit(hello: ClientHello, clientId: string): true | string;
  /** A result arrived for a task whose client reported an error. */
  onClientError?(task: RemoteTask, error: string): Error;
}

/** Largest request body accepted (a samples result of 2000 runs is ~40 kB). */
const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class RemoteApi {
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly clients = new Set<string>();
  private readonly tokenBytes: Buffer;
  /** When any client of this session last asked for work (ms since epoch); 0 before the first. */
  lastPoll = 0;

  constructor(private readonly o: RemoteApiOptions) {
    this.tokenBytes = Buffer.from(o.token);
  }

  /** Session-scoped URL path of `bytes`. */
  putBlob(bytes: Uint8Array): string {
    const id = randomBytes(12).toString('base64url');
    this.blobs.set(id, bytes);
    return `/s/${this.o.token}/blob/${id}`;
  }

  dropBlob(urlPath: string): void {
    this.blobs.delete(urlPath.slice(urlPath.lastIndexOf('/') + 1));
  }

  readonly route: RouteHandler = async (req, res, url) => {
    const m = /^\/s\/([^/]*)(\/.*)?$/.exec(url.pathname);
    if (!m) return false;
    const [, token, rest = ''] = m;
    const what = `${req.method} /s/…${rest}${url.search ? '?…' : ''} from ${req.socket.remoteAddress}`;
    try {
      if (!this.tokenMatches(token)) throw new HttpError(403, 'bad session token');
      await this.dispatch(req, res, url, rest);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      this.o.log(`remote: refused ${what}: ${e.status} ${e.message}`);
      send(res, e.status, { error: e.message });
    }
    return true;
  };

  private tokenMatches(token: string): boolean {
    const given = Buffer.from(token);
    return given.length === this.tokenBytes.length && timingSafeEqual(given, this.tokenBytes);
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rest: string): Promise<void> {
    const route = `${req.method} ${rest.startsWith('/blob/') ? '/blob/' : rest}`;
    switch (route) {
      case 'GET ':
        // Without the slash, the page's relative URLs would resolve one level up.
        res.writeHead(308, { ...ISOLATION_HEADERS, Location: `${url.pathname}/` });
        return void res.end();
      case 'GET /':
        res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        return void createReadStream(path.join(this.o.pageDir, 'remote.html')).pipe(res);
      case 'GET /config':
        return send(res, 200, this.o.config);
      case 'POST /hello':
        return this.hello(req, res);
      case 'GET /work':
        return this.work(res, url);
      case 'GET /blob/': {
        const bytes = this.blobs.get(rest.slice('/blob/'.length));
        if (!bytes) throw new HttpError(404, 'no such blob (the task it belonged to is over)');
        res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength, 'Cache-Control': 'no-store' });
        return void res.end(bytes);
      }
      case 'POST /result':
        return this.result(req, res);
      default:
        throw new HttpError(404, `no route ${route}`);
    }
  }

  private async hello(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const parsed = parseHello(await readJson(req));
    if (!parsed.ok) throw new HttpError(400, `malformed hello: ${parsed.why}`);
    const hello = parsed.value;
    // A known id is the same tab coming back (a reload keeps sessionStorage): whatever it had taken
    // and not answered is issued again.
    const returning = hello.clientId !== undefined && this.clients.has(hello.clientId);
    const clientId = returning ? hello.clientId! : randomBytes(9).toString('base64url');
    const verdict = this.o.admit(hello, clientId);
    if (verdict !== true) throw new HttpError(409, verdict);
    this.clients.add(clientId);
    if (returning) {
      const released = this.o.queue.releaseClient(clientId);
      this.o.log(`remote: client ${clientId} reconnected${released ? `; re-issuing ${released} unfinished task(s)` : ''}`);
    } else this.o.log(`remote: client ${clientId} connected: ${hello.browserVersion || hello.userAgent}, ep ${hello.ep}`);
    send(res, 200, { clientId });
  }

  private async work(res: http.ServerResponse, url: URL): Promise<void> {
    const client = url.searchParams.get('client') ?? '';
    if (!this.clients.has(client)) throw new HttpError(409, 'unknown client: say hello first (reload the page)');
    this.lastPoll = Date.now();
    const closed = new Promise<undefined>((resolve) => res.once('close', () => resolve(undefined)));
    const taking = this.o.queue.take(client, this.o.pollMs);
    const item = await Promise.race([taking, closed]);
    this.lastPoll = Date.now();
    if (res.destroyed || res.writableEnded) {
      // The client went away while waiting: a task handed to this poll, now or later, goes back at once.
      void taking.then((late) => late && this.o.queue.giveBack(late.id));
      return;
    }
    if (!item) return void res.writeHead(204, ISOLATION_HEADERS).end();
    if (item.attempt > 1) this.o.log(`remote: re-issuing ${item.task.kind} of ${item.task.model.key} (attempt ${item.attempt}) to client ${client}`);
    send(res, 200, { id: item.id, ...item.task });
  }

  private async result(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const parsed = parseResult(await readJson(req), (id) => this.o.queue.pending(id));
    if (!parsed.ok) throw new HttpError('unknown' in parsed ? 409 : 400, 'unknown' in parsed ? parsed.why : `malformed result: ${parsed.why}`);
    const post = parsed.value;
    if (!this.clients.has(post.client)) throw new HttpError(403, 'unknown client');
    if ('error' in post) {
      const task = this.o.queue.pending(post.item)!;
      this.o.log(`remote: client ${post.client} could not run ${task.kind} of ${task.model.key}: ${post.error}`);
      this.o.queue.fail(post.item, this.o.onClientError?.(task, post.error) ?? new Error(post.error));
    } else this.o.queue.complete(post.item, post.result);
    send(res, 200, { ok: true });
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}
