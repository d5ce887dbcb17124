/**
 * rediss:// end to end: a redis-server serving TLS only (self-signed certificate, made with openssl),
 * with a password. The coordinator trusts the certificate through Node's NODE_EXTRA_CA_CERTS, as a user of
 * a private CA would; without it the connection is refused with a clear message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers.js';
import { redisMissing, TestRedis } from './redis.js';

const openssl = spawnSync('openssl', ['version']).status === 0;
const skip = redisMissing ?? (openssl ? undefined : 'openssl not found (needed to make a certificate)');

describe.skipIf(skip)('rediss:// (TLS)' + (skip ? ` — skipped: ${skip}` : ''), () => {
  let dir: string;
  let server: TestRedis | undefined;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-tls-'));
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    expect(made.status).toBe(0);
    server = await TestRedis.start(['--requirepass', 'tlspass'], { cert, key });
    port = server.port;
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const profile = (url: string, env: Record<string, string> = {}) =>
    runCli(['profile', '--redis', url, '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--out', path.join(dir, 'x.lut.json'), '--farm-wait', '1'], { env });

  it('connects over TLS with a password: it reaches Redis and reports that no worker serves the device', () => {
    const r = profile(`rediss://:tlspass@127.0.0.1:${port}`, { NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/no worker serves it at rediss:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(r.stderr).not.toContain('tlspass');
  }, 60_000);

  it('an untrusted certificate is a clear "cannot reach Redis" at the first refusal, not after retrying (exit 3, no password shown)', () => {
    const r = profile(`rediss://:tlspass@127.0.0.1:${port}`);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: the server's TLS certificate is not accepted: .*(certificate|self.signed)/i);
    expect(r.stderr).toMatch(/hint: trust the certificate's CA \(NODE_EXTRA_CA_CERTS=/);
    expect(r.stderr).not.toContain('tlspass');
  }, 60_000);
});
