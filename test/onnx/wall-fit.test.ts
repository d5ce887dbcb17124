import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import { DEFAULT_PROTOCOL } from '../../devices/types.js';
import { readLut } from '../../lut/store.js';
import { builtInCalibrationPlans, builtInName, WALL_CALIBRATION } from '../../src/onnx/calibration-set.js';
import { partitionRuleFor } from '../../src/onnx/plan.js';
import { measureWallFit } from '../../src/onnx/wall-fit.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-wall-fit-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the wall-clock in-file fit on the built-in nets', () => {
  it('spans the weights the fit reads its cache size from: min and max members, a large and a small file', async () => {
    const plans = await builtInCalibrationPlans({ level: 'all', nchwc: false }, WALL_CALIBRATION);
    expect(plans.map((p) => p.graph.file)).toEqual(WALL_CALIBRATION.map(builtInName));
    const mib = plans.map((p) => p.units.reduce((t, u) => t + u.weightBytes, 0) / 2 ** 20);
    const at = (name: string) => mib[WALL_CALIBRATION.map(builtInName).indexOf(name)];
    // Every block k3e3 against every block k7e6: the max member carries more weights than the min one.
    expect(at('built-in:mbv2@64#max')).toBeGreaterThan(at('built-in:mbv2@64#min') + 4);
    expect(Math.max(...mib)).toBeGreaterThan(30);
    expect(Math.min(...mib)).toBeLessThan(4);
  }, 120_000);

  it('profiles the nets\' units into the LUT, times the nets whole and stores a wall-clock fit', async () => {
    const device = await resolveDevice('mock', { noise: 0 });
    const lutPath = path.join(dir, 'mock.lut.json');
    const protocol = { ...DEFAULT_PROTOCOL, warmup: 1, minRepeats: 3, maxRepeats: 3, maxTimeMs: 50, rounds: 1 };
    try {
      const info = await device.init();
      const fit = await measureWallFit({ device, protocol, lutPath, rule: partitionRuleFor(info) });
      expect(fit.correction).toMatchObject({ model: 'reuse', curve: 'fraction', clock: 'wall', builtIn: true, samples: WALL_CALIBRATION.length });
      expect(fit.correction.fittedOn).toEqual(WALL_CALIBRATION.map(builtInName));
      expect(fit.files).toHaveLength(WALL_CALIBRATION.length);
      // The nets were timed in the units' own passes (their units were new to the LUT), not afterwards.
      expect([...fit.profile.timed.keys()].sort()).toEqual(WALL_CALIBRATION.map(builtInName).sort());
      expect(fit.profile.measured).toBeGreaterThan(100);
      for (const f of fit.files) expect(f.measuredMs).toBeGreaterThan(0);
      // The mock prices every model alike (no ops): no file pays anything beyond its units.
      expect(fit.correction.perMissedByteMs).toBe(0);
      expect(Object.keys(readLut(lutPath).entries).length).toBeGreaterThan(100);
    } finally {
      await device.dispose();
    }
  }, 300_000);
});
