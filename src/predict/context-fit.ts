/**
 * Which calibration a LUT keeps when in-context variants were measured beside the plain calibration
 * networks (nas profile): the fit on all of them (per-class scales allowed), the fit on the plain networks
 * alone, or none (the plain LUT sum). Every candidate is judged on every measured network *out of sample*:
 * the context fit refitted without each network's fold (leave-one-out, or leave-one-family-out over
 * several families); the plain-net fit refitted likewise on the plain networks and applied as it is to
 * the variants (which it never saw); the plain sum fits nothing. A fit that only fits its own networks
 * better (a negative base absorbing them, on a quiet machine: docs/benchmarks.md, issue 13) loses here.
 * A fit is kept only when it beats the plain sum by a clear margin (beatsPlainSum); between the two fits
 * the lower held-out error wins, the plain-net fit (fewer parameters) on a tie. The choice and its figures
 * are recorded in the calibration (`context`, `reason`), so a LUT says which fit it holds and why.
 * With a measured weight cost (ort-cpu, wasm: 1 thread) none of this: the one-scale fit on the plain networks is kept where it beats
 * the plain sum (keepOneScale; CalibrationOptions.keep 'choose' restores the choice, for replays).
 */
import type { CalibrationContext, Lut, LutCalibration } from '../../lut/format.js';
import { beatsPlainSum, calibratedSum, calibrationHelps, fitCalibration, fitValidated, KEEP_MARGIN, lutSums, netFamily, type CalibrationOptions, type MeasuredNet } from './calibrate.js';
import { fitOneScale } from './one-scale-fit.js';
import { predict } from './predictor.js';

export interface ContextFitResult {
  /** The calibration to keep, with `context` and `reason` saying why; undefined when no fit beats the plain sum. */
  calibration?: LutCalibration;
  /** One line for the user: what was kept and why (or why nothing was). */
  message: string;
  /** Both fits, for reports. */
  contextFit: LutCalibration | undefined;
  plainNetFit?: LutCalibration;
}

/** The figures there are (a fit that could not be made or tested has none), as the LUT stores them. */
const finite = (f: { context: number; plainNets: number; plainSum: number }) => ({
  ...(Number.isFinite(f.context) ? { context: f.context } : {}),
  ...(Number.isFinite(f.plainNets) ? { plainNets: f.plainNets } : {}),
  plainSum: f.plainSum,
});
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(1)}%`);
const rms = (errors: readonly number[]) => 100 * Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
const inSample = (lut: Lut, c: LutCalibration, measured: readonly MeasuredNet[]) => rms(measured.map((m) => calibratedSum(c, lutSums(lut, m.arch)) / m.ms - 1));

/**
 * The calibration a LUT keeps from its measured calibration networks (`nas profile --calibrate`, and what
 * bench/fidelity.ts reports as kept): with a measured weight cost (ort-cpu, wasm) the one-scale fit on the plain networks,
 * whether or not in-context variants were measured (a space whose ops have no context class, such as mbv2, or whose
 * blocks cannot carry one, such as RegNet's bottlenecks, has none); else with variants the choice of
 * chooseContextFit; else the fit on the plain networks where it beats the plain sum on networks it was not fitted on.
 */
export function keepCalibration(lut: Lut, plain: readonly MeasuredNet[], variants: readonly MeasuredNet[], classes: readonly string[], source: string, opts: CalibrationOptions = {}): { calibration?: LutCalibration; message: string } {
  if (variants.length || ((opts.perWeightByteMs ?? 0) > 0 && (opts.keep ?? 'one-scale') === 'one-scale' && plain.length >= 3)) {
    const choice = chooseContextFit(lut, plain, variants, classes, source, opts);
    return { calibration: choice.calibration, message: choice.message };
  }
  const fit = fitCalibration(lut, plain, source, opts);
  const h = fit.heldOut!;
  const figures =
    `held-out RMS error ${h.rmsErrorPct.toFixed(1)}% (${h.method} over ${Object.entries(h.families).map(([f, n]) => `${f} ×${n}`).join(', ')}) ` +
    `against the plain sum's ${fit.plainRmsErrorPct?.toFixed(1)}%; on the networks fitted ${fit.rmsErrorPct.toFixed(1)}%`;
  if (calibrationHelps(fit)) {
    const reason = `fit kept: it predicts networks it was not fitted on better than the plain sum by the margin asked (${figures})`;
    return { calibration: { ...fit, reason }, message: reason };
  }
  return {
    message: `calibration not kept, the plain LUT sum predicts as well: the fit does not beat it on networks it was not fitted on by ${KEEP_MARGIN.relative * 100}% and ${KEEP_MARGIN.points} points (${figures}); predictions use the plain sum`,
  };
}

