import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { readEncodings, sampleEncodings, scoreSet, scoresCsv } from '../../src/evaluators/score-set.js';
import type { AccuracyEvaluator } from '../../src/search/types.js';
import { cellToEncoding, createNb201Space } from '../../src/spaces/nb201.js';

const space = createNb201Space();
const dir = mkdtempSync(path.join(tmpdir(), 'score-set-'));

/** Scores an architecture by its encoding's digit sum; fails on the `failAt`-th call. */
function counting(failAt = Infinity): AccuracyEvaluator & { calls: number } {
  const ev = {
    id: 'fake',
    provenance: { kind: 'fake' },
    calls: 0,
    async evaluate(arch: { space?: { encoding: number[] } }) {
      ev.calls++;
      if (ev.calls === failAt) throw new UserError('the fake evaluator failed');
      return arch.space!.encoding.reduce((a, b) => a + b, 0);
    },
  };
  return ev;
}

describe('scoreSet', () => {
  const encodings = sampleEncodings(space, 5, 7);
  const job = (out: string, evaluator: AccuracyEvaluator) => ({ space, spaceOptions: { resolution: 32 }, evaluator, encodings, selection: { sample: 5, seed: 7 }, out });

  it('samples distinct architectures, seeded', () => {
    expect(new Set(encodings.map((e) => e.join())).size).toBe(5);
    expect(sampleEncodings(space, 5, 7)).toEqual(encodings);
  });

  it('keeps what was scored when an evaluation fails, and resumes from it', async () => {
    const out = path.join(dir, 'partial.json');
    const failing = counting(4);
    await expect(scoreSet(job(out, failing))).rejects.toThrow(/the fake evaluator failed/);
    const partial = JSON.parse(readFileSync(out, 'utf8'));
    expect(partial).toMatchObject({ complete: false, total: 5 });
    expect(partial.records).toHaveLength(3);
    const again = counting();
    const { file, resumed } = await scoreSet(job(out, again));
    expect(resumed).toBe(3);
    expect(again.calls).toBe(2);
    expect(file.complete).toBe(true);
    expect(file.records.map((r) => r.encoding)).toEqual(encodings);
    expect(file.records.map((r) => r.score)).toEqual(encodings.map((e) => e.reduce((a, b) => a + b, 0)));
    expect(scoresCsv(file).split('\n')[1]).toMatch(/^\|.*\|,\d \d \d \d \d \d,\d+,\d+\.\d{4}$/);
  });

  it('refuses a file from another run', async () => {
    const out = path.join(dir, 'other.json');
    await scoreSet(job(out, counting()));
    await expect(scoreSet({ ...job(out, counting()), selection: { sample: 5, seed: 8 } })).rejects.toThrow(/holds the scores of another run \(its selection differs\)/);
  });

  it('reads choice vectors, nb201 cell strings, and front or scores files', () => {
    const cell = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|skip_connect~2|';
    const list = path.join(dir, 'list.json');
    writeFileSync(list, JSON.stringify([[1, 1, 1, 1, 1, 1], cell]));
    expect(readEncodings(list, cellToEncoding)).toEqual([
      [1, 1, 1, 1, 1, 1],
      [3, 3, 3, 1, 1, 1],
    ]);
    expect(() => readEncodings(list)).toThrow(/entry 1 is .* not a choice vector/);
    const front = path.join(dir, 'front.json');
    writeFileSync(front, JSON.stringify({ members: [{ encoding: [2, 2, 2, 2, 2, 2] }] }));
    expect(readEncodings(front)).toEqual([[2, 2, 2, 2, 2, 2]]);
    writeFileSync(front, '[]');
    expect(() => readEncodings(front)).toThrow(/no architectures found/);
  });
});
