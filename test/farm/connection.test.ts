import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactUrl, redisOptions } from '../../src/farm/connection.js';
import { UserError } from '../../src/core/errors.js';
import { nasInProcess } from '../cli/helpers.js';

describe('redis URLs', () => {
  it('reads host, port, db, user and password; rediss:// turns TLS on', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toMatchObject({ host: '127.0.0.1', port: 6380, db: 2, tls: false, password: undefined });
    const t = parseRedisUrl('rediss://worker:p%40ss@redis.example.com/0');
    expect(t).toMatchObject({ host: 'redis.example.com', port: 6379, db: 0, username: 'worker', password: 'p@ss', tls: true });
    expect(redisOptions(t).tls).toEqual({ servername: 'redis.example.com' });
    expect(parseRedisUrl('redis://:secret@[::1]:7000')).toMatchObject({ host: '::1', port: 7000, password: 'secret' });
  });

  it('never shows a password', () => {
    expect(parseRedisUrl('redis://:secret@h:1').display).toBe('redis://:***@h:1');
    expect(redactUrl('redis://u:secret@h:1/3')).not.toContain('secret');
  });

  it('refuses what is not a Redis URL, naming it', () => {
    for (const [bad, why] of [
      ['localhost:6379', /redis:\/\/ or rediss:\/\//],
      ['http://h:6379', /redis:\/\/ or rediss:\/\//],
      ['redis://h:6379/x', /database/],
      ['not a url', /not a URL/],
    ] as const) {
      const e = (() => {
        try {
          parseRedisUrl(bad);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(why);
    }
  });

  it('the commands refuse a bad --redis before connecting anywhere (exit 2, no stack)', async () => {
    for (const args of [
      ['worker', '--redis', 'http://h:1', '--device', 'mock'],
      ['profile', '--redis', 'localhost:6379', '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--out', '/nonexistent/x.lut.json'],
      ['worker', '--redis', 'redis://127.0.0.1:1', '--device', 'mock', '--concurrency', '0'],
    ]) {
      const r = await nasInProcess(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: (--redis must be a redis:\/\/ or rediss:\/\/ URL|--redis 'localhost:6379'|--concurrency must be a positive integer)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
