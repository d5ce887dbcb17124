/**
 * The networks of a bench/fidelity.ts run rebuilt from its recorded arguments (random mbv2 and --other-space
 * nets from --seed, the published nets) and matched to its points by name, with the family each counts in:
 * the replays (bench/calibration-*.ts) read a run back (readFidelityRun) and measure nothing anew.
 */
import { readFileSync } from 'node:fs';
import type { Lut } from '../lut/format.js';
import type { Architecture } from '../src/core/arch.js';
import { netFamily, type MeasuredNet } from '../src/predict/calibrate.js';
import { contextClass, contextVariants } from '../src/core/context-class.js';
import { sizeVariants } from '../src/predict/size-variants.js';
import { lutInstances } from '../src/core/decompose.js';
import { Rng } from '../src/core/rng.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { calibrationNetsOf as spaceCalibrationNets, planCalibration } from '../src/predict/calibration-plan.js';
import type { LutCalibration } from '../lut/format.js';

export interface FidelityDoc {
  args: { resolution: number; count: number; seed: number; otherSpace: string; otherCount: number; otherResolution?: number; published: boolean; threads?: number; space?: string; calibrate?: number; calibrateWith?: string };
  /** The context classes the calibration's in-context variants took (runs since --space; before, the test nets' classes). */
  contextClasses?: string[];
  load: string[];
  points: { name: string; set: string; measured: number; remeasured?: number }[];
  /** The calibration nets' times (runs since the calibration nets were saved): plain ones, then in-context variants. */
  calibrationNets?: { name: string; ms: number; variant: boolean; size?: boolean }[];
}

/** A measured net of the run: its first measurement as `ms`, the second beside it; published nets count one family each (EfficientNet, proxyless, …). */
export type FidelityNet = MeasuredNet & { set: string; family: string; remeasured?: number };

/** A run read back: its LUT (beside the run's JSON unless given) without the calibration the replays fit anew, and the run's document. */
export function readFidelityRun(jsonFile: string, lutFile = jsonFile.replace(/\.json$/, '.lut.json')): { lut: Lut; doc: FidelityDoc } {
  const lut: Lut = { ...JSON.parse(readFileSync(lutFile, 'utf8')), calibration: undefined };
  const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as FidelityDoc;
  return { lut, doc };
}

export function fidelityNets(doc: FidelityDoc): FidelityNet[] {
  const { resolution, count, seed, otherSpace, otherCount } = doc.args;
  const byName = new Map<string, Architecture>();
  const space = createSpace(doc.args.space ?? 'mbv2', { resolution });
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const arch = space.build(space.sample(rng));
    byName.set(arch.name, arch);
  }
  for (const arch of loadPublishedNets({ resolution }).nets) byName.set(arch.name, arch);
  if (otherCount > 0) {
    const other = createSpace(otherSpace, { resolution: doc.args.otherResolution ?? resolution });
    const otherRng = new Rng(seed);
    for (let i = 0; i < otherCount; i++) {
      const arch = other.build(other.sample(otherRng));
      byName.set(arch.name, arch);
    }
  }
  // A space whose sampler changed since the run (regnet's free bottleneck) draws other nets from the same seed: those are left out, and said so.
  const lost = doc.points.filter((p) => !byName.has(p.name));
  if (lost.length) process.stderr.write(`${lost.length} nets of the run are not drawn again by today's samplers, left out: ${lost.map((p) => p.name).join(', ')}\n`);
  const tests = doc.points.flatMap((p) => {
    const arch = byName.get(p.name);
    return arch ? [{ arch, ms: p.measured, remeasured: p.remeasured, set: p.set, family: p.set === 'published' ? p.name.split(/[-_ ]/)[0] : p.set }] : [];
  });
  return [...tests, ...calibrationNetsOf(doc, tests)];
}

/** The run's calibration nets (as bench/fidelity.ts draws them: src/predict/calibration-plan.ts) and in-context variants, where it saved their times. */
function calibrationNetsOf(doc: FidelityDoc, tests: readonly FidelityNet[]): FidelityNet[] {
  const saved = doc.calibrationNets ?? [];
  if (!saved.length) return [];
  const space = createSpace(doc.args.space ?? 'mbv2', { resolution: doc.args.resolution });
  // The space's own calibration nets (--calibrate), then those of --calibrate-with's families.
  const own = doc.args.calibrate ?? saved.filter((c) => !c.variant && !c.size).length;
  // Before --space the variants took the test nets' classes; since, the run records them.
  const classes = doc.contextClasses ?? [...new Set(tests.flatMap(({ arch }) => lutInstances(arch).map(({ inst }) => contextClass(inst.spec))))].filter(Boolean).sort();
  // Size variants (runs since they were measured) come last; the run's count of them is its own.
  const sizes = saved.filter((c) => c.size).length;
  // As src/predict/calibration-plan.ts draws them (variants and sizes directly: a test's run may have fewer than 3 nets).
  const ownNets = spaceCalibrationNets(space, own);
  const plan = {
    nets: [...ownNets, ...(doc.args.calibrateWith ? planCalibration(ownNets, [], { contextNets: 0, calibrateWith: doc.args.calibrateWith }).nets.slice(own) : [])],
    variants: saved.some((c) => c.variant) ? contextVariants(ownNets, classes) : [],
    sizes: sizes ? sizeVariants(ownNets, sizes) : [],
  };
  const archs = [...plan.nets, ...plan.variants, ...plan.sizes];
  return saved.map((c, i) => {
    if (archs[i]?.name !== c.name) throw new Error(`calibration net ${c.name} of the fidelity run not rebuilt (got ${archs[i]?.name})`);
    // Another family's net (--calibrate-with) counts in its own family.
    const set = i >= own && i < plan.nets.length ? `calibration ${netFamily(archs[i])}` : `calibration ${space.id}@${doc.args.resolution}${c.variant ? ' in-context' : c.size ? ' size' : ''}`;
    return { arch: archs[i], ms: c.ms, set, family: set };
  });
}

/** How bench/fidelity.ts names the calibration `nas profile --calibrate` keeps (src/predict/context-fit.ts keepCalibration). */
export function keptWhat(c: LutCalibration | undefined): string {
  if (!c) return 'plain sum';
  if (c.reason?.startsWith('one-scale')) return 'one scale';
  return c.context?.kept ?? 'plain-nets';
}
