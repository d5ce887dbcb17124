/**
 * The sampled parameters of a space that a bootstrap can take, read off its decisions: every decision
 * whose options are numbers, by its own name (regnet: depth, w0, wa, wm, g, b; anynet-c: d1..d4, w1..w4, b,
 * g), plus `d`, the network's total depth in blocks, as the RegNet paper names it (regnet: its depth;
 * anynet: d1 + … + d4). Non-numeric decisions (regnet's X/Y type) have no range and are left out.
 */
import type { SearchSpace } from '../core/space.js';
import { Registry } from '../core/registry.js';

export interface SpaceParameter {
  name: string;
  describe: string;
  value(encoding: readonly number[]): number;
}

export function spaceParameters(space: SearchSpace): SpaceParameter[] {
  const decisions = space.decisions();
  const numeric = decisions
    .map((d, i) => ({ d, i, values: d.options.map(Number) }))
    .filter(({ values }) => values.every((v) => Number.isFinite(v)));
  const out: SpaceParameter[] = numeric.map(({ d, i, values }) => ({ name: d.name, describe: `decision ${d.name} (${d.options.join('/')})`, value: (e) => values[e[i]] }));
  if (!out.some((p) => p.name === 'd')) {
    const depth = numeric.find(({ d }) => d.name === 'depth');
    const stages = numeric.filter(({ d }) => /^d\d+$/.test(d.name));
    if (depth) out.push({ name: 'd', describe: 'total depth in blocks (= depth)', value: (e) => depth.values[e[depth.i]] });
    else if (stages.length) out.push({ name: 'd', describe: `total depth in blocks (${stages.map((s) => s.d.name).join(' + ')})`, value: (e) => stages.reduce((s, x) => s + x.values[e[x.i]], 0) });
  }
  return out;
}

/** The parameters named in `names` (e.g. --bootstrap wm,g,d); an unknown one is one UserError listing the space's parameters. */
export function pickParameters(space: SearchSpace, names: readonly string[]): SpaceParameter[] {
  const registry = new Registry(
    `parameter of space ${space.id}`,
    spaceParameters(space).map((p) => [p.name, p] as const),
    { knownLabel: 'its sampled parameters are', hint: 'name parameters of the space with --bootstrap, e.g. --bootstrap d,g' },
  );
  return names.map((n) => registry.get(n));
}
