import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { errorMeasure } from '../../src/designspace/error.js';
import { pickParameters, spaceParameters } from '../../src/designspace/params.js';
import { createSpace } from '../../src/spaces/registry.js';

describe('sampled parameters of a space', () => {
  it('regnet: its numeric decisions and d = depth', () => {
    const space = createSpace('regnet', { resolution: 32 });
    const params = spaceParameters(space);
    expect(params.map((p) => p.name)).toEqual(['depth', 'w0', 'wa', 'wm', 'g', 'b', 'd']);
    const e = [1, 2, 1, 2, 1, 1, 2]; // Y, depth 22, w0 48, wa 36, wm 2.5, g 16, b 4
    expect(Object.fromEntries(params.map((p) => [p.name, p.value(e)]))).toEqual({ depth: 22, w0: 48, wa: 36, wm: 2.5, g: 16, b: 4, d: 22 });
  });

  it('anynet-c: per-stage depths and widths, shared b and g, d = the sum of the stage depths', () => {
    const space = createSpace('anynet-c', { resolution: 32 });
    const params = spaceParameters(space);
    expect(params.map((p) => p.name)).toEqual(['d1', 'w1', 'd2', 'w2', 'd3', 'w3', 'd4', 'w4', 'b', 'g', 'd']);
    const e = [0, 0, 1, 1, 2, 2, 3, 3, 2, 1];
    const values = Object.fromEntries(params.map((p) => [p.name, p.value(e)]));
    expect(values).toMatchObject({ d1: 1, d4: 4, w4: 256, b: 4, g: 16, d: 10 });
  });

  it('an unknown parameter is one UserError listing the known ones', () => {
    const space = createSpace('regnet', { resolution: 32 });
    expect(pickParameters(space, ['wm', 'd']).map((p) => p.name)).toEqual(['wm', 'd']);
    let err: unknown;
    try {
      pickParameters(space, ['wm', 'q']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe("unknown parameter of space regnet 'q'; its sampled parameters are: depth, w0, wa, wm, g, b, d");
  });

  it('errors: 100 − accuracy for percentages, the range top for a command, −score for proxies', () => {
    expect(errorMeasure({ kind: 'table' }).top).toBe(100);
    expect(errorMeasure({ kind: 'train' }).top).toBe(100);
    expect(errorMeasure({ kind: 'command', range: [0, 1] }).top).toBe(1);
    expect(errorMeasure({ kind: 'proxy', metric: 'synflow' })).toEqual({ label: '−synflow score (zero-cost proxy; lower is better)', top: 0 });
  });
});
