import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { specProblem, validateArchitectureSpec } from '../../src/core/validate-spec.js';
import type { Architecture } from '../../src/core/arch.js';
import { loadPublishedNets } from '../../src/spaces/published.js';
import { SPACE_NAMES, createSpace } from '../../src/spaces/registry.js';
import { INCEPTION_DAG } from './dag-fixtures.js';

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
    [{ kind: 'concat', channels: [8, 16] }, undefined],
    [{ kind: 'concat', channels: [8, 0] }, 'channels must be a list of 1 to 64 integers in [1, 65536], got [8,0]'],
  ])('%j → %s', (spec, problem) => {
    expect(specProblem(spec as never)).toBe(problem);
  });

  describe('DAG architectures (layers with id and inputs)', () => {
    const conv = (cout: number, stride: number) => ({ kind: 'conv', cout, k: 3, stride, groups: 1, dilation: 1, act: 'relu' }) as const;
    it('accepts the inception-style DAG (concat of three branches, a two-input sum)', () => {
      expect(() => validateArchitectureSpec(INCEPTION_DAG)).not.toThrow();
    });
    it('counts the total stride along each path, not the product over parallel branches', () => {
      // stem s2, then two parallel s2 branches joined by concat: the deepest path strides 4, not 8.
      const arch: Architecture = {
        name: 'two-branches',
        input: [1, 3, 4, 4],
        dtype: 'f32',
        layers: [
          { role: 'stem', spec: conv(8, 2) },
          { role: 'block', id: 'a', inputs: ['layer0'], spec: conv(8, 2) },
          { role: 'block', id: 'b', inputs: ['layer0'], spec: conv(8, 2) },
          { role: 'block', inputs: ['a', 'b'], spec: { kind: 'concat', channels: [8, 8] } },
        ],
      };
      expect(() => validateArchitectureSpec(arch)).not.toThrow();
      expect(() => validateArchitectureSpec({ ...arch, input: [1, 3, 3, 3] })).toThrow(/smaller than the network's total stride 4/);
    });
    it('names the layer by its id and refuses inputs that do not resolve', () => {
      const badConcat = structuredClone(INCEPTION_DAG);
      (badConcat.layers[4].spec as { channels: number[] }).channels = [8, 8, 100000];
      expect(() => validateArchitectureSpec(badConcat)).toThrow(/layer 4 'mixed' \(block concat\): channels must be a list/);
      const badRef = structuredClone(INCEPTION_DAG);
      badRef.layers[6].inputs = ['project', 'nope'];
      expect(() => validateArchitectureSpec(badRef)).toThrow(/input 'nope' is not the input or an earlier layer/);
    });
  });
});
