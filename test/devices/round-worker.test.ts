import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('FreshProcessTimer', () => {
  it('times each pass in a new child process and passes errors back', () => {
    const r = spawnSync(process.execPath, ['--import', tsx, path.join(here, 'fixtures', 'round-worker-child.ts')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.out).toHaveLength(2);
    const [a, b] = doc.out;
    expect(a.pid).not.toBe(b.pid);
    expect([a.pid, b.pid]).not.toContain(doc.parent);
    expect(a.median).toBeGreaterThan(0);
    expect(b.median).toBeCloseTo(a.median, 12); // the mock is deterministic: the same figure in another process
    expect(doc.error).toMatch(/UserError: cannot time/);
    expect(doc.after).toBeNull();
  });
});
