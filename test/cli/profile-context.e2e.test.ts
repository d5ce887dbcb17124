/**
 * nas profile's in-context calibration, end to end on the mock device with synthetic class costs: inside
 * a network a plain op costs 0.9×, an SE block 1.3× and an SE+hswish block 1.6× its one-op model
 * (contextScales). The profile measures the calibration nets' in-context variants itself and must recover those
 * scales, so a held-out SE/hswish net is predicted right, where the plain-net calibration is ≥ 10% off.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { Rng } from '../../src/core/rng.js';
import { calibrationNetId } from '../../src/predict/calibrate.js';
import { withContextClass } from '../../src/core/context-class.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { createSpace } from '../../src/spaces/registry.js';
import { DEFAULT_MOCK_COST, modelCostMs } from '../../devices/mock/cost.js';
import type { LutCalibration } from '../../lut/format.js';
import { nasInProcess } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-context-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCALES = { '': 0.9, se: 1.3, 'se+hswish': 1.6 };
// Noise-free, no session overhead: the one-op medians are the ops' exact costs, so the scales are recoverable exactly.
const MOCK = ['--device', 'mock', ...['noise=0', 'outlierRate=0', 'overheadMs=0', 'contextScales=plain:0.9,se:1.3,se+hswish:1.6'].flatMap((o) => ['--device-opt', o])];
const FAST = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--rounds', '1'];
const SPACE = ['--space', 'mbv2', '--resolution', '32'];
const COST = { ...DEFAULT_MOCK_COST, noise: 0, outlierRate: 0, overheadMs: 0, contextScales: SCALES };

const space = createSpace('mbv2', { resolution: 32 });
const heldOut = withContextClass(space.build(space.sample(new Rng(77))), 'se+hswish');
const heldOutFile = path.join(dir, 'held-out.arch.json');
writeFileSync(heldOutFile, JSON.stringify({ format: 'hw-nas-arch', version: 1, name: heldOut.name, input: heldOut.input, dtype: 'f32', layers: heldOut.layers }));
/** What the mock device takes to run the held-out net. */
const truth = modelCostMs(placeLayers(heldOut).map((p) => p.inst), COST);

const readCalibration = (lut: string) => (JSON.parse(readFileSync(lut, 'utf8')) as { calibration?: LutCalibration }).calibration;

async function predictHeldOut(lut: string): Promise<number> {
  // The held-out net's ops, added to the LUT (its calibration stays), then its prediction.
  const add = await nasInProcess('profile', ...MOCK, ...FAST, '--arch', heldOutFile, '--calibrate', '0', '--out', lut);
  expect(add.code, add.stderr).toBe(0);
  const p = await nasInProcess('predict', '--lut', lut, '--arch', heldOutFile, '--json');
  expect(p.code, p.stderr).toBe(0);
  return JSON.parse(p.stdout).predictions[0].ms;
}

