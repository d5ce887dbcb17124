import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { closest, editDistance, Registry } from '../../src/core/registry.js';
import { createSpace, SPACES } from '../../src/spaces/registry.js';
import { createStrategy } from '../../src/search/strategies/registry.js';
import { createEvaluator } from '../../src/evaluators/registry.js';
import { deviceName } from '../../devices/registry.js';
import { loadImageSet } from '../../src/data/datasets.js';
import { publishedArchitecture } from '../../src/spaces/catalog.js';

const INHERITED = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('Registry', () => {
  const r = new Registry('fruit', { apple: 1, banana: 2, cherry: 3 }, { aliases: { app: 'apple' }, hint: 'see the menu' });

  it('looks up own names and aliases only', () => {
    expect(r.get('apple')).toBe(1);
    expect(r.get('app')).toBe(1);
    expect(r.resolve('app')).toBe('apple');
    expect(r.names).toEqual(['apple', 'banana', 'cherry']);
    for (const name of INHERITED) {
      expect(r.has(name)).toBe(false);
      expect(userError(() => r.get(name)).message).toBe(`unknown fruit '${name}'; known: apple, banana, cherry (aliases: app → apple)`);
    }
  });

  it('suggests the closest name for a typo, and nothing for another word', () => {
    expect(userError(() => r.get('banan')).hint).toBe("did you mean 'banana'?; see the menu");
    expect(userError(() => r.get('Cherry')).hint).toContain("'cherry'");
    expect(userError(() => r.get('zucchini')).hint).toBe('see the menu');
    expect(closest('evolutoin', ['random', 'evolution', 'nsga2'])).toBe('evolution');
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('refuses an alias to an unregistered name (a programming error)', () => {
    expect(() => new Registry('x', { a: 1 }, { aliases: { b: 'c' } })).toThrow(/alias 'b'/);
  });
});

describe('every name lookup goes through the registry', () => {
  it.each(INHERITED)('%s is an unknown name everywhere, with the known names listed', async (name) => {
    expect(userError(() => createSpace(name)).message).toMatch(new RegExp(`^unknown search space '${name.replace(/[$_]/g, '\\$&')}'; known: ${Object.keys(SPACES).join(', ')}$`));
    await expect(createStrategy(name)).rejects.toThrow(/unknown search strategy .*; known: random, evolution/);
    await expect(createEvaluator(name)).rejects.toThrow(/unknown evaluator .*; known: table, command, proxy/);
    expect(() => deviceName(name)).toThrow(/unknown device .*; known: ort-cpu/);
    expect(() => loadImageSet({ dataset: name })).toThrow(/unknown data set .*; known: fashion-mnist, cifar10/);
  });

  it('published nets: unknown names and typos', () => {
    expect(userError(() => publishedArchitecture('toString')).message).toMatch(/^unknown published net 'toString'; known: .*MobileNetV2-1\.0/);
    expect(userError(() => publishedArchitecture('MobileNetV2-1.O')).hint).toBe("did you mean 'MobileNetV2-1.0'?");
  });
});
