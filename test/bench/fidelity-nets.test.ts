/**
 * bench/fidelity-nets.ts: a fidelity run's nets rebuilt from its recorded arguments for the replays, matched by
 * name, with the family each counts in; nets today's samplers no longer draw are left out, not mismatched.
 */
import { describe, expect, it, vi } from 'vitest';
import { fidelityNets, keptWhat, type FidelityDoc } from '../../bench/fidelity-nets.js';
import { calibrationNetsOf, planCalibration } from '../../src/predict/calibration-plan.js';
import type { LutCalibration } from '../../lut/format.js';
import { contextClass, contextVariants } from '../../src/core/context-class.js';
import { lutInstances } from '../../src/core/decompose.js';
import { Rng } from '../../src/core/rng.js';
import { loadPublishedNets } from '../../src/spaces/published.js';
import { createSpace } from '../../src/spaces/registry.js';

const resolution = 32;
const space = createSpace('mbv2', { resolution });
const rng = new Rng(0);
const random = [space.build(space.sample(rng)), space.build(space.sample(rng))];
const published = loadPublishedNets({ resolution }).nets.filter((a) => a.name === 'MobileNetV2-1.0' || a.name === 'MobileNetV3-Large-1.0');
const calRng = new Rng(1_000_003);
const cal = [space.build(space.sample(calRng)), space.build(space.sample(calRng))];

function doc(extra: FidelityDoc['points'] = []): FidelityDoc {
  return {
    args: { resolution, count: 2, seed: 0, otherSpace: 'regnet', otherCount: 0, published: true },
    load: ['0', '0'],
    points: [
      ...random.map((a, i) => ({ name: a.name, set: `random mbv2@${resolution}`, measured: 1 + i, remeasured: 1.1 + i })),
      ...published.map((a) => ({ name: a.name, set: 'published', measured: 3 })),
      ...extra,
    ],
  };
}

describe('fidelityNets', () => {
  it('rebuilds the random and published test nets by name, each in its family, with both measurements', () => {
    const nets = fidelityNets(doc());
    expect(nets.map((n) => n.arch.name)).toEqual([...random, ...published].map((a) => a.name));
    expect(nets.map((n) => n.family)).toEqual([`random mbv2@${resolution}`, `random mbv2@${resolution}`, 'MobileNetV2', 'MobileNetV3']);
    expect(nets[1]).toMatchObject({ ms: 2, remeasured: 2.1 });
  });

  it('leaves out, and says so, a net the samplers do not draw again', () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const nets = fidelityNets(doc([{ name: 'regnet@32:gone', set: 'random regnet@32', measured: 1 }]));
      expect(nets).toHaveLength(4);
      expect(String(err.mock.calls[0][0])).toMatch(/1 nets .*left out: regnet@32:gone/);
    } finally {
      err.mockRestore();
    }
  });

  it('rebuilds the saved calibration nets and their in-context variants from their own seed, and refuses a mismatch', () => {
    // The variants are those of the context classes the test nets hold (MobileNetV3's SE and hswish blocks), as bench/fidelity.ts draws them.
    const classes = [...new Set([...random, ...published].flatMap((a) => lutInstances(a).map(({ inst }) => contextClass(inst.spec))))].sort();
    const variants = contextVariants(cal, classes);
    expect(variants.length).toBeGreaterThan(0);
    const saved = [...cal.map((a) => ({ name: a.name, ms: 2, variant: false })), ...variants.map((a) => ({ name: a.name, ms: 2, variant: true }))];
    const built = fidelityNets({ ...doc(), calibrationNets: saved }).slice(4);
    expect(built.map((n) => n.arch.name)).toEqual(saved.map((c) => c.name));
    expect(built.map((n) => n.family)).toEqual(saved.map((c) => `calibration mbv2@${resolution}${c.variant ? ' in-context' : ''}`));
    expect(() => fidelityNets({ ...doc(), calibrationNets: [{ name: 'not-a-net', ms: 1, variant: false }] })).toThrow(/calibration net not-a-net .* not rebuilt/);
  });

  it('rebuilds a --space regnet run: its random and calibration nets from the space, the variants of its recorded classes, another family after its own', () => {
    const regnet = createSpace('regnet', { resolution });
    const r = new Rng(0);
    const randomRegnet = [regnet.build(regnet.sample(r)), regnet.build(regnet.sample(r))];
    const plan = planCalibration(calibrationNetsOf(regnet, 3), [], { calibrateWith: 'mbv2' });
    expect(plan.nets).toHaveLength(6);
    const d: FidelityDoc = {
      args: { resolution, count: 2, seed: 0, otherSpace: 'mbv2', otherCount: 0, published: false, space: 'regnet', calibrate: 3, calibrateWith: 'mbv2' },
      contextClasses: ['se'],
      load: ['0', '0'],
      points: randomRegnet.map((a, i) => ({ name: a.name, set: `random regnet@${resolution}`, measured: 1 + i })),
      calibrationNets: plan.nets.map((a) => ({ name: a.name, ms: 2, variant: false })),
    };
    const nets = fidelityNets(d);
    expect(nets.map((n) => n.arch.name)).toEqual([...randomRegnet, ...plan.nets].map((a) => a.name));
    expect(nets.slice(2).map((n) => n.family)).toEqual([...Array(3).fill(`calibration regnet@${resolution}`), ...Array(3).fill('calibration mbv2')]);
  });
});

describe('keptWhat', () => {
  it('names the calibration nas profile keeps as the fidelity report prints it', () => {
    const c = { baseMs: 0, perOpMs: 0, perByteMs: 0, fittedOn: 3, rmsErrorPct: 1, source: 's', createdAt: '' } as LutCalibration;
    expect(keptWhat(undefined)).toBe('plain sum');
    expect(keptWhat({ ...c, reason: 'one-scale fit on the 10 plain networks kept (…)' })).toBe('one scale');
    expect(keptWhat({ ...c, reason: 'fit on …', context: { kept: 'context' } as LutCalibration['context'] })).toBe('context');
    expect(keptWhat({ ...c, reason: 'fit kept: …' })).toBe('plain-nets');
  });
});
