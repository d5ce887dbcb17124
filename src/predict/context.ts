/**
 * The calibration's per-class scale (classes: src/core/context-class.ts): a class the fit gave no scale of
 * takes the common scale.
 */
import { contextClass } from '../core/context-class.js';
import type { OpSpec } from '../core/ops.js';
import type { LutCalibration } from '../../lut/format.js';

export function classScale(c: LutCalibration, cls: string): number {
  const own = c.classScales && Object.hasOwn(c.classScales, cls) ? c.classScales[cls] : undefined;
  return own ?? c.scale ?? 1;
}

/** The kinds whose SE the in-context variants measure (withContextClass gives SE to mbconv and dwsep blocks). */
const SE_KINDS: readonly string[] = ['mbconv', 'dwsep', 'se'];

/**
 * The class an op's calibration scale is taken from: its context class, less SE where its kind is not one whose SE
 * the in-context variants measure. A class scale is learnt from variants of the calibration nets, whose SE blocks
 * are MBConvs: RegNetY's bottleneck blocks with SE took MBConv-SE's scale (1.12–1.16 at 128 px) and were predicted
 * 12–41% too slow, where at kernel level they cost inside a network what their units do, as plain blocks
 * (docs/benchmarks.md, issue 13: the second space).
 */
export function calibrationClass(spec: OpSpec): string {
  const cls = contextClass(spec);
  if (SE_KINDS.includes(spec.kind)) return cls;
  return cls
    .split('+')
    .filter((p) => p !== 'se')
    .join('+');
}
