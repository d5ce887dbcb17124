/**
 * The calibration's per-class scale (classes: src/core/context-class.ts): a class the fit gave no scale of
 * takes the common scale.
 */
import type { LutCalibration } from '../../lut/format.js';

export function classScale(c: LutCalibration, cls: string): number {
  const own = c.classScales && Object.hasOwn(c.classScales, cls) ? c.classScales[cls] : undefined;
  return own ?? c.scale ?? 1;
}
