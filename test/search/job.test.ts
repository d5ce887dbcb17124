import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableEvaluator } from '../../src/evaluators/table.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { checkpointPath, runSearchJob, type SearchJob } from '../../src/search/job.js';
import { createStrategy } from '../../src/search/strategies/registry.js';
import { nb201Context } from './fixtures.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'search-job-'));

async function job(out: string, overrides: Partial<SearchJob> = {}): Promise<SearchJob> {
  const ctx = nb201Context();
  return {
    space: ctx.space,
    spaceOptions: { resolution: 32 },
    latency: ctx.latency,
    evaluator: ctx.evaluator,
    strategy: await createStrategy('nsga2'),
    budget: 120,
    seed: 5,
    targetMs: 10,
    out,
    ...overrides,
  };
}

function dyingEvaluator(at: number) {
  const inner = tableEvaluator();
  let calls = 0;
  return { ...inner, evaluate: async (a: Parameters<typeof inner.evaluate>[0]) => (++calls === at ? Promise.reject(new Error('killed')) : inner.evaluate(a)) };
}

describe('search job', () => {
  it('writes a valid front file with provenance and removes its checkpoint', async () => {
    const out = path.join(tmp(), 'front.json');
    const { result, front, resumed } = await runSearchJob(await job(out));
    expect(resumed).toBe(0);
    expect(existsSync(checkpointPath(out))).toBe(false);
    const read = readFrontFile(out);
    expect(read).toEqual(front);
    expect(read).toMatchObject({ format: 'hw-nas-front', version: 1, space: { id: 'nb201', options: { resolution: 32 } }, strategy: 'nsga2', seed: 5, budget: 120, evaluations: 120, target: { latencyMs: 10 } });
    expect(read.latency).toMatchObject({ id: 'table:nb201:pixel3', provenance: { device: 'pixel3' } });
    expect(read.evaluator.provenance).toMatchObject({ dataset: 'cifar10' });
    expect(read.members.map((m) => m.name)).toEqual(result.front.map((c) => c.name));
    expect(read.members[0].architecture).toMatchObject({ format: 'hw-nas-arch', name: read.members[0].name });
    expect(read.best).toBe(result.best!.name);
  });

  it('resumes a killed search from <out>.ckpt.json to the same front', async () => {
    const dir = tmp();
    const whole = await runSearchJob(await job(path.join(dir, 'whole.json')));
    const out = path.join(dir, 'front.json');
    await expect(runSearchJob(await job(out, { evaluator: dyingEvaluator(60) }))).rejects.toThrow('killed');
    expect(existsSync(checkpointPath(out))).toBe(true);
    const again = await runSearchJob(await job(out));
    expect(again.resumed).toBeGreaterThanOrEqual(50);
    expect(again.result).toEqual(whole.result);
    expect(again.front.members).toEqual(whole.front.members);
    expect(existsSync(checkpointPath(out))).toBe(false);
  });

  it('refuses a corrupt or foreign checkpoint with a clear error', async () => {
    const dir = tmp();
    const out = path.join(dir, 'front.json');
    writeFileSync(checkpointPath(out), '{"format": "hw-nas-search-checkpoint", ');
    await expect(runSearchJob(await job(out))).rejects.toThrow(/search checkpoint .*front.json.ckpt.json is corrupt: .*not valid JSON/);
    writeFileSync(checkpointPath(out), JSON.stringify({ format: 'something-else' }));
    await expect(runSearchJob(await job(out))).rejects.toThrow(/is corrupt: expected a "hw-nas-search-checkpoint" version 1 document/);

    const other = path.join(dir, 'other.json');
    await expect(runSearchJob(await job(other, { evaluator: dyingEvaluator(40), seed: 1 }))).rejects.toThrow('killed');
    await expect(runSearchJob(await job(other, { seed: 2 }))).rejects.toThrow(/belongs to another search \(seed: 1 there, 2 here\)/);
  });
});
