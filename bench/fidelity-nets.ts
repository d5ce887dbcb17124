/**
 * The networks of a bench/fidelity.ts run rebuilt from its recorded arguments (random mbv2 and --other-space
 * nets from --seed, the published nets) and matched to its points by name, with the family each counts in:
 * the replays (bench/calibration-*.ts) read a run back (readFidelityRun) and measure nothing anew.
 */
import { readFileSync } from 'node:fs';
import type { Lut } from '../lut/format.js';
import type { Architecture } from '../src/core/arch.js';
import type { MeasuredNet } from '../src/predict/calibrate.js';
import { contextClass, contextVariants } from '../src/core/context-class.js';
import { lutInstances } from '../src/core/decompose.js';
import { Rng } from '../src/core/rng.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { sizeVariants } from '../src/predict/size-variants.js';

export interface FidelityDoc {
  args: { resolution: number; count: number; seed: number; otherSpace: string; otherCount: number; otherResolution?: number; published: boolean; threads?: number };
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
  const mbv2 = createSpace('mbv2', { resolution });
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const arch = mbv2.build(mbv2.sample(rng));
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

/** The run's calibration nets (as bench/fidelity.ts draws them: their own seed) and in-context variants, where it saved their times. */
function calibrationNetsOf(doc: FidelityDoc, tests: readonly FidelityNet[]): FidelityNet[] {
  const saved = doc.calibrationNets ?? [];
  if (!saved.length) return [];
  const mbv2 = createSpace('mbv2', { resolution: doc.args.resolution });
  const calRng = new Rng(1_000_003);
  const plain = Array.from({ length: saved.filter((c) => !c.variant && !c.size).length }, () => mbv2.build(mbv2.sample(calRng)));
  const classes = [...new Set(tests.flatMap(({ arch }) => lutInstances(arch).map(({ inst }) => contextClass(inst.spec))))].sort();
  // Size variants (runs since they were measured) come last; the run's count of them is its own.
  const sizes = saved.filter((c) => c.size).length;
  const archs = [...plain, ...(saved.some((c) => c.variant) ? contextVariants(plain, classes) : []), ...(sizes ? sizeVariants(plain, sizes) : [])];
  return saved.map((c, i) => {
    if (archs[i]?.name !== c.name) throw new Error(`calibration net ${c.name} of the fidelity run not rebuilt (got ${archs[i]?.name})`);
    const set = `calibration mbv2@${doc.args.resolution}${c.variant ? ' in-context' : c.size ? ' size' : ''}`;
    return { arch: archs[i], ms: c.ms, set, family: set };
  });
}
