/**
 * nas scale: EfficientNet's compound scaling of a base network on a device's LUT (src/scale/family.ts):
 * the coefficients (given, grid-searched with an evaluator, or the paper's), the family φ = 1..K and,
 * with --target-ms, the latency-aware member. Writes the family JSON and each member's architecture
 * file beside it (<out>.<member>.arch.json), ready for nas export --arch.
 *
 * With an evaluator every score goes to <out>.ckpt.json as it comes (src/scale/ledger.ts, in the search
 * checkpoint's format and through its loader: a checkpoint of other options is refused), so a killed run
 * resumes where it stopped; the checkpoint is removed once the family file is written.
 */
import { existsSync, rmSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { ms, table } from '../../core/format.js';
import { emit, log } from '../output.js';
import { checkEvaluatorArgs, evaluatorFromArgs, evaluatorOptions, toDeviceOptions, toProtocol, trainingOptions, trainingSettings, deviceOptions, protocolOptions, type DeviceArgs, type EvaluatorArgs, type ProtocolArgs } from './common.js';

interface ScaleArgs extends EvaluatorArgs, Partial<DeviceArgs>, Partial<ProtocolArgs> {
  json: boolean;
  base: string;
  lut: string;
  targetMs?: number;
  resolution?: number;
  alpha?: number;
  beta?: number;
  gamma?: number;
  phis: number;
  phiStep: number;
  phiMax?: number;
  gridStep: number;
  gridTolerance: number;
  profileMissing: boolean;
  out: string;
  space: string;
}

async function baseArchitecture(a: ScaleArgs): Promise<Architecture> {
  const { resolveArchitectures } = await import('./common.js');
  const asFile = /\.json$/i.test(a.base) || existsSync(a.base);
  const [arch] = await resolveArchitectures(asFile ? { arch: a.base, seed: 0 } : { published: a.base, resolution: a.resolution, seed: 0 });
  return arch;
}

function coefficientArgs(a: ScaleArgs) {
  const given = [a.alpha, a.beta, a.gamma].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new UserError('give all three of --alpha, --beta, --gamma (depth, width, resolution bases), or none');
  for (const [k, v] of Object.entries({ alpha: a.alpha!, beta: a.beta!, gamma: a.gamma! })) if (!(Number.isFinite(v) && v >= 1)) throw new UserError(`--${k} must be a number ≥ 1, got ${v}`);
  return { alpha: a.alpha!, beta: a.beta!, gamma: a.gamma! };
}

async function runScale(a: ScaleArgs): Promise<void> {
  if (a.targetMs !== undefined && !(a.targetMs > 0)) throw new UserError(`--target-ms must be a positive number of milliseconds, got ${a.targetMs}`);
  const coefficients = coefficientArgs(a);
  const withEvaluator = a.evaluator !== 'none';
  if (withEvaluator) checkEvaluatorArgs(a);
  if (!a.out?.trim()) throw new UserError('--out must name the family file to write, e.g. --out family.json');
  const [{ readLut }, { predict }, { missingAcross, fillMissing }, { scaleFamily }, { writeFileAtomic }, { writeArchFile }] = await Promise.all([
    import('../../../lut/store.js'),
    import('../../predict/predictor.js'),
    import('../../profile/missing.js'),
    import('../../scale/family.js'),
    import('../../core/atomic-file.js'),
    import('../../core/arch-file.js'),
  ]);
  const base = await baseArchitecture(a);
  let lut = readLut(a.lut);
  const latency = async (archs: readonly Architecture[]) => {
    const missing = missingAcross(lut, archs);
    if (missing.size && !a.profileMissing)
      throw new UserError(`LUT ${a.lut} lacks ${missing.size} op instance(s) of the scaled networks, e.g. ${[...missing.keys()][0]}`, {
        hint: `measure them with --profile-missing --device D (the LUT's device, ${lut.device.device}); each φ and triple adds channel counts and resolutions`,
      });
    if (missing.size) {
      const { resolveDevice } = await import('../../../devices/registry.js');
      ({ lut } = await fillMissing({
        lutPath: a.lut,
        lut,
        archs,
        protocol: toProtocol(a as ProtocolArgs),
        log: (m) => log(`${m} on ${a.device}`),
        withDevice: async (fn) => {
          const device = await resolveDevice(a.device!, toDeviceOptions(a as DeviceArgs));
          try {
            return await fn(device);
          } finally {
            await device.dispose();
          }
        },
      }));
    }
    return archs.map((arch) => {
      const p = predict(lut, arch, { breakdown: false });
      return { ms: p.ms, ci95: p.ci95 };
    });
  };
  const [{ holdLock }, { checkpointPath, loadCheckpoint, saveCheckpoint }, { ledgeredEvaluator, structureKey, SCALE_CHECKPOINT }] = await Promise.all([
    import('../../core/file-lock.js'),
    import('../../search/job.js'),
    import('../../scale/ledger.js'),
  ]);
  // Two runs writing one --out would overwrite each other's checkpoint: the second refuses.
  const unlock = holdLock(a.out, 'family file');
  const ckpt = checkpointPath(a.out);
  try {
    let evaluator;
    let ledger;
    if (withEvaluator) {
      const { createSpace } = await import('../../spaces/registry.js');
      const inner = await evaluatorFromArgs(a, createSpace(a.space, { resolution: base.input[2] }), trainingSettings(a));
      // What the saved accuracies depend on, and the options that decide which nets are scored. Not the LUT:
      // latencies are predicted afresh on every run (and --profile-missing changes the LUT as it goes).
      const job = JSON.parse(
        JSON.stringify({
          command: 'scale',
          base: { name: base.name, structure: structureKey(base) },
          coefficients: coefficients ?? null,
          grid: { step: a.gridStep, tolerance: a.gridTolerance },
          phis: a.phis,
          target: { ms: a.targetMs ?? null, phiStep: a.phiStep, phiMax: a.phiMax ?? null },
          evaluator: { id: inner.id, provenance: inner.provenance },
        }),
      ) as Record<string, unknown>;
      let saved;
      try {
        saved = loadCheckpoint(ckpt, job, SCALE_CHECKPOINT);
      } catch (e) {
        await inner.dispose?.();
        throw e;
      }
      ledger = ledgeredEvaluator(inner, saved, (state) => saveCheckpoint(ckpt, job, state, SCALE_CHECKPOINT), ckpt);
      if (ledger.resumed) log(`resumed from checkpoint: ${ledger.resumed} accuracy(ies) reused from ${ckpt}`);
      evaluator = ledger.evaluator;
    }
    let family;
    try {
      family = await scaleFamily({
        base,
        latency,
        evaluator,
        coefficients,
        grid: { step: a.gridStep, tolerance: a.gridTolerance },
        phis: a.phis,
        targetMs: a.targetMs,
        phiStep: a.phiStep,
        phiMax: a.phiMax,
        onProgress: (m) => log(m),
      });
    } finally {
      await evaluator?.dispose?.();
    }
    await writeFamily(a, family, lut, evaluator, writeArchFile, writeFileAtomic);
    // Only this run's own checkpoint: a run without an evaluator leaves another run's scores alone.
    if (ledger) rmSync(ckpt, { force: true });
  } finally {
    unlock();
  }
}

async function writeFamily(
  a: ScaleArgs,
  family: import('../../scale/family.js').ScaledFamily,
  lut: import('../../../lut/format.js').Lut,
  evaluator: import('../../core/contracts.js').AccuracyEvaluator | undefined,
  writeArchFile: (file: string, arch: Architecture) => void,
  writeFileAtomic: (file: string, data: string, what: string) => void,
): Promise<void> {
  const base = family.base;
  const stem = a.out.replace(/\.json$/i, '');
  const files: Record<string, string> = {};
  for (const m of [...family.members, ...(family.latencyAware ? [family.latencyAware] : [])]) {
    const file = `${stem}.${m.name.replace(/[^\w.-]+/g, '_')}.arch.json`;
    writeArchFile(file, m.architecture);
    files[m.name] = file;
  }
  const { archToJson } = await import('../../core/arch-file.js');
  const doc = {
    ...family,
    lut: { id: lut.id, path: a.lut, device: lut.device.device },
    evaluator: evaluator ? { id: evaluator.id, provenance: evaluator.provenance } : null,
    members: family.members.map((m) => ({ ...m, architecture: archToJson(m.architecture), file: files[m.name] })),
    latencyAware: family.latencyAware ? { ...family.latencyAware, architecture: archToJson(family.latencyAware.architecture), file: files[family.latencyAware.name] } : null,
    created: new Date().toISOString(),
  };
  writeFileAtomic(a.out, JSON.stringify(doc, null, 1) + '\n', `family file ${a.out}`);
  const { metricCells, METRIC_HEADERS } = await import('../../core/arch-metrics.js');
  const c = family.coefficients;
  const rows = [...family.members, ...(family.latencyAware ? [family.latencyAware] : [])].map((m) => [
    m.name,
    m.phi,
    m.factors.width.toFixed(3),
    m.factors.depth.toFixed(3),
    m.factors.resolution,
    ms(m.latency.ms),
    ...metricCells(m.metrics),
    m.accuracy === null ? '-' : m.accuracy.toFixed(3),
  ]);
  emit(a, { out: a.out, ...doc, members: doc.members.map(({ architecture: _a, ...m }) => m), latencyAware: doc.latencyAware && (({ architecture: _a, ...m }) => m)(doc.latencyAware) }, () =>
    `${base.name} (${ms(base.latency.ms)} ms predicted) scaled with α ${c.alpha}, β ${c.beta}, γ ${c.gamma} (${c.how}${c.gridSize ? ` over ${c.gridSize} triples` : ''}); written to ${a.out}\n` +
    table(['member', 'φ', 'width', 'depth', 'resolution', 'ms', ...METRIC_HEADERS, 'accuracy'], rows) +
    (family.latencyAware ? `within ${a.targetMs} ms: ${family.latencyAware.name} (φ ${family.latencyAware.phi}, ${ms(family.latencyAware.latency.ms)} ms; ${family.latencyAware.candidates} scaled nets predicted)\n` : ''),
  );
}

export const scaleCommand: CommandModule<object, ScaleArgs> = {
  command: 'scale',
  describe: "compound-scale a base network (EfficientNet's α, β, γ and φ) on a LUT; with --target-ms the latency-aware member",
  builder: (y) =>
    protocolOptions(deviceOptions(evaluatorOptions(trainingOptions(y), { defaultEvaluator: 'none' })))
      .option('base', { type: 'string', demandOption: true, describe: 'base network: a published net (e.g. EfficientNet-B0) or an architecture JSON file' })
      .option('lut', { type: 'string', demandOption: true, describe: 'LUT the latencies are predicted from' })
      .option('target-ms', { type: 'number', describe: 'latency target: also find the largest φ (and, with an evaluator, the α, β, γ of the grid) predicted within it' })
      .option('resolution', { type: 'number', describe: 'base resolution of a published --base (default: as published)' })
      .option('alpha', { type: 'number', describe: 'depth base α (with --beta, --gamma; default: grid search with an evaluator, else the paper’s 1.2)' })
      .option('beta', { type: 'number', describe: 'width base β (default 1.1 without an evaluator)' })
      .option('gamma', { type: 'number', describe: 'resolution base γ (default 1.15 without an evaluator)' })
      .option('phis', { type: 'number', default: 3, describe: 'family members φ = 1..K' })
      .option('phi-step', { type: 'number', default: 0.1, describe: 'latency-aware: φ grid step' })
      .option('phi-max', { type: 'number', describe: 'latency-aware: largest φ tried (default --phis)' })
      .option('grid-step', { type: 'number', default: 0.05, describe: 'grid search: step of α, β, γ' })
      .option('grid-tolerance', { type: 'number', default: 0.1, describe: 'grid search: |α·β²·γ² − 2| at most this' })
      .option('profile-missing', { type: 'boolean', default: false, describe: 'measure the op instances the LUT lacks on --device (the LUT’s device)' })
      .option('space', { type: 'string', default: 'mbv2', describe: 'proxy evaluator, vote: the space its reference nets come from' })
      .option('out', { type: 'string', demandOption: true, describe: 'family JSON to write; members also as <out>.<member>.arch.json' })
      .example('$0 scale --base EfficientNet-B0 --resolution 64 --lut cpu.lut.json --profile-missing --device cpu --target-ms 8 --out family.json', '')
      .example('$0 scale --base EfficientNet-B0 --lut cpu.lut.json --evaluator proxy --target-ms 8 --out family.json', 'grid-search α, β, γ with the proxy score') as never,
  handler: (a) => runScale(a),
};
