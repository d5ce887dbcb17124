/**
 * What a calibration measures (`nas profile --calibrate N`, and bench/fidelity.ts, which must measure what a user's
 * profile does): N random networks of the space from their own seed stream (never a user's --seed sample), their
 * in-context variants for the context classes of the ops profiled (src/core/context-class.ts), their size variants
 * (src/predict/size-variants.ts) where asked, and networks of other families (--calibrate-with) where asked.
 */
import type { Architecture } from '../core/arch.js';
import { contextClassesOf, contextVariants, parseContextClassList, WIDE } from '../core/context-class.js';
import type { OpInstance } from '../core/ops.js';
import { Rng } from '../core/rng.js';
import type { SearchSpace } from '../core/space.js';
import { loadPublishedNets } from '../spaces/published.js';
import { createSpace } from '../spaces/registry.js';
import { sizeVariants } from './size-variants.js';

/** The seed of the calibration networks' stream. */
export const CALIBRATION_SEED = 1_000_003;

/** What the calibration measures: the plain networks (other families' after the space's), their size variants, and their in-context variants for `classes`. */
export interface CalibrationPlan {
  nets: Architecture[];
  sizes: Architecture[];
  variants: Architecture[];
  classes: string[];
}

export interface CalibrationPlanOptions {
  /** In-context variants per class (0: none; default ⌈nets / classes⌉, at least 3). */
  contextNets?: number;
  /** The classes to measure in context, comma-separated as a user writes them; default those of the ops profiled, wide only when asked. */
  contextClasses?: string;
  /** Size variants measured with the calibration networks (default 0). */
  sizeNets?: number;
  /** Other families measured too, comma-separated: published, or a space name (half the networks' count of its random ones). */
  calibrateWith?: string;
}

/** `count` random networks of `space`, from the calibration seed. */
export function calibrationNetsOf(space: SearchSpace, count: number): Architecture[] {
  const rng = new Rng(CALIBRATION_SEED);
  return Array.from({ length: count }, () => space.build(space.sample(rng)));
}

/**
 * The plan for calibration networks `nets` (fewer than 3: nothing is measured) and the op instances being profiled
 * (whose context classes the variants take, unless `o.contextClasses` says which).
 */
export function planCalibration(nets: readonly Architecture[], instances: Iterable<OpInstance>, o: CalibrationPlanOptions = {}): CalibrationPlan {
  if (nets.length < 3) return { nets: [...nets], sizes: [], variants: [], classes: [] };
  // Wide blocks are measured in context only when asked: random nets of a space that has them mix them with
  // narrow ones already, so the per-class fit can learn their scale without doubling the calibration's cost.
  const classes = o.contextNets === 0 ? [] : o.contextClasses !== undefined ? parseContextClassList(o.contextClasses) : contextClassesOf(instances).filter((c) => c !== WIDE);
  const variants = classes.length ? contextVariants(nets, classes, 3, o.contextNets) : [];
  return { nets: [...nets, ...otherFamilies(nets, o.calibrateWith)], sizes: o.sizeNets ? sizeVariants(nets, o.sizeNets) : [], variants, classes };
}

/**
 * Calibration networks of other families (the published nets, random nets of another space) at the calibration
 * networks' resolution, so every fit is checked leave-one-family-out: a fit that only holds for the family it was
 * fitted on is not kept (src/predict/calibrate.ts).
 */
function otherFamilies(nets: readonly Architecture[], names: string | undefined): Architecture[] {
  if (!names) return [];
  const resolution = nets[0].input[2];
  const out: Architecture[] = [];
  for (const name of names.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (name === 'published') {
      out.push(...loadPublishedNets({ resolution }).nets);
      continue;
    }
    // A UserError naming the spaces there are, for an unknown one.
    out.push(...calibrationNetsOf(createSpace(name, { resolution }), Math.max(3, Math.ceil(nets.length / 2))));
  }
  return out;
}
