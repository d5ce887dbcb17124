import { describe, expect, it } from 'vitest';
import { lutInstances } from '../../src/core/decompose.js';
import { opKey, parseOpKey } from '../../src/core/keys.js';
import { activationBytes } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { classesOf, fitCalibration, lutSums } from '../../src/predict/calibrate.js';
import { contextClass, contextVariants, parseContextClassList, withContextClass } from '../../src/core/context-class.js';
import { chooseContextFit } from '../../src/predict/context-fit.js';
import { entryNet, MissingEntriesError, missingInstances, predict } from '../../src/predict/predictor.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { syntheticLut as syntheticFixture } from './fixtures/synthetic-lut.js';
import type { Lut } from '../../lut/format.js';

function syntheticLut(): Lut {
  return syntheticFixture(createMbv2Space({ resolution: 64 }).allInstances(), ['mbv2@64']);
}

describe('LUT predictor', () => {
  const lut = syntheticLut();
  const space = createMbv2Space({ resolution: 64 });

  it('sums overhead and the net latency of every block, with a breakdown', () => {
    const arch = space.build(space.sample(new Rng(3)));
    const p = predict(lut, arch);
    const expected = 0.01 + lutInstances(arch).reduce((s, { inst }) => s + lut.entries[opKey(inst)].net, 0);
    expect(p.ms).toBeCloseTo(expected, 12);
    expect(p.blocks).toHaveLength(arch.layers.length);
    expect(p.calibrated).toBe(false);
    // CI: half-widths combine as independent variances.
    const hw = Math.sqrt(0.0001 ** 2 + lutInstances(arch).reduce((s, { inst }) => s + (0.01 * lut.entries[opKey(inst)].stats.median) ** 2, 0));
    expect(p.ci95[1] - p.ms).toBeCloseTo(hw, 12);
  });

  it('lists every missing entry once and refuses to guess', () => {
    const arch = space.build(space.sample(new Rng(4)));
    const partial = { ...lut, entries: { ...lut.entries } };
    const victim = opKey(lutInstances(arch)[3].inst);
    delete partial.entries[victim];
    expect(missingInstances(partial, arch).map((m) => m.key)).toEqual([victim]);
    expect(() => predict(partial, arch)).toThrow(MissingEntriesError);
    expect(() => predict(partial, arch)).toThrow(new RegExp(victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  it('says what to do instead of --profile-missing when the LUT was imported from a published table (it is refused there)', () => {
    const arch = space.build(space.sample(new Rng(4)));
    const partial = { ...lut, entries: { ...lut.entries } };
    delete partial.entries[opKey(lutInstances(arch)[3].inst)];
    const own = (() => { try { predict(partial, arch); } catch (e) { return e as MissingEntriesError; } })()!;
    expect(own.hint).toMatch(/--profile-missing/);
    const imported = { ...partial, spaces: ['proxyless@224'], imported: { format: 'proxyless', file: 'x.json', source: 'test', notes: [] } };
    const e = (() => { try { predict(imported, arch); } catch (x) { return x as MissingEntriesError; } })()!;
    expect(e).toBeInstanceOf(MissingEntriesError);
    expect(e.hint).toMatch(/imported from a published proxyless table.*--profile-missing is refused.*proxyless@224.*nas profile --device cpu/);
    expect(e.hint).not.toMatch(/^measure them with --profile-missing/);
  });

  it('recovers known per-op and per-byte costs by calibration, and predicts with them', () => {
    const truth = { base: 0.02, perOp: 0.004, perByte: 2e-9 };
    const rng = new Rng(9);
    const measured = Array.from({ length: 30 }, () => {
      const arch = space.build(space.sample(rng));
      const s = lutSums(lut, arch);
      return { arch, ms: truth.base + s.sumMedian - truth.perOp * s.ops - truth.perByte * s.bytes };
    });
    const c = fitCalibration(lut, measured, 'synthetic');
    expect(c.baseMs).toBeCloseTo(truth.base, 6);
    expect(c.perOpMs).toBeCloseTo(truth.perOp, 6);
    expect(c.perByteMs / truth.perByte).toBeCloseTo(1, 3); // within the tiny ridge that keeps collinear fits solvable
    expect(c.rmsErrorPct).toBeLessThan(1e-6);
    const calibrated = { ...lut, calibration: c };
    for (const m of measured.slice(0, 5)) expect(predict(calibrated, m.arch).ms).toBeCloseTo(m.ms, 6);
    const one = lutInstances(measured[0].arch)[0].inst;
    const block = predict(calibrated, measured[0].arch).blocks[0];
    expect(block.ms).toBeCloseTo(lut.entries[opKey(one)].stats.median - c.perOpMs - c.perByteMs * activationBytes(one), 9);
  });

  it('recovers the share of a one-op time an op takes in a network (scale), choosing models by how they predict left-out nets', () => {
    const truth = { base: 0.3, scale: 0.72 };
    const rng = new Rng(11);
    const measured = Array.from({ length: 20 }, () => {
      const arch = space.build(space.sample(rng));
      return { arch, ms: truth.base + truth.scale * lutSums(lut, arch).sumMedian };
    });
    const c = fitCalibration(lut, measured, 'synthetic');
    expect(c.scale).toBeCloseTo(truth.scale, 5);
    expect(c.baseMs).toBeCloseTo(truth.base, 5);
    expect(c.rmsErrorPct).toBeLessThan(1e-4);
    expect(c.plainRmsErrorPct).toBeGreaterThan(1);
    for (const m of measured.slice(0, 3)) expect(predict({ ...lut, calibration: c }, m.arch).ms).toBeCloseTo(m.ms, 6);
  });

  it('learns one scale per context class from networks whose blocks carry it, and predicts a class a plain fit gets wrong', () => {
    const rng = new Rng(21);
    const plain = Array.from({ length: 12 }, () => space.build(space.sample(rng)));
    const variants = contextVariants(plain, ['', 'se+hswish']);
    expect(variants).toHaveLength(12); // every plain net once, in the one class there is
    expect(contextVariants(plain.slice(0, 2), ['se', 'hswish'])).toHaveLength(6); // at least 3 per class
    expect(variants.every((a) => a.layers.filter((l) => l.role === 'block').every((l) => contextClass(l.spec) === 'se+hswish'))).toBe(true);
    expect(variants[0].layers[0]).toBe(plain[0].layers[0]); // the stem stays
    const heldOut = withContextClass(space.build(space.sample(rng)), 'se+hswish');
    const withVariants: Lut = { ...lut, entries: { ...lut.entries } };
    for (const a of [...variants, heldOut]) for (const { inst } of lutInstances(a)) withVariants.entries[opKey(inst)] ??= lut.entries[Object.keys(lut.entries)[0]];
    const truth: Record<string, number> = { '': 0.8, wide: 0.8, 'se+hswish': 1.5 }; // wide (e6) blocks as plain ones here
    const time = (arch: (typeof plain)[number]) => {
      const s = lutSums(withVariants, arch);
      return 0.1 + Object.entries(s.byClass).reduce((sum, [c, v]) => sum + truth[c] * v, 0);
    };
    const fitted = fitCalibration(withVariants, [...plain, ...variants].map((arch) => ({ arch, ms: time(arch) })), 'synthetic');
    expect(fitted.classScales?.['se+hswish']).toBeCloseTo(1.5, 4);
    expect(fitted.scale).toBeCloseTo(0.8, 4);
    expect(predict({ ...withVariants, calibration: fitted }, heldOut).ms).toBeCloseTo(time(heldOut), 4);
    // fitted on plain networks only, the class gets the plain scale: the held-out SE/hswish net comes out too fast
    const plainOnly = fitCalibration(withVariants, plain.map((arch) => ({ arch, ms: time(arch) })), 'synthetic');
    expect(plainOnly.classScales).toBeUndefined();
    expect(predict({ ...withVariants, calibration: plainOnly }, heldOut).ms).toBeLessThan(0.9 * time(heldOut));
  });

  it('gives a context class its own scale only where at least 3 networks carry it, else it counts with the plain ops', () => {
    const sums = (shares: number[]) => shares.map((x) => ({ sumMedian: 1, byClass: { '': 1 - x, ...(x > 0 ? { se: x } : {}) } }));
    expect(classesOf(sums([0.5, 0.5, 0, 0]))).toEqual(['']);
    expect(classesOf(sums([0.5, 0.5, 0.5, 0]))).toEqual(['', 'se']);
    expect(classesOf(sums([0.5, 0.5, 0.05, 0]))).toEqual(['']); // a share under 10% does not count
    expect(classesOf([])).toEqual([]);
    const rng = new Rng(41);
    const plain = Array.from({ length: 10 }, () => space.build(space.sample(rng)));
    const se = contextVariants(plain, ['se']);
    const swish = withContextClass(plain[0], 'swish'); // one network alone carries swish
    const withVariants: Lut = { ...lut, entries: { ...lut.entries } };
    for (const a of [...se, swish]) for (const { inst } of lutInstances(a)) withVariants.entries[opKey(inst)] ??= lut.entries[Object.keys(lut.entries)[0]];
    // swish as plain ops here, so the fit is exact: what is tested is that swish gets no column of its own.
    const truth: Record<string, number> = { '': 0.8, wide: 0.8, se: 1.5, swish: 0.8 };
    const time = (arch: (typeof plain)[number]) => 0.1 + Object.entries(lutSums(withVariants, arch).byClass).reduce((sum, [c, v]) => sum + truth[c] * v, 0);
    const fitted = fitCalibration(withVariants, [...plain, ...se, swish].map((arch) => ({ arch, ms: time(arch) })), 'synthetic');
    expect(fitted.classScales?.se).toBeCloseTo(1.5, 4);
    expect(fitted.classScales).not.toHaveProperty('swish');
    expect(predict({ ...withVariants, calibration: fitted }, swish).ms).toBeCloseTo(time(swish), 4);
    // The swish ops are predicted at the common scale.
    const swishOps = lutSums(withVariants, swish).byClass.swish;
    expect(swishOps).toBeGreaterThan(0);
    const c = fitted;
    expect(lutSums(withVariants, swish).byClass.swish * (c.classScales?.swish ?? c.scale ?? 1)).toBeCloseTo(swishOps * (c.scale ?? 1), 12);
  });

  it('keeps the in-context fit only when it beats the plain sum, and says why (chooseContextFit)', () => {
    const rng = new Rng(31);
    const plain = Array.from({ length: 8 }, () => space.build(space.sample(rng)));
    const variants = contextVariants(plain, ['se']);
    const withVariants: Lut = { ...lut, entries: { ...lut.entries } };
    for (const a of variants) for (const { inst } of lutInstances(a)) withVariants.entries[opKey(inst)] ??= lut.entries[Object.keys(lut.entries)[0]];
    const plainSum = (arch: (typeof plain)[number]) => predict({ ...withVariants, calibration: undefined }, arch, { breakdown: false }).ms;
    // Every network exactly the plain sum: no fit can beat it, so none is kept and the message says so.
    const exact = chooseContextFit(withVariants, plain.map((arch) => ({ arch, ms: plainSum(arch) })), variants.map((arch) => ({ arch, ms: plainSum(arch) })), ['se'], 'synthetic');
    expect(exact.calibration).toBeUndefined();
    expect(exact.message).toMatch(/calibration not kept, the plain LUT sum predicts as well: no fit beats it on networks it was not fitted on/);
    // SE blocks 1.4× in context: the per-class fit is kept, with the figures of the fits it beat.
    const time = (arch: (typeof plain)[number]) => 0.2 + Object.entries(lutSums(withVariants, arch).byClass).reduce((sum, [c, v]) => sum + (c === 'se' ? 1.4 : 1) * v, 0);
    const kept = chooseContextFit(withVariants, plain.map((arch) => ({ arch, ms: time(arch) })), variants.map((arch) => ({ arch, ms: time(arch) })), ['se'], 'synthetic');
    expect(kept.calibration?.classScales?.['se']).toBeCloseTo(1.4, 4);
    expect(kept.calibration?.context).toMatchObject({ classes: ['se'], variantNets: variants.length, kept: 'context' });
    expect(kept.calibration!.context!.rmsErrorPct.plainNets).toBeGreaterThan(kept.calibration!.context!.rmsErrorPct.context!);
  });

  it('leaves out variants no block of which can take the class, and reads class lists strictly', () => {
    const se = withContextClass(space.build(space.sample(new Rng(4))), 'se');
    expect(contextVariants([se], ['se'])).toHaveLength(0); // every block has SE already
    expect(contextVariants([se], ['hswish'])).toHaveLength(3);
    expect(parseContextClassList('hswish+se, se,hswish')).toEqual(['hswish', 'se', 'se+hswish']);
    expect(() => parseContextClassList('se+se')).toThrow(/unknown context class/);
    expect(() => parseContextClassList('relu')).toThrow(/unknown context class/);
  });

  it('never keeps a fit under which an op of the LUT costs less than nothing', () => {
    // Disturbed timings: networks with more activation bytes measured *faster*, which a large per-byte cost would fit.
    const rng = new Rng(5);
    const measured = Array.from({ length: 20 }, () => {
      const arch = space.build(space.sample(rng));
      const s = lutSums(lut, arch);
      return { arch, ms: 5 + s.sumMedian - 3e-6 * s.bytes };
    });
    const c = fitCalibration(lut, measured, 'synthetic');
    for (const [key, e] of Object.entries(lut.entries)) {
      const inst = parseOpKey(key);
      expect((c.scale ?? 1) * e.stats.median - c.perOpMs - c.perByteMs * activationBytes(inst)).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("predicting without the units' own NCHWc reorders", () => {
  const space = createMbv2Space({ resolution: 64 });
  const arch = space.build(space.sample(new Rng(5)));
  const base = syntheticLut();
  // Every entry records reorders worth 10% of its figure, 6% at its edges; one entry more than its figure (clamped at 0).
  const entries = Object.fromEntries(
    Object.entries(base.entries).map(([k, e]) => [k, { ...e, ownLayout: { reorders: 3, kernelMs: 0.1 * e.net, edgeReorders: 2, edgeMs: 0.06 * e.net, runs: 20 } }]),
  );
  const victim = opKey(lutInstances(arch)[0].inst);
  entries[victim] = { ...entries[victim], ownLayout: { reorders: 2, kernelMs: entries[victim].net + 1, edgeReorders: 2, edgeMs: entries[victim].net + 1, runs: 20 } };
  const lut: Lut = { ...base, entries };
  const expected = (share: number) => lut.overhead.median + lutInstances(arch).reduce((s, { inst }) => s + (opKey(inst) === victim ? 0 : share * base.entries[opKey(inst)].net), 0);

  it('keeps them by default and removes those at the edges, or all, on request, entry by entry', () => {
    expect(predict(lut, arch).ms).toBeCloseTo(predict(base, arch).ms, 12);
    expect(predict(lut, arch, { ownLayout: 'all' }).ms).toBeCloseTo(expected(0.9), 12);
    expect(predict(lut, arch, { ownLayout: 'edges' }).ms).toBeCloseTo(expected(0.94), 12);
    expect(predict(lut, arch, { ownLayout: 'all' }).blocks[0].ms).toBe(0);
    expect(entryNet(entries[victim], 'edges')).toBe(0);
    expect(entryNet(entries[victim])).toBe(entries[victim].net);
  });

  it('counts entries without the record as measured (LUTs of before), and removes no edges a record does not tell apart', () => {
    expect(predict(base, arch, { ownLayout: 'all' }).ms).toBeCloseTo(predict(base, arch).ms, 12);
    const e = { ...base.entries[victim], ownLayout: { reorders: 2, kernelMs: 0.001, runs: 20 } };
    expect(entryNet(e, 'edges')).toBe(e.net);
    expect(entryNet(e, 'all')).toBeCloseTo(e.net - 0.001, 12);
  });

  it('leaves a calibrated LUT to its calibration', () => {
    const calibration = { baseMs: 0.02, perOpMs: 0, perByteMs: 0, fittedOn: 5, rmsErrorPct: 1, source: 's', createdAt: '2025-01-01T00:00:00.000Z' };
    expect(predict({ ...lut, calibration }, arch, { ownLayout: 'all' }).ms).toBeCloseTo(predict({ ...lut, calibration }, arch).ms, 12);
  });
});
