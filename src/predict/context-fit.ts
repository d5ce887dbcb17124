/**
 * Which calibration a LUT keeps when in-context variants were measured beside the plain calibration
 * networks (nas profile): the fit on all of them (per-class scales allowed) or the fit on the plain
 * networks alone, or none. Both fits keep calibrate.ts's safety checks (no op of the LUT may cost less
 * than nothing; the model kept predicts left-out networks best); on top, a fit is kept only when it fits
 * the networks it is judged on better than the plain LUT sum, and the context fit only when it also fits
 * every measured network at least as well as the plain-net fit does. The choice and its figures are
 * recorded in the calibration (`context`), so a LUT says which fit it holds and why.
 */
import type { Architecture } from '../core/arch.js';
import type { CalibrationContext, Lut, LutCalibration } from '../../lut/format.js';
import { calibratedSum, calibrationHelps, fitCalibration, lutSums } from './calibrate.js';

type Measured = { arch: Architecture; ms: number };

export interface ContextFitResult {
  /** The calibration to keep, with `context` saying why; undefined when no fit beats the plain sum. */
  calibration?: LutCalibration;
  /** One line for the user: what was kept and why (or why nothing was). */
  message: string;
  /** Both fits, for reports. */
  contextFit: LutCalibration;
  plainNetFit?: LutCalibration;
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(1)}%`);

function rmsOn(lut: Lut, c: LutCalibration, measured: readonly Measured[]): number {
  const sq = measured.reduce((s, m) => s + ((calibratedSum(c, lutSums(lut, m.arch)) - m.ms) / m.ms) ** 2, 0);
  return 100 * Math.sqrt(sq / measured.length);
}

/**
 * `plain`: the calibration networks as they are; `variants`: their in-context variants for `classes`.
 * `source` describes the plain networks (e.g. "mbv2@64: 20 networks measured end to end").
 */
export function chooseContextFit(lut: Lut, plain: readonly Measured[], variants: readonly Measured[], classes: readonly string[], source: string): ContextFitResult {
  const all = [...plain, ...variants];
  const contextFit = fitCalibration(lut, all, `${source} + ${variants.length} in-context variants (${classes.join(', ')})`);
  const plainNetFit = plain.length >= 3 ? fitCalibration(lut, [...plain], source) : undefined;
  const rms = {
    context: contextFit.rmsErrorPct,
    plainNets: plainNetFit ? rmsOn(lut, plainNetFit, all) : Infinity,
    plainSum: contextFit.plainRmsErrorPct ?? Infinity,
  };
  const record = (kept: CalibrationContext['kept'], reason: string): CalibrationContext => ({
    classes: [...classes],
    variantNets: variants.length,
    kept,
    reason,
    rmsErrorPct: { context: rms.context, ...(Number.isFinite(rms.plainNets) ? { plainNets: rms.plainNets } : {}), plainSum: rms.plainSum },
  });
  const figures = `on all ${all.length} networks RMS ${pct(rms.context)} (context fit), ${Number.isFinite(rms.plainNets) ? pct(rms.plainNets) : '–'} (plain-net fit), ${pct(rms.plainSum)} (plain sum)`;
  const contextBeatsSum = calibrationHelps(contextFit);
  if (contextBeatsSum && rms.context <= rms.plainNets) {
    const classScales = contextFit.classScales ? ' with per-class scales' : ' (no class needed its own scale)';
    const reason = `fit on the ${plain.length} plain and ${variants.length} in-context networks kept${classScales}: ${figures}`;
    return { calibration: { ...contextFit, context: record('context', reason) }, message: reason, contextFit, plainNetFit };
  }
  const why = contextBeatsSum ? 'fits the measured networks worse than the plain-net fit' : 'fits the measured networks no better than the plain sum';
  if (plainNetFit && calibrationHelps(plainNetFit)) {
    const reason = `fit on the plain networks kept: the fit with the in-context networks ${why} (${figures})`;
    return { calibration: { ...plainNetFit, context: record('plain-nets', reason) }, message: reason, contextFit, plainNetFit };
  }
  return {
    message:
      `calibration not kept: the fit with the in-context networks ${why} and the plain-net fit ${plainNetFit ? `no better than the plain sum on its ${plain.length} networks (${pct(plainNetFit.rmsErrorPct)} vs ${pct(plainNetFit.plainRmsErrorPct)})` : 'needs at least 3 networks'} ` +
      `(${figures}); the timings were probably disturbed by other load — re-run on a quiet machine`,
    contextFit,
    plainNetFit,
  };
}
