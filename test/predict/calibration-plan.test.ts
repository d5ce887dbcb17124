/**
 * What `nas profile --space S --calibrate N` and bench/fidelity.ts measure for the calibration
 * (src/predict/calibration-plan.ts): the same nets of their own seed, in-context variants only for classes the
 * space's ops have and its blocks can carry, size variants and other families where asked.
 */
import { describe, expect, it } from 'vitest';
import { contextVariants } from '../../src/core/context-class.js';
import { lutInstances } from '../../src/core/decompose.js';
import { Rng } from '../../src/core/rng.js';
import { CALIBRATION_SEED, calibrationNetsOf, planCalibration } from '../../src/predict/calibration-plan.js';
import { loadPublishedNets } from '../../src/spaces/published.js';
import { createSpace } from '../../src/spaces/registry.js';

const resolution = 32;
const instancesOf = (archs: readonly { layers: unknown }[]) => (archs as Parameters<typeof lutInstances>[0][]).flatMap((a) => lutInstances(a).map((p) => p.inst));

describe('calibrationNetsOf', () => {
  it("draws the space's nets from the calibration seed, never a user's --seed sample", () => {
    const space = createSpace('regnet', { resolution });
    const nets = calibrationNetsOf(space, 4);
    const rng = new Rng(CALIBRATION_SEED);
    expect(nets.map((a) => a.name)).toEqual(Array.from({ length: 4 }, () => space.build(space.sample(rng)).name));
    const user = new Rng(0);
    expect(nets.map((a) => a.name)).not.toEqual(Array.from({ length: 4 }, () => space.build(space.sample(user)).name));
    expect(nets.every((a) => a.space?.id === 'regnet')).toBe(true);
  });
});

describe('planCalibration', () => {
  const mbv2 = createSpace('mbv2', { resolution });
  const regnet = createSpace('regnet', { resolution });

  it('measures no variant for mbv2: its only class (wide) is measured in context only when asked', () => {
    const nets = calibrationNetsOf(mbv2, 6);
    const plan = planCalibration(nets, instancesOf(nets));
    expect(plan).toMatchObject({ classes: [], variants: [], sizes: [] });
    expect(plan.nets.map((a) => a.name)).toEqual(nets.map((a) => a.name));
    const wide = planCalibration(nets, instancesOf(nets), { contextClasses: 'wide' });
    expect(wide.classes).toEqual(['wide']);
    expect(wide.variants.map((a) => a.name)).toEqual(contextVariants(nets, ['wide']).map((a) => a.name));
  });

  it("finds RegNetY's SE class but no variant: a bottleneck block takes no SE from withContextClass", () => {
    const nets = calibrationNetsOf(regnet, 6);
    const plan = planCalibration(nets, instancesOf(nets));
    expect(plan.classes).toEqual(['se']);
    expect(plan.variants).toEqual([]);
  });

  it('takes the classes asked, none with contextNets 0, and nothing at all for fewer than 3 nets', () => {
    const nets = calibrationNetsOf(mbv2, 4);
    const asked = planCalibration(nets, [], { contextClasses: 'se,hswish', contextNets: 3 });
    expect(asked.classes).toEqual(['hswish', 'se']);
    expect(asked.variants).toHaveLength(6);
    expect(planCalibration(nets, [], { contextClasses: 'se', contextNets: 0 })).toMatchObject({ classes: [], variants: [] });
    expect(planCalibration(nets.slice(0, 2), [], { contextClasses: 'se', sizeNets: 2, calibrateWith: 'published' })).toMatchObject({ variants: [], sizes: [] });
  });

  it('adds size variants of the space nets and other families after them, at their resolution', () => {
    const nets = calibrationNetsOf(regnet, 4);
    const plan = planCalibration(nets, [], { sizeNets: 2, calibrateWith: 'published,mbv2' });
    expect(plan.sizes).toHaveLength(2);
    const published = loadPublishedNets({ resolution }).nets;
    const others = plan.nets.slice(4);
    expect(others.slice(0, published.length).map((a) => a.name)).toEqual(published.map((a) => a.name));
    // Half as many random nets of the other space, at least 3, from the calibration seed.
    expect(others.slice(published.length).map((a) => a.name)).toEqual(calibrationNetsOf(mbv2, 3).map((a) => a.name));
    expect(others.every((a) => a.input[2] === resolution)).toBe(true);
    expect(() => planCalibration(nets, [], { calibrateWith: 'no-such-space' })).toThrow(/no-such-space/);
  });
});