/**
 * `plain`: the calibration networks as they are; `variants`: their in-context variants for `classes`
 * (each counts in its base network's family); `opts`: a measured weight cost both fits may use (calibrate.ts). `source` describes the plain networks (e.g. "mbv2@64: 20 networks measured end to end").
 */
export function chooseContextFit(lut: Lut, plain: readonly MeasuredNet[], variants: readonly MeasuredNet[], classes: readonly string[], source: string, opts: CalibrationOptions = {}): ContextFitResult {
  if ((opts.perWeightByteMs ?? 0) > 0 && (opts.keep ?? 'one-scale') === 'one-scale' && plain.length >= 3) return keepOneScale(lut, plain, variants, classes, source, opts.perWeightByteMs!, opts.weightCacheMiB);
  const all = [...plain, ...variants];
  const ctx = fitValidated(lut, all, `${source} + ${variants.length} in-context variants (${classes.join(', ')})`, opts);
  const pn = plain.length >= 3 ? fitValidated(lut, plain, source, opts) : undefined;
  // The plain-net fit on the variants: out of sample as it stands (it never saw them).
  const pnHeldOut = pn?.calibration && pn.heldOut ? [...pn.heldOut, ...variants.map((m) => calibratedSum(pn.calibration!, lutSums(lut, m.arch)) / m.ms - 1)] : undefined;
  const held = {
    context: ctx.heldOut ? rms(ctx.heldOut) : Infinity,
    plainNets: pnHeldOut ? rms(pnHeldOut) : Infinity,
    plainSum: rms(ctx.plain),
  };
  const fitted = {
    context: ctx.calibration?.rmsErrorPct ?? Infinity,
    plainNets: pn?.calibration ? inSample(lut, pn.calibration, all) : Infinity,
    plainSum: held.plainSum,
  };
  const families = Object.entries(ctx.families).map(([f, n]) => `${f} ×${n}`).join(', ');
  const how = `${ctx.validation} over ${all.length} networks (${families})`;
  const figures =
    `held-out RMS error ${pct(held.context)} (context fit), ${pct(held.plainNets)} (plain-net fit), ${pct(held.plainSum)} (plain sum), ${how}; ` +
    `on the networks fitted: ${pct(fitted.context)}, ${pct(fitted.plainNets)}, ${pct(fitted.plainSum)}`;
  const record = (kept: CalibrationContext['kept'], reason: string): CalibrationContext => ({
    classes: [...classes],
    variantNets: variants.length,
    kept,
    reason,
    rmsErrorPct: finite(fitted),
    heldOutRmsPct: finite(held),
  });
  const best = held.context < held.plainNets ? 'context' : 'plainNets';
  if (Number.isFinite(held[best]) && beatsPlainSum(held[best], held.plainSum)) {
    if (best === 'context') {
      const classScales = ctx.calibration!.classScales ? ' with per-class scales' : ' (no class needed its own scale)';
      const reason = `fit on the ${plain.length} plain and ${variants.length} in-context networks kept${classScales}: it predicts networks it was not fitted on best (${figures})`;
      const calibration = { ...ctx.calibration!, reason, context: record('context', reason) };
      return { calibration, message: reason, contextFit: ctx.calibration, plainNetFit: pn?.calibration };
    }
    const reason = `fit on the ${plain.length} plain networks kept: it predicts networks it was not fitted on (the in-context ones included) at least as well as the fit with the in-context networks (${figures})`;
    // Its own held-out figure is over the plain and the in-context networks, as the others'.
    const calibration = { ...pn!.calibration!, reason, heldOut: { ...pn!.calibration!.heldOut!, rmsErrorPct: held.plainNets }, context: record('plain-nets', reason) };
    return { calibration, message: reason, contextFit: ctx.calibration, plainNetFit: pn?.calibration };
  }
  return {
    message:
      `calibration not kept, the plain LUT sum predicts as well: no fit beats it on networks it was not fitted on by the margin asked ` +
      `(${figures}); predictions use the plain sum`,
    contextFit: ctx.calibration,
    plainNetFit: pn?.calibration,
  };
}

