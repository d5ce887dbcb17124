import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import type { Device } from '../../devices/types.js';
import { networkModel } from '../../export/model.js';
import { readLut, writeLut } from '../../lut/store.js';
import { Rng } from '../../src/core/rng.js';
import { planOnnx } from '../../src/onnx/plan.js';
import { COPY_KEY, FEED_KEYS } from '../../src/onnx/feeds.js';
import { chainMaxBytes } from '../../src/onnx/extract.js';
import { predictOnnx, MissingUnitsError } from '../../src/onnx/predict.js';
import { profileUnits } from '../../src/onnx/profile-units.js';
import { createSpace } from '../../src/spaces/registry.js';
import { nasInProcess } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-predict-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PROTOCOL = { warmup: 2, minRepeats: 5, maxRepeats: 20, maxTimeMs: 100, targetCI: 0.05 };

const space = createSpace('mbv2', { resolution: 32 });
const arch = space.build(space.sample(new Rng(11)));
const file = (name: string, seed: number) => {
  const f = path.join(dir, name);
  writeFileSync(f, networkModel(arch, { seed }).onnx);
  return f;
};

describe('predicting an ONNX file from its units', () => {
  it('keys units by what they compute, not by their weights', async () => {
    const a = await planOnnx(file('a.onnx', 0), { level: 'all' });
    const b = await planOnnx(file('b.onnx', 1), { level: 'all' });
    expect(a.units.map((u) => u.key)).toEqual(b.units.map((u) => u.key));
    expect(new Set(a.units.map((u) => u.key)).size).toBeLessThan(a.units.length); // repeated blocks share keys
  });

  it('measures the missing units on ort-cpu, then predicts base + Σ units with a sorted breakdown', async () => {
    const plan = await planOnnx(file('m.onnx', 0), { level: 'all' });
    const lutPath = path.join(dir, 'units.lut.json');
    const device = await resolveDevice('ort-cpu', { threads: 1 });
    try {
      const s = await profileUnits({ device, plans: [plan], protocol: PROTOCOL, lutPath });
      // Every unit, and every NCHWc reorder: the file's and those the units' one-unit models ran.
      const measuredLut = readLut(lutPath);
      const reorders = new Set([...plan.layout.map((l) => l.key), ...plan.units.flatMap((u) => measuredLut.entries[u.key].unit?.layout ?? [])]);
      expect(reorders.size).toBeGreaterThan(0);
      // …and the two feed models (src/onnx/feeds.ts): its residual blocks' units read two run-time inputs.
      expect(plan.units.some((u) => u.inputs.length > 1)).toBe(true);
      expect([...FEED_KEYS, COPY_KEY].every((k) => measuredLut.entries[k] !== undefined)).toBe(true);
      expect(s.measured).toBe(new Set(plan.units.map((u) => u.key)).size + reorders.size + FEED_KEYS.length + 1);
      const again = await profileUnits({ device, plans: [plan], protocol: PROTOCOL, lutPath });
      expect(again.measured).toBe(0);
      // ReorderInput entries timed before their model declared its output (copied out every run, which no unit
      // pays) are stale in a LUT of kept outputs: the prediction does not subtract them, and profiling the same
      // file measures exactly them again.
      const old = readLut(lutPath);
      expect(old.device.options.outputs).toBe('sliced');
      const inputs = [...reorders].filter((k) => k.includes('ReorderInput'));
      expect(inputs.length).toBeGreaterThan(0);
      for (const k of inputs) old.entries[k].unit = { ...old.entries[k].unit!, outputs: [] };
      writeLut(lutPath, old);
      const stale = predictOnnx(readLut(lutPath), plan);
      expect(stale.layout.corrected).toBe(false);
      expect(stale.layout.note).toMatch(/ReorderInput entr.*copied out/);
      const healed = await profileUnits({ device, plans: [plan], protocol: PROTOCOL, lutPath });
      expect(healed.measured).toBe(inputs.length);
      for (const k of inputs) expect(readLut(lutPath).entries[k].unit!.outputs[0]).toHaveLength(4);
    } finally {
      await device.dispose();
    }
    const lut = readLut(lutPath);
    const unitEntry = Object.values(lut.entries)[0];
    expect(unitEntry.unit?.ops.length).toBeGreaterThan(0);
    // On ort-cpu the feeds stay charged by default (src/onnx/feeds.ts, FEEDS_BY_DEFAULT: wasm only).
    const byDefault = predictOnnx(lut, plan);
    expect(byDefault.feeds.applied).toBe(false);
    expect(byDefault.ms).toBe(predictOnnx(lut, plan, { feeds: false }).ms);
    const p = predictOnnx(lut, plan, { feeds: true });
    // Each unit without what its extra run-time inputs cost to feed (src/onnx/feeds.ts) and without the reorders it
    // paid alone (each at most what is left of its figure), the file's reorders once each.
    const net = (k: string) => lut.entries[k].net;
    const perInput = (lut.entries[FEED_KEYS[1]].stats.median - lut.entries[FEED_KEYS[0]].stats.median) / 3;
    const perByte = (lut.entries[COPY_KEY].stats.median - lut.entries[FEED_KEYS[0]].stats.median) / (4 * (256 * 256 - 1));
    const inBytes = (u: (typeof plan.units)[number]) => (u.bytes <= chainMaxBytes() ? 4 * u.inputs.reduce((t, x) => t + x.reduce((a, b) => a * b, 1), 0) : 0);
    const fed = (u: (typeof plan.units)[number]) => net(u.key) - Math.min(net(u.key), Math.max(0, perInput) * (u.inputs.length - 1) + Math.max(0, perByte) * inBytes(u));
    const hand =
      lut.overhead.median +
      plan.units.reduce((t, u) => t + fed(u) - Math.min(fed(u), lut.entries[u.key].unit!.layout!.reduce((a, k) => a + net(k), 0)), 0) +
      plan.layout.reduce((t, l) => t + net(l.key), 0);
    expect(p.layout.corrected).toBe(true);
    expect(p.ms).toBeCloseTo(hand, 12);
    expect(p.feeds).toMatchObject({ applied: true, inputs: plan.units.reduce((t, u) => t + u.inputs.length - 1, 0) });
    expect(p.feeds.perInputMs).toBeCloseTo(Math.max(0, perInput), 12);
    // Without the feed entries (a LUT from before them), or with feeds: false, every unit is charged as timed.
    const { [FEED_KEYS[0]]: _one, [FEED_KEYS[1]]: _four, [COPY_KEY]: _copy, ...rest } = lut.entries;
    const before = predictOnnx({ ...lut, entries: rest }, plan, { feeds: true });
    expect(before.feeds.applied).toBe(false);
    expect(before.ms).toBeCloseTo(predictOnnx(lut, plan, { feeds: false }).ms, 12);
    // (less than the feeds taken off where a unit's own reorders then met the floor of what was left of it). What is
    // taken off is measured: on ort-cpu an extra input costs ~1.5 µs and a byte nothing, so on a busy machine the
    // four-input model can time no slower than the one-input one — then nothing is taken off (the hand sum above
    // checks the arithmetic either way).
    if (perInput > 0 || perByte > 0) {
      expect(p.feeds.savedMs).toBeGreaterThan(0);
      expect(before.ms).toBeGreaterThan(p.ms);
    } else expect(p.feeds.savedMs).toBe(0);
    expect(before.ms - p.ms).toBeLessThanOrEqual(p.feeds.savedMs + 1e-12);
    expect(p.units).toHaveLength(plan.units.length + plan.layout.length);
    for (let i = 1; i < p.units.length; i++) expect(p.units[i - 1].ms).toBeGreaterThanOrEqual(p.units[i].ms);
    expect(p.units.reduce((t, u) => t + u.share, 0)).toBeCloseTo((p.ms - p.overheadMs) / p.ms, 9);
    // A LUT without one of them says which.
    const missingKey = plan.units[0].key;
    const partial = { ...lut, entries: { ...lut.entries } };
    delete partial.entries[missingKey];
    expect(() => predictOnnx(partial, plan)).toThrow(MissingUnitsError);
    // A unit merely not measured yet: --profile-missing fills it.
    expect(() => predictOnnx(partial, plan)).toThrow(expect.objectContaining({ hint: expect.stringMatching(/^measure them with --profile-missing/) }));
    // Unit keys are validated like op keys.
    const bad = path.join(dir, 'bad.lut.json');
    writeLut(bad, lut);
    const text = (await import('node:fs')).readFileSync(bad, 'utf8').replace(missingKey, 'onnx:Conv:1x3:zz:f32');
    writeFileSync(bad, text);
    expect(() => readLut(bad)).toThrow(/unit key 'onnx:Conv:1x3:zz:f32' is malformed/);
  });
});

