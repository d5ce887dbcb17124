/**
 * Fuzz of the ONNX reader (bench/fuzz/onnx.ts): 10,000 mutated ONNX files in-process (byte flips,
 * truncation, protobuf field mutations), each refused with one clear UserError (exit 2) or read into a
 * graph that holds together; then a few through the real CLI (`nas predict --onnx`) for the exit code,
 * and the named unreadable files (not ONNX, truncated, unsupported opset, missing external data).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzOnnx, onnxSeeds, runOnnxOne } from '../../bench/fuzz/onnx.js';

const RUNS = 10_000;
const dir = mkdtempSync(path.join(tmpdir(), 'nas-fuzz-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ONNX reader fuzzing', () => {
  it('every seed reads (the mutations start from accepted files)', async () => {
    for (const [i, seed] of onnxSeeds().entries()) expect(await runOnnxOne(path.join(dir, `seed${i}.onnx`), seed), `seed ${i}`).toBe('accepted');
  });

  it(`${RUNS} mutated files, each refused clearly or read correctly`, async () => {
    const counts = await fuzzOnnx(path.join(dir, 'fuzz.onnx'), RUNS, 16);
    console.log(`ONNX fuzz: ${counts.refused} refused, ${counts.accepted} accepted; slowest input ${counts.slowestMs.toFixed(0)} ms`);
    expect(counts.accepted + counts.refused).toBeGreaterThanOrEqual(RUNS);
    expect(counts.refused).toBeGreaterThan(RUNS / 10);
    expect(counts.accepted).toBeGreaterThan(RUNS / 20);
  }, 300_000);
});