/**
 * With a measured weight cost: the one-scale fit on the plain networks (src/predict/one-scale-fit.ts), kept where it
 * beats the plain sum by the margin on networks it was not fitted on (the plain ones left out one at a time, the
 * in-context variants as they stand: it never saw them).
 */
const familyCounts = (nets: readonly MeasuredNet[]) => {
  const out: Record<string, number> = {};
  for (const m of nets) out[m.family ?? netFamily(m.arch)] = (out[m.family ?? netFamily(m.arch)] ?? 0) + 1;
  return out;
};

function keepOneScale(lut: Lut, plain: readonly MeasuredNet[], variants: readonly MeasuredNet[], classes: readonly string[], source: string, perWeightByteMs: number, cacheMiB?: readonly number[]): ContextFitResult {
  const fit = fitOneScale(lut, plain, perWeightByteMs, source, cacheMiB);
  const c = fit.calibration;
  const all = [...plain, ...variants];
  const uncalibrated = { ...lut, calibration: undefined };
  const plainSum = rms(all.map((m) => predict(uncalibrated, m.arch, { breakdown: false }).ms / m.ms - 1));
  const held = rms([...fit.heldOut, ...variants.map((m) => calibratedSum(c, lutSums(lut, m.arch)) / m.ms - 1)]);
  const fitted = inSample(lut, c, all);
  const figures =
    `held-out RMS error ${pct(held)} (one scale ${c.scale!.toFixed(3)}, weights beyond ${fit.cacheMiB} MiB, ops less their own edge reorders), ${pct(plainSum)} (plain sum), ` +
    `leave-one-out over the ${plain.length} plain networks, the ${variants.length} in-context ones as they stand; on the networks fitted: ${pct(fitted)}`;
  const context = (reason: string): CalibrationContext => ({
    classes: [...classes],
    variantNets: variants.length,
    kept: 'plain-nets',
    reason,
    rmsErrorPct: { plainNets: fitted, plainSum },
    heldOutRmsPct: { plainNets: held, plainSum },
  });
  if (beatsPlainSum(held, plainSum)) {
    const reason = `one-scale fit on the ${plain.length} plain networks kept (the measured weight cost taken as it is): ${figures}`;
    const calibration: LutCalibration = { ...c, plainRmsErrorPct: plainSum, heldOut: { method: 'leave-one-out', rmsErrorPct: held, families: familyCounts(plain) }, reason };
    return { calibration: { ...calibration, context: context(reason) }, message: reason, contextFit: undefined, plainNetFit: calibration };
  }
  return {
    message: `calibration not kept, the plain LUT sum predicts as well: the one-scale fit does not beat it on networks it was not fitted on by the margin asked (${figures}); predictions use the plain sum`,
    contextFit: undefined,
    plainNetFit: c,
  };
}
