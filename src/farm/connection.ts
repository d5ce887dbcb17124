/**
 * Redis URLs and connections for the farm. Nothing here starts Redis: the URL names one that runs
 * somewhere (a laptop, a server, a managed service). `redis://[user:password@]host[:port][/db]` and
 * `rediss://…` (TLS) are accepted; a password in the URL never appears in logs (redactUrl).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../core/errors.js';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL with its password replaced by ***, for messages. */
  display: string;
}

/** Parses and checks a Redis URL; UserError (exit 2) naming what is wrong otherwise. */
export function parseRedisUrl(text: string): RedisTarget {
  const hint = 'give a URL like redis://127.0.0.1:6379, redis://:PASSWORD@host:6379/0 or rediss://host:6380 (TLS)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`--redis '${text}' is not a URL`, { hint });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new UserError(`--redis must be a redis:// or rediss:// URL, got '${url.protocol}//'`, { hint });
  if (!url.hostname) throw new UserError(`--redis '${redactUrl(text)}' names no host`, { hint });
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UserError(`--redis database must be a non-negative integer, got '${dbText}'`, { hint });
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
    display: redactUrl(text),
  };
}

/** The URL with any password replaced by ***. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** ioredis options for a target: BullMQ's workers need maxRetriesPerRequest null (block, never give up on a command). */
export function redisOptions(t: RedisTarget): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    username: t.username,
    password: t.password,
    ...(t.tls ? { tls: { servername: t.host } } : {}),
    maxRetriesPerRequest: null,
    // Reconnect forever (a restarted Redis must not end a farm), at most every 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    lazyConnect: false,
  };
}

/**
 * Opens a connection and waits until Redis answers, so a wrong address or password fails within
 * `timeoutMs` with a clear message instead of hanging. Errors after that (a restart) are logged once
 * per outage through `onError`; ioredis reconnects by itself.
 */
export async function connectRedis(t: RedisTarget, opts: { timeoutMs?: number; onError?: (message: string) => void } = {}): Promise<Redis> {
  const redis = new Redis(redisOptions(t));
  let lastError: string | undefined;
  // A certificate the client does not trust stays untrusted however often it reconnects: fail at the first one
  // rather than retrying until the timeout.
  let rejectCertificate: (e: Error) => void = () => undefined;
  const certificateRefused = new Promise<never>((_, reject) => (rejectCertificate = reject));
  certificateRefused.catch(() => undefined); // only awaited while connecting
  redis.on('error', (e: Error) => {
    if (e.message !== lastError) opts.onError?.(`redis ${t.display}: ${e.message}`);
    lastError = e.message;
    if (isCertificateError(e)) rejectCertificate(e);
  });
  redis.on('ready', () => (lastError = undefined));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  try {
    await Promise.race([withTimeout(redis.ping(), timeoutMs), certificateRefused]);
  } catch (e) {
    redis.disconnect();
    if (isCertificateError(e)) {
      throw new UserError(`cannot reach Redis at ${t.display}: the server's TLS certificate is not accepted: ${(e as Error).message}`, {
        exitCode: 3,
        hint: "trust the certificate's CA (NODE_EXTRA_CA_CERTS=/path/to/ca.pem), or connect by the host name the certificate was issued for",
      });
    }
    const reason = lastError ?? (e as Error).message;
    throw new UserError(`cannot reach Redis at ${t.display}: ${reason}`, {
      exitCode: 3,
      hint: /NOAUTH|WRONGPASS|AUTH/i.test(reason)
        ? 'check the password in the URL (redis://:PASSWORD@host:port)'
        : 'start Redis there (e.g. redis-server --bind 0.0.0.0 --requirepass …) or fix the host, port or scheme (rediss:// for TLS)',
    });
  }
  return redis;
}

/** Node's verification codes for a certificate it refuses (tls.TLSSocket#authorizationError, ERR_TLS_CERT_ALTNAME_INVALID). */
function isCertificateError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH/.test(code));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

/** Waits for `p` at most `ms` (its failure ignored): closing must not hang on a Redis that is gone. */
export function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);
}

/** A second connection to the same Redis (BullMQ's blocking reads need their own); errors are left to the first's listener. */
export function duplicate(redis: Redis): Redis {
  const copy = redis.duplicate();
  // The original already reports outages; without a listener ioredis would print each retry.
  copy.on('error', () => undefined);
  return copy;
}
