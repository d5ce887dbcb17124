/**
 * How well predicted values agree with measured ones: the figures nn-Meter and the NAS literature
 * report (share within ±p%, rank correlations). One implementation for benchmarks, verify and the
 * supernet ranking check.
 */
import { sampleRankCorrelation } from 'simple-statistics';

/** Kendall's τ-b (ties handled), O(n²): fine for the few hundred points we compare. */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error(`kendallTau: lengths differ (${x.length} vs ${y.length})`);
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom === 0 ? NaN : (concordant - discordant) / denom;
}

export function spearmanRho(x: readonly number[], y: readonly number[]): number {
  return sampleRankCorrelation([...x], [...y]);
}

export interface Agreement {
  n: number;
  within5: number;
  within10: number;
  meanAbsErrorPct: number;
  maxAbsErrorPct: number;
  kendallTau: number;
  spearmanRho: number;
}

/** Relative error of each prediction against its measurement, in percent. */
export function errorPct(predicted: number, measured: number): number {
  return (100 * (predicted - measured)) / measured;
}

export function agreement(predicted: readonly number[], measured: readonly number[]): Agreement {
  const errs = predicted.map((p, i) => Math.abs(errorPct(p, measured[i])));
  const share = (limit: number) => (100 * errs.filter((e) => e <= limit).length) / errs.length;
  return {
    n: errs.length,
    within5: share(5),
    within10: share(10),
    meanAbsErrorPct: errs.reduce((s, e) => s + e, 0) / errs.length,
    maxAbsErrorPct: Math.max(...errs),
    kendallTau: kendallTau(predicted, measured),
    spearmanRho: errs.length > 2 ? spearmanRho(predicted, measured) : NaN,
  };
}
