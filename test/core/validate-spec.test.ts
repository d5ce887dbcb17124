import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { specProblem, validateArchitectureSpec } from '../../src/core/validate-spec.js';
import { loadPublishedNets } from '../../src/spaces/published.js';
import { SPACE_NAMES, createSpace } from '../../src/spaces/registry.js';

describe('validate-spec', () => {
  it('accepts every published net and random members of every space', () => {
    const { nets } = loadPublishedNets({ resolution: 64 });
    expect(nets.length).toBeGreaterThan(10);
    for (const net of nets) expect(() => validateArchitectureSpec(net)).not.toThrow();
    for (const id of SPACE_NAMES) {
      const space = createSpace(id);
      const rng = new Rng(3);
      for (let i = 0; i < 20; i++) expect(() => validateArchitectureSpec(space.build(space.sample(rng)))).not.toThrow();
    }
  });

  it.each([
    [{ kind: 'pool', mode: 'max', k: 2, stride: 2 }, undefined], // a "valid"-padded pool may be even
    [{ kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 6, se: 1.5, act: 'hswish', skip: false }, undefined], // MobileNetV3's SE
    [{ kind: 'dwconv', k: 2, stride: 1, dilation: 1, act: 'relu' }, 'k must be odd for a dwconv ("same" padding), got 2'],
    [{ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 0, dilation: 1, act: 'relu' }, 'groups must be an integer in [1, 65536], got 0'],
    [{ kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 0, se: 0, act: 'relu', skip: false }, 'expand must be a number in (0, 64], got 0'],
    [{ kind: 'se', ratio: 0, act: 'relu' }, 'ratio must be a number in (0, 1], got 0'],
    [{ kind: 'sum', arity: 0 }, 'arity must be an integer in [1, 64], got 0'],
  ])('%j → %s', (spec, problem) => {
    expect(specProblem(spec as never)).toBe(problem);
  });
});
