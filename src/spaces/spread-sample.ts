/**
 * N architectures spread over a space's cost range (e.g. MACs), for ranking benchmarks.
 *
 * Uniform sampling concentrates the cost of a layer-wise space near its mean (21 independent layers:
 * mbv2's uniform samples span about 2× in MACs where the space spans 4–6×), so the nets it gives differ
 * little, and a ranking of them is mostly noise. A search has to rank a space's whole range, so this
 * picks targets evenly spaced on a log scale between the space's cheapest and dearest member (found by
 * coordinate descent), and walks a uniform sample to each target, one randomly chosen decision at a time set to its option
 * nearest the target, until within 0.5%: the nets keep random structure apart from their cost.
 */
import type { Rng } from '../core/rng.js';
import type { SearchSpace } from '../core/space.js';

export interface SpreadOptions {
  /** Cost of a choice vector (> 0); throw or return a non-finite value for a vector that does not build. */
  cost: (choices: readonly number[]) => number;
  /** One-decision moves per net while walking to its target (default 200; it stops within 0.5% of the target). */
  tries?: number;
}

export interface SpreadPick {
  choices: number[];
  cost: number;
  target: number;
}

function safeCost(cost: SpreadOptions['cost'], c: readonly number[]): number {
  try {
    const v = cost(c);
    return Number.isFinite(v) && v > 0 ? v : NaN;
  } catch {
    return NaN;
  }
}

/** Coordinate descent from `start` to the cheapest (sign 1) or dearest (sign −1) vector it reaches. */
export function extremeChoices(space: SearchSpace, start: readonly number[], cost: SpreadOptions['cost'], sign: 1 | -1): { choices: number[]; cost: number } {
  const options = space.decisions().map((d) => d.options.length);
  const c = [...start];
  let best = safeCost(cost, c);
  for (let pass = 0, changed = true; changed && pass < 10; pass++) {
    changed = false;
    for (let i = 0; i < c.length; i++) {
      for (let o = 0; o < options[i]; o++) {
        if (o === c[i]) continue;
        const old = c[i];
        c[i] = o;
        const v = safeCost(cost, c);
        if (Number.isFinite(v) && (!Number.isFinite(best) || sign * (v - best) < 0)) {
          best = v;
          changed = true;
        } else c[i] = old;
      }
    }
  }
  return { choices: c, cost: best };
}

/**
 * `n` distinct choice vectors whose costs lie near targets evenly spaced in log cost between the
 * space's extremes, cheapest first. Deterministic for a given rng state.
 */
export function spreadSample(space: SearchSpace, n: number, rng: Rng, opts: SpreadOptions): SpreadPick[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`spreadSample: n must be a positive integer, got ${n}`);
  const options = space.decisions().map((d) => d.options.length);
  const lo = extremeChoices(space, space.sample(rng), opts.cost, 1);
  const hi = extremeChoices(space, space.sample(rng), opts.cost, -1);
  const [a, b] = [Math.log(lo.cost), Math.log(hi.cost)];
  const tries = opts.tries ?? 200;
  const seen = new Set<string>();
  const picks: SpreadPick[] = [];
  for (let k = 0; k < n; k++) {
    const goal = n === 1 ? (a + b) / 2 : a + ((b - a) * k) / (n - 1);
    let best: { choices: number[]; dist: number } | undefined;
    // a few fresh starts when a walk ends on a vector already picked (small spaces, the extremes)
    for (let start = 0; start < 20 && (!best || seen.has(best.choices.join(','))); start++) {
      const c = space.sample(rng);
      let dist = Math.abs(Math.log(safeCost(opts.cost, c)) - goal);
      if (!Number.isFinite(dist)) continue;
      // each step sets one random decision to its option nearest the goal (the others keep their random values)
      for (let t = 0; t < tries && dist > 0.005; t++) {
        const i = rng.int(c.length);
        let keep = c[i];
        for (let o = 0; o < options[i]; o++) {
          c[i] = o;
          const d = Math.abs(Math.log(safeCost(opts.cost, c)) - goal);
          if (Number.isFinite(d) && d < dist && !seen.has(c.join(','))) [dist, keep] = [d, o];
        }
        c[i] = keep;
      }
      if (!seen.has(c.join(',')) || !best) best = { choices: c, dist };
    }
    if (!best || seen.has(best.choices.join(','))) throw new Error(`spreadSample: found no new vector near cost ${Math.exp(goal).toPrecision(3)} (the space has too few members for ${n} spread nets)`);
    seen.add(best.choices.join(','));
    picks.push({ choices: best.choices, cost: safeCost(opts.cost, best.choices), target: Math.exp(goal) });
  }
  return picks;
}
