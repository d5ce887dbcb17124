/**
 * A throwaway Redis for farm tests: Debian's redis-server on 127.0.0.1, a free port, no persistence,
 * stopped by stop(). `available` says why the tests skip when redis-server is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll } from 'vitest';

const SERVER = process.env.REDIS_SERVER ?? 'redis-server';

export const redisMissing: string | undefined = (() => {
  const r = spawnSync(SERVER, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `redis-server not found (${SERVER}): apt-get install redis-server to run the farm tests`;
})();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A certificate and its key (PEM files): the server then serves TLS only, on its port. */
export interface TestTls {
  cert: string;
  key: string;
}

export class TestRedis {
  private proc?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly extra: string[],
    private readonly tls?: TestTls,
  ) {}

  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  static async start(extra: string[] = [], tls?: TestTls): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), extra, tls);
    await r.launch();
    return r;
  }

  /** Starts the server (again, after stop(): an empty one on the same port, as a restarted Redis without persistence). */
  async launch(): Promise<void> {
    const port = this.tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key, '--tls-ca-cert-file', this.tls.cert, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const proc = spawn(SERVER, [...port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extra], { stdio: 'ignore' });
    this.proc = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error('redis-server did not start within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A TestRedis for the enclosing describe block: started before its tests, stopped after them. */
export function useTestRedis(extra: string[] = []): { readonly url: string } {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await TestRedis.start(extra);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get url() {
      if (!redis) throw new Error('the test Redis is not started (useTestRedis() outside a describe block?)');
      return redis.url;
    },
  };
}
