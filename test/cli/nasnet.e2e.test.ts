/**
 * The `nasnet` space end to end: `nas export --space nasnet --random --seed K` writes ONNX files that pass
 * onnx.checker full_check and run in onnxruntime-node; `nas profile --space nasnet` fills a LUT (mock device)
 * with the cells' parts, which every strategy that applies (random, evolution, nsga2, the mnasnet RL
 * controller) then predicts its members with. `--published NASNet-A-Mobile` exports, and is predicted with
 * `--profile-missing`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxCheck, PYTHON_ONNX_MISSING, runFileOutputDims } from '../export/helpers.js';
import { nasInProcess } from './helpers.js';
import { NASNET_A_40_ENTRIES } from '../fixtures/catalog.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-nasnet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);
const FAST = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '50', '--target-ci', '0.5'];

const outputDims = runFileOutputDims;

describe('nasnet end to end', () => {
  const written: { name: string; onnx: Buffer }[] = [];

  it.each([5, 6])('nas export --space nasnet --random --seed %i', async (seed) => {
    const out = at(`nasnet-${seed}.onnx`);
    const r = await nasInProcess('export', '--space', 'nasnet', '--random', '--seed', String(seed), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out.replace(/\.onnx$/, '.arch.json'), 'utf8')).space.id).toBe('nasnet');
    expect(await outputDims(out, 32)).toEqual([1, 10, 1, 1]);
    written.push({ name: `nasnet-${seed}`, onnx: readFileSync(out) });
  });

  it('nas export --published NASNet-A-Mobile', async () => {
    const out = at('nasnet-a-mobile.onnx');
    const r = await nasInProcess('export', '--published', 'NASNet-A-Mobile', '--resolution', '64', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(await outputDims(out, 64)).toEqual([1, 1000, 1, 1]);
    written.push({ name: 'NASNet-A-Mobile', onnx: readFileSync(out) });
  });

  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`every file passes onnx.checker full_check (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, () => {
    expect(written.length).toBe(3);
    expect(onnxCheck(written)).toEqual({});
  });

  const lut = at('mock-nasnet.lut.json');

  it('nas profile --space nasnet fills a LUT with its decomposed instances', async () => {
    const p = await nasInProcess('profile', '--device', 'mock', '--device-opt', 'noise=0', '--space', 'nasnet', '--resolution', '16', '--calibrate', '0', '--out', lut, ...FAST);
    expect(p.code, p.stderr).toBe(0);
    const keys = Object.keys(JSON.parse(readFileSync(lut, 'utf8')).entries as Record<string, unknown>);
    for (const kind of ['factreduce', 'sepconv', 'dilconv', 'factconv', 'pool', 'sum', 'concat', 'reluconv']) expect(keys.some((k) => k.startsWith(`${kind}:`)), kind).toBe(true);
    expect(keys.some((k) => k.startsWith('nasnetcell:'))).toBe(false);
  }, 120_000);

  it('nas predict --published NASNet-A-Mobile --profile-missing measures its stem cells and cells into that LUT', async () => {
    const r = await nasInProcess('predict', '--lut', lut, '--published', 'NASNet-A-Mobile', '--resolution', '64', '--profile-missing', '--device', 'mock', '--device-opt', 'noise=0', '--json', ...FAST);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).predictions[0].ms).toBeGreaterThan(0);
    // The first stem cell's 7×7 sep conv reads the 32-channel stem conv (31×31 at 64 px) and maps it to 11.
    expect(Object.keys(JSON.parse(readFileSync(lut, 'utf8')).entries)).toContain('sepconv:1x32x31x31:c11:k7:s2:f32');
  }, 120_000);

  it('nas predict --arch reads a nasnet file saved before the add/concat decision (40 entries), saying so in one line', async () => {
    const file = at('nasnet-a-40.json');
    writeFileSync(file, JSON.stringify({ space: 'nasnet', resolution: 16, encoding: NASNET_A_40_ENTRIES }));
    const r = await nasInProcess('predict', '--lut', lut, '--arch', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: ${file}: an encoding of 40 decisions, from before each block chose add or concat: read with every block adding`);
    expect(JSON.parse(r.stdout).predictions[0].ms).toBeGreaterThan(0);
  });

  // mnasnet is the RL controller over the space's decisions; its reward needs a target.
  it.each([['random'], ['evolution'], ['nsga2'], ['mnasnet', '--target-ms', '5']])('nas search --space nasnet --strategy %s on that LUT', async (strategy, ...extra) => {
    const out = at(`front-${strategy}.json`);
    const s = await nasInProcess(
      'search', '--space', 'nasnet', '--resolution', '16', '--lut', lut, '--strategy', strategy, ...extra, '--budget', '6', '--seed', '1',
      '--evaluator', 'command', '--eval-command', 'wc -c < {arch}', '--eval-range', '0,10000000', '--out', out,
    );
    expect(s.code, s.stderr).toBe(0);
    const front = JSON.parse(readFileSync(out, 'utf8'));
    expect([front.strategy, front.evaluations]).toEqual([strategy, 6]);
    for (const m of front.members) {
      expect(m.architecture.space.id).toBe('nasnet');
      expect(m.latency.ms).toBeGreaterThan(0);
    }
  }, 120_000);

  // NASNet-RL: the controller emits each block's inputs and ops (2 batches of 8: two controller updates), PPO with
  // the hard latency reward on the LUT; the same seed gives the same search.
  it('nas search --space nasnet --strategy mnasnet --rl-algorithm ppo --reward hard is deterministic for a seed', async () => {
    const run = async (name: string) => {
      const out = at(name);
      const s = await nasInProcess(
        'search', '--space', 'nasnet', '--resolution', '16', '--lut', lut, '--strategy', 'mnasnet', '--rl-algorithm', 'ppo', '--reward', 'hard', '--reward-w', '-0.5',
        '--target-ms', '5', '--budget', '16', '--seed', '4', '--evaluator', 'command', '--eval-command', 'wc -c < {arch}', '--eval-range', '0,10000000', '--out', out,
      );
      expect(s.code, s.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8'));
    };
    const [a, b] = [await run('rl-a.json'), await run('rl-b.json')];
    expect([a.strategy, a.evaluations]).toEqual(['mnasnet', 16]);
    const names = (f: { members: { architecture: { name: string } }[] }) => f.members.map((m) => m.architecture.name);
    expect(names(a)).toEqual(names(b));
    expect(a.members.map((m: { latency: { ms: number } }) => m.latency.ms)).toEqual(b.members.map((m: { latency: { ms: number } }) => m.latency.ms));
    // Each member is the nasnet network of two cells the controller wrote (normal and reduction).
    for (const name of names(a)) expect(name).toMatch(/^nasnet@16:\|.+\|(concat)?\/\|.+\|(concat)?$/);
  }, 120_000);
});
