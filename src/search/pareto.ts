/**
 * Pareto tools for the two objectives every search here trades off: maximise accuracy, minimise
 * latency. Non-dominated sorting and crowding distance follow NSGA-II (Deb et al. 2002); the 2-D
 * hypervolume is exact, against an explicit reference point (the worst accuracy and latency that
 * still count).
 */
import { UserError } from '../core/errors.js';

export interface Objectives {
  accuracy: number;
  /** Milliseconds. */
  latencyMs: number;
}

/** `a` dominates `b`: no worse in both objectives and better in at least one. Equal points do not dominate each other. */
export function dominates(a: Objectives, b: Objectives): boolean {
  return a.accuracy >= b.accuracy && a.latencyMs <= b.latencyMs && (a.accuracy > b.accuracy || a.latencyMs < b.latencyMs);
}

/** Indices of the non-dominated points, fastest first. O(n log n): one sweep in latency order. */
export function paretoIndices(points: readonly Objectives[]): number[] {
  const order = points.map((_, i) => i).sort((i, j) => points[i].latencyMs - points[j].latencyMs || points[j].accuracy - points[i].accuracy);
  const front: number[] = [];
  // Every earlier point is at most as slow; the most accurate of them (the fastest such) is the only possible dominator.
  let bestAcc = Number.NEGATIVE_INFINITY;
  let bestLat = Number.NEGATIVE_INFINITY;
  for (const i of order) {
    const p = points[i];
    if (bestAcc > p.accuracy || (bestAcc === p.accuracy && bestLat < p.latencyMs)) continue;
    front.push(i);
    if (p.accuracy > bestAcc) {
      bestAcc = p.accuracy;
      bestLat = p.latencyMs;
    }
  }
  return front;
}

/** The non-dominated members, fastest first. */
export function paretoFront<T extends Objectives>(points: readonly T[]): T[] {
  return paretoIndices(points).map((i) => points[i]);
}

/**
 * What a search reports as best: the most accurate of `candidates` within `targetMs` (any, without one), ties
 * to the faster (to the first on a full tie); undefined when none is within. It is on their Pareto front:
 * whatever dominated it would be within the target too, and more accurate or as accurate and faster.
 */
export function bestWithin<T extends Ranked>(candidates: readonly T[], targetMs?: number): T | undefined {
  let best: T | undefined;
  for (const c of candidates) {
    if (targetMs !== undefined && c.latency.ms > targetMs) continue;
    if (outranks(c, best)) best = c;
  }
  return best;
}

type Ranked = { accuracy: number; latency: { ms: number } };

/** The order every strategy's `best` follows: more accurate first, ties to the faster; anything outranks nothing. */
export function outranks(c: Ranked, than: Ranked | undefined): boolean {
  return !than || c.accuracy > than.accuracy || (c.accuracy === than.accuracy && c.latency.ms < than.latency.ms);
}

/** Non-dominated sorting: fronts of indices, front 0 first (each front fastest first). */
export function nonDominatedSort(points: readonly Objectives[]): number[][] {
  const fronts: number[][] = [];
  let rest = points.map((_, i) => i);
  while (rest.length) {
    const local = paretoIndices(rest.map((i) => points[i]));
    const front = local.map((k) => rest[k]);
    fronts.push(front);
    const taken = new Set(front);
    rest = rest.filter((i) => !taken.has(i));
  }
  return fronts;
}

/**
 * Crowding distance of each member of one front (same order as `front`): the normalised perimeter of
 * the box its neighbours span. Boundary points get Infinity so they always survive.
 */
export function crowdingDistance(front: readonly Objectives[]): number[] {
  const n = front.length;
  const dist = new Array<number>(n).fill(0);
  if (n <= 2) return dist.fill(Number.POSITIVE_INFINITY);
  for (const get of [(p: Objectives) => p.accuracy, (p: Objectives) => p.latencyMs]) {
    const order = front.map((_, i) => i).sort((i, j) => get(front[i]) - get(front[j]));
    const span = get(front[order[n - 1]]) - get(front[order[0]]);
    dist[order[0]] = dist[order[n - 1]] = Number.POSITIVE_INFINITY;
    if (span === 0) continue;
    for (let k = 1; k < n - 1; k++) dist[order[k]] += (get(front[order[k + 1]]) - get(front[order[k - 1]])) / span;
  }
  return dist;
}

/**
 * Area dominated by `points` and bounded by `reference` (accuracy floor, latency ceiling). Points that
 * do not beat the reference in both objectives add nothing.
 */
export function hypervolume(points: readonly Objectives[], reference: Objectives): number {
  if (!Number.isFinite(reference.accuracy) || !Number.isFinite(reference.latencyMs))
    throw new UserError(`hypervolume: the reference point must be finite, got accuracy ${reference.accuracy}, latency ${reference.latencyMs} ms`);
  const inside = points.filter((p) => p.accuracy > reference.accuracy && p.latencyMs < reference.latencyMs);
  // Along the front (fastest first) accuracy rises; each point adds the slab between its accuracy and
  // the previous one's, from its latency up to the reference latency.
  let area = 0;
  let floor = reference.accuracy;
  for (const p of paretoFront(inside)) {
    if (p.accuracy <= floor) continue;
    area += (p.accuracy - floor) * (reference.latencyMs - p.latencyMs);
    floor = p.accuracy;
  }
  return area;
}