describe('the overhead a unit LUT subtracts', () => {
  it('is the one timed in the units\' own passes, not the first figure timed alone before them', async () => {
    const plan = await planOnnx(file('o.onnx', 0), { level: 'extended', nchwc: false });
    const lutPath = path.join(dir, 'overhead.lut.json');
    const mock = await resolveDevice('mock', {});
    // A runtime whose code is still cold when the overhead is first timed: its first two rounds of the
    // overhead model take three times as long (as wasm's did at the start of a process).
    let early = 2;
    const device: Device = {
      name: mock.name,
      init: () => mock.init(),
      supports: (inst) => mock.supports(inst),
      dispose: () => mock.dispose(),
      time: async (model, protocol) => {
        const r = await mock.time(model, protocol);
        if (!model.key.startsWith('overhead') || early-- <= 0) return r;
        const x3 = (v: number) => 3 * v;
        return { ...r, stats: { ...r.stats, median: x3(r.stats.median), min: x3(r.stats.min), mean: x3(r.stats.mean), p10: x3(r.stats.p10), p90: x3(r.stats.p90) } };
      },
    };
    const warnings: string[] = [];
    const s = await profileUnits({ device, plans: [plan], protocol: { ...PROTOCOL, rounds: 2, estimator: 'min' }, lutPath, onWarning: (m) => warnings.push(m) });
    expect(s.measured).toBeGreaterThan(0);
    const lut = readLut(lutPath);
    expect(s.overheadAloneMs).toBeGreaterThan(2.5 * s.overheadMs);
    expect(lut.overhead.median).toBe(s.overheadMs);
    expect(warnings.join('\n')).toMatch(/timed in the units' passes/);
    // Every entry's net is its median less the overhead the LUT keeps.
    for (const e of Object.values(lut.entries)) expect(e.net).toBeCloseTo(Math.max(0, e.stats.median - lut.overhead.median), 12);
    expect(Object.keys(lut.entries).some((k) => k.startsWith('overhead') || k.includes('\u0000'))).toBe(false);
  });
});

describe('nas predict --onnx', () => {
  it('profiles what is missing, prints the slowest units, and gives bad input exit 2', async () => {
    const f = file('cli.onnx', 0);
    const lut = path.join(dir, 'cli.lut.json');
    // No timing reference (ort-cpu's default times one beside every batch) and no in-file fit: the test is about what predict prints.
    const r = await nasInProcess('profile', '--onnx', f, '--device', 'cpu', '--threads', '1', '--in-file', 'off', '--reference', 'off', '--out', lut, '--warmup', '2', '--min-repeats', '5', '--max-repeats', '20', '--max-time-ms', '100', '--target-ci', '0.05', '--json');
    expect(r.code, r.stderr).toBe(0);
    const p = await nasInProcess('predict', '--onnx', f, '--lut', lut, '--top', '3', '--json');
    expect(p.code, p.stderr).toBe(0);
    const out = JSON.parse(p.stdout);
    expect(out.predictions[0].units).toHaveLength(3);
    expect(out.predictions[0].unitCount).toBeGreaterThan(3);
    expect(out.predictions[0].metrics.macs).toBeGreaterThan(0);
    const human = await nasInProcess('predict', '--onnx', f, '--lut', lut, '--top', '2');
    expect(human.stdout).toMatch(/ms predicted/);
    expect(human.stdout).toMatch(/units from onnxruntime-node .* optimized graph, level all/);
    const text = path.join(dir, 'text.onnx');
    writeFileSync(text, 'not a model');
    const bad = await nasInProcess('predict', '--onnx', text, '--lut', lut);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an ONNX model/);
    // A truncated model: one clear error, exit 2, no stack trace.
    const cut = path.join(dir, 'cut.onnx');
    const whole = (await import('node:fs')).readFileSync(f);
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const truncated = await nasInProcess('predict', '--onnx', cut, '--lut', lut);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toMatch(/not an ONNX model|truncated/);
    expect(truncated.stderr).not.toMatch(/\n\s+at /);
  });
});
