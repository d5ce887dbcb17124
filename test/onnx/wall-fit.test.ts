import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import { DEFAULT_PROTOCOL } from '../../devices/types.js';
import { readLut } from '../../lut/store.js';
import { builtInCalibrationPlans, builtInName, WALL_CALIBRATION } from '../../src/onnx/calibration-set.js';
import { networkModel } from '../../export/model.js';
import { Rng } from '../../src/core/rng.js';
import { partitionRuleFor, planOnnx } from '../../src/onnx/plan.js';
import { createSpace } from '../../src/spaces/registry.js';
import { measureWallFit } from '../../src/onnx/wall-fit.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-wall-fit-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the wall-clock in-file fit on the built-in nets', () => {
  it('spans the weights the fit reads its cache size from: a file near the cache, larger ones, one that stays in cache', async () => {
    const plans = await builtInCalibrationPlans({ level: 'all', nchwc: false }, WALL_CALIBRATION);
    expect(plans.map((p) => p.graph.file)).toEqual(WALL_CALIBRATION.map(builtInName));
    const mib = plans.map((p) => p.units.reduce((t, u) => t + u.weightBytes, 0) / 2 ** 20);
    const at = (name: string) => mib[WALL_CALIBRATION.map(builtInName).indexOf(name)];
    // The smallest mbv2 member (every block k3e3) sits near the cache; the random mbv2 net above it; mnasnet's largest far beyond; NB-201 within.
    expect(at('built-in:mbv2@64#1702')).toBeGreaterThan(at('built-in:mbv2@64#min') + 2);
    expect(Math.max(...mib)).toBeGreaterThan(30);
    expect(Math.min(...mib)).toBeLessThan(4);
  }, 120_000);

  it('profiles the nets\' units into the LUT with the user\'s files\' units, times the nets whole in the same passes and stores a wall-clock fit', async () => {
    const device = await resolveDevice('mock', { noise: 0 });
    const lutPath = path.join(dir, 'mock.lut.json');
    const protocol = { ...DEFAULT_PROTOCOL, warmup: 1, minRepeats: 3, maxRepeats: 3, maxTimeMs: 50, rounds: 1 };
    try {
      const info = await device.init();
      // A file of the user's: its units are profiled in the same run and passes as the nets' (nas profile --onnx does so).
      const space = createSpace('mbv2', { resolution: 32 });
      const f = path.join(dir, 'user.onnx');
      writeFileSync(f, networkModel(space.build(space.sample(new Rng(5))), { seed: 0 }).onnx);
      const user = await planOnnx(f, partitionRuleFor(info));
      const fit = await measureWallFit({ device, protocol, lutPath, rule: partitionRuleFor(info), plans: [user] });
      expect(fit.correction).toMatchObject({ model: 'reuse', curve: 'fraction', clock: 'wall', builtIn: true, samples: WALL_CALIBRATION.length });
      expect(fit.correction.fittedOn).toEqual(WALL_CALIBRATION.map(builtInName));
      expect(fit.files).toHaveLength(WALL_CALIBRATION.length);
      // Every net's rounds and their spread are kept, and every net's leave-one-out check is reported (no net is left out of the fit).
      for (const f of fit.files) expect(f.rounds.length).toBeGreaterThanOrEqual(1);
      expect(fit.loo.map((l) => l.name)).toEqual(WALL_CALIBRATION.map(builtInName));
      // The nets were timed in the units' own passes (their units were new to the LUT), not afterwards.
      expect([...fit.profile.timed.keys()].sort()).toEqual(WALL_CALIBRATION.map(builtInName).sort());
      expect(fit.profile.measured).toBeGreaterThan(100);
      const lut = readLut(lutPath);
      for (const u of user.units) expect(lut.entries[u.key]).toBeDefined();
      // One run: the file's and the nets' units share the LUT's single overhead timed in their passes.
      expect(fit.profile.overheadMs).toBe(lut.overhead.median);
      for (const f of fit.files) expect(f.measuredMs).toBeGreaterThan(0);
      // The mock prices every model alike (no ops): no file pays anything beyond its units.
      expect(fit.correction.perMissedByteMs).toBe(0);
      expect(Object.keys(readLut(lutPath).entries).length).toBeGreaterThan(100);
    } finally {
      await device.dispose();
    }
  }, 300_000);
});

describe('built-in nets whose rounds disagree', () => {
  it('are timed again when their spread is beyond the protocol\'s limit, and the steadier measurement is kept', async () => {
    const { netsToRetime, steadier } = await import('../../src/onnx/wall-fit.js');
    expect(netsToRetime([{ spread: 0.02 }, { spread: 0.28 }, { spread: 0.1 }, { spread: 0.11 }], { maxSpread: 0.1 })).toEqual([1, 3]);
    // Without a spread limit (the one-round protocol) nothing is timed again.
    expect(netsToRetime([{ spread: 0.5 }], { maxSpread: undefined })).toEqual([]);
    const a = { spread: 0.28, id: 'first' };
    expect(steadier(a, { spread: 0.04, id: 'again' }).id).toBe('again');
    expect(steadier(a, { spread: 0.3, id: 'again' }).id).toBe('first');
    expect(steadier(a, undefined).id).toBe('first');
  });
});