describe('nas profile: calibration with in-context variants', () => {
  it('measures the variants itself, recovers one scale per class and predicts a held-out SE/hswish net', async () => {
    const lut = path.join(dir, 'context.lut.json');
    const r = await nasInProcess('profile', ...MOCK, ...FAST, ...SPACE, '--calibrate', '5', '--context-classes', 'se,se+hswish', '--context-nets', '3', '--out', lut);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calibration will also measure 6 in-context variant networks for the context classes se, se\+hswish/);
    expect(r.stderr).toMatch(/calibrating on 5 networks \+ 6 in-context variants/);
    const c = readCalibration(lut)!;
    expect(c.fittedOn).toBe(11);
    expect(c.classScales?.['se']).toBeCloseTo(1.3, 4);
    expect(c.classScales?.['se+hswish']).toBeCloseTo(1.6, 4);
    expect(c.scale).toBeCloseTo(0.9, 4);
    expect(c.context).toMatchObject({ classes: ['se', 'se+hswish'], variantNets: 6, kept: 'context' });
    expect(c.context!.rmsErrorPct.context).toBeLessThan(0.01);
    expect(c.context!.rmsErrorPct.plainNets).toBeGreaterThan(5);
    expect(r.stdout).toMatch(/class scales plain 0\.900, se 1\.300, se\+hswish 1\.600/);
    expect(existsSync(PartialRounds.pathFor(lut))).toBe(false); // the nets' rounds, kept with the entries', are dropped once the run is done
    const predicted = await predictHeldOut(lut);
    expect(Math.abs(predicted - truth) / truth).toBeLessThan(0.005);
  });

  it('--context-nets 0 fits the plain nets only, which predicts the held-out SE/hswish net ≥ 10% too fast', async () => {
    const lut = path.join(dir, 'plain.lut.json');
    const r = await nasInProcess('profile', ...MOCK, ...FAST, ...SPACE, '--calibrate', '5', '--context-classes', 'se,se+hswish', '--context-nets', '0', '--out', lut);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/in-context/);
    const c = readCalibration(lut)!;
    expect(c.fittedOn).toBe(5);
    expect(c.classScales).toBeUndefined();
    expect(c.context).toBeUndefined();
    expect(await predictHeldOut(lut)).toBeLessThan(0.9 * truth);
  });

  it('takes the context classes from the ops profiled by default, and resumes the calibration nets from the rounds an interrupted run left', async () => {
    // Random mnasnet nets: some blocks have SE, some not, so the class "se" comes from their own ops.
    const lut = path.join(dir, 'resume.lut.json');
    const args = [...MOCK, ...FAST, '--space', 'mnasnet', '--resolution', '32', '--random', '4', '--seed', '3', '--context-nets', '3', '--out', lut];
    const first = await nasInProcess('profile', ...args);
    expect(first.code, first.stderr).toBe(0);
    // Its e6 blocks without SE are of the class "wide" too, measured in context only when asked: 3 SE variants.
    expect(first.stderr).toMatch(/3 in-context variant networks for the context classes se \(/);
    expect(readCalibration(lut)?.classScales).toMatchObject({ '': expect.closeTo(0.9, 4), se: expect.closeTo(1.3, 4) });
    const lutId = JSON.parse(readFileSync(lut, 'utf8')).id as string;
    // An interrupted run: one calibration network's round already taken (with a figure the device would never
    // give), kept beside the LUT with the entries' rounds under `net:<id>`.
    const mnasnet = createSpace('mnasnet', { resolution: 32 });
    const net = mnasnet.build(mnasnet.sample(new Rng(3)));
    const partial = PartialRounds.open(lut, lutId);
    const stats = { n: 3, rejected: 0, median: 1000, mean: 1000, std: 0, p10: 1000, p90: 1000, min: 1000, max: 1000, ci95: [1000, 1000] as [number, number], converged: true };
    partial.set(`net:${calibrationNetId(net)}`, [{ stats, coldMs: 1, setupMs: 1 }]);
    partial.close();
    const again = await nasInProcess('profile', ...args, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ measured: 0 });
    // The kept round was used instead of measuring the net: 1000 ms spoils the exact fit of the first run.
    const c = JSON.parse(again.stdout).calibration as LutCalibration | undefined;
    expect(c === undefined || c.rmsErrorPct > 1).toBe(true);
    expect(existsSync(PartialRounds.pathFor(lut))).toBe(false);
  });

  it('learns the wide-expansion class: a held-out net with every block expanded ×6 predicted right', async () => {
    // Inside a network a plain block costs 0.9× its one-op time, a wide (e ≥ 6) one 1.25×: exact, noise-free.
    const wideScales = 'contextScales=plain:0.9,wide:1.25';
    const mock = ['--device', 'mock', ...['noise=0', 'outlierRate=0', 'overheadMs=0', wideScales].flatMap((o) => ['--device-opt', o])];
    const lut = path.join(dir, 'wide.lut.json');
    const r = await nasInProcess('profile', ...mock, ...FAST, ...SPACE, '--calibrate', '5', '--context-classes', 'wide', '--context-nets', '3', '--out', lut);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calibration will also measure 3 in-context variant networks for the context classes wide/);
    const c = readCalibration(lut)!;
    expect(c.classScales?.['wide']).toBeCloseTo(1.25, 4);
    expect(c.scale).toBeCloseTo(0.9, 4);
    expect(c.context).toMatchObject({ classes: ['wide'], kept: 'context' });
    expect(c.heldOut?.method).toBe('leave-one-out');
    expect(c.reason).toMatch(/held-out RMS error/);
    const wide = withContextClass(space.build(space.sample(new Rng(78))), 'wide');
    const file = path.join(dir, 'wide.arch.json');
    writeFileSync(file, JSON.stringify({ format: 'hw-nas-arch', version: 1, name: wide.name, input: wide.input, dtype: 'f32', layers: wide.layers }));
    const add = await nasInProcess('profile', ...mock, ...FAST, '--arch', file, '--calibrate', '0', '--out', lut);
    expect(add.code, add.stderr).toBe(0);
    const p = await nasInProcess('predict', '--lut', lut, '--arch', file, '--json');
    expect(p.code, p.stderr).toBe(0);
    const truthWide = modelCostMs(placeLayers(wide).map((x) => x.inst), { ...COST, contextScales: { '': 0.9, wide: 1.25 } });
    expect(Math.abs(JSON.parse(p.stdout).predictions[0].ms - truthWide) / truthWide).toBeLessThan(0.005);
  });

  it('keeps the plain sum where it predicts as well, and records why in the LUT', async () => {
    // A mock whose networks cost exactly their plain sum: one overhead plus each op's one-op time less it (no per-op cost, no context scales).
    const exact = ['noise=0', 'outlierRate=0', 'opMs=0', 'bytesPerMs=1e15'].flatMap((o) => ['--device-opt', o]);
    const lut = path.join(dir, 'refused.lut.json');
    const r = await nasInProcess('profile', '--device', 'mock', ...exact, ...FAST, ...SPACE, '--calibrate', '6', '--context-nets', '0', '--out', lut, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calibration not kept, the plain LUT sum predicts as well/);
    const doc = JSON.parse(readFileSync(lut, 'utf8')) as { calibration?: LutCalibration; calibrationRefused?: { reason: string } };
    expect(doc.calibration).toBeUndefined();
    expect(doc.calibrationRefused?.reason).toMatch(/held-out RMS error [0-9.]+% \(leave-one-out over mbv2 ×6\) against the plain sum's/);
  });

  it('--calibrate-with adds another family to the calibration, which is then checked leave-one-family-out', async () => {
    const exact = ['noise=0', 'outlierRate=0', 'opMs=0', 'bytesPerMs=1e15'].flatMap((o) => ['--device-opt', o]);
    const lut = path.join(dir, 'families.lut.json');
    const r = await nasInProcess('profile', '--device', 'mock', ...exact, ...FAST, ...SPACE, '--calibrate', '4', '--calibrate-with', 'mnasnet', '--context-nets', '0', '--out', lut);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calibrating on 7 networks/);
    const doc = JSON.parse(readFileSync(lut, 'utf8')) as { calibrationRefused?: { reason: string } };
    expect(doc.calibrationRefused?.reason).toMatch(/leave-one-family-out over mbv2 ×4, mnasnet ×3/);
    const bad = await nasInProcess('profile', '--device', 'mock', ...SPACE, '--calibrate-with', 'resnet', '--out', path.join(dir, 'bad.lut.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown search space 'resnet'/);
  });

  it('refuses an unknown context class', async () => {
    const r = await nasInProcess('profile', ...MOCK, ...SPACE, '--context-classes', 'se+relu', '--out', path.join(dir, 'x.lut.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown context class 'se\+relu'/);
  });
});
