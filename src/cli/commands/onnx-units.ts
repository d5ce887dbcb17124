/** The --onnx paths of nas predict and nas profile: ONNX files partitioned into runtime units (src/onnx/). */
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { UserError } from '../../core/errors.js';
import type { OnnxPrediction } from '../../onnx/predict.js';
import type { OnnxPlan } from '../../onnx/plan.js';
import { ms, table } from '../../core/format.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import { createProgress } from '../progress.js';
import { toDeviceOptions, toProtocol, type DeviceArgs, type ProtocolArgs } from './common.js';

export function onnxOptions<T>(y: Argv<T>) {
  return y
    .option('onnx', { type: 'string', array: true, describe: 'ONNX file(s): predict/profile the kernels the runtime runs for them' })
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'ONNX input shape NAME=1x3xHxW (repeatable; needed for dynamic dims); FILE:NAME=1x3xHxW for one of several --onnx files' });
}

/** nas profile --onnx only. */
export function onnxProfileOptions<T>(y: Argv<T>) {
  return y
    .option('in-file', {
      choices: ['auto', 'built-in', 'kernel', 'files', 'off'] as const,
      default: 'auto' as const,
      describe:
        "--onnx: fit what a unit costs inside a whole file beyond alone (src/onnx/in-file.ts, src/onnx/wall-fit.ts) into the LUT; nas predict --onnx adds it. built-in: the built-in calibration nets timed whole on the device against their units (once per LUT; their units join the LUT); kernel: the same nets' kernels in the runtime's profiler (ort-cpu/wasm, 1 thread; the default before); files: the --onnx files' kernels in the profiler; auto: built-in on ort-cpu and wasm with 1 thread (where it is measured to help), off elsewhere",
    })
    .option('fit-in-file', { type: 'boolean', hidden: true, describe: 'the same as --in-file files (kept for old scripts)' });
}

export interface OnnxArgs extends DeviceArgs, ProtocolArgs {
  json: boolean;
  onnx?: string[];
  inputShape?: string[];
  force?: boolean;
  seed?: number;
  fitInFile?: boolean;
  inFile?: 'auto' | 'built-in' | 'kernel' | 'files' | 'off';
}

async function plans(files: string[], a: Omit<OnnxArgs, 'inFile'>, rule: import('../../onnx/plan.js').PartitionRule): Promise<OnnxPlan[]> {
  const { inputShapesByFile } = await import('../../onnx/read.js');
  const { planOnnx } = await import('../../onnx/plan.js');
  const shapes = inputShapesByFile(a.inputShape ?? [], files);
  const out: OnnxPlan[] = [];
  for (const f of files) out.push(await planOnnx(f, { inputShapes: shapes.get(f), ...rule }));
  return out;
}

/**
 * Profiles the units of `todo` into the LUT; with `wallFit`, also the built-in nets' units, and the nets timed
 * whole, all in the same shuffled passes (src/onnx/wall-fit.ts), and returns the fit too.
 */
async function measure(a: Omit<OnnxArgs, 'inFile'>, lutPath: string, todo: OnnxPlan[], wallFit?: import('../../onnx/plan.js').PartitionRule) {
  const { resolveDevice } = await import('../../../devices/registry.js');
  const { profileUnits } = await import('../../onnx/profile-units.js');
  const device = await resolveDevice(a.device, toDeviceOptions(a));
  let total = new Set(todo.flatMap((p) => p.units.map((u) => u.key))).size;
  const progress = createProgress(wallFit ? `profiling ONNX units on ${device.name}, with the built-in calibration nets (in-file fit)` : `profiling ONNX units on ${device.name}`, total);
  const onProgress = (done: number, t: number, key: string, m?: number) => {
    if (t !== total) progress.setTotal((total = t)); // with the NCHWc reorders the units' models run alone, and the nets' units
    progress.update(done, `${key} ${m !== undefined ? ms(m) + ' ms' : ''}`);
  };
  const common = { device, protocol: toProtocol(a), lutPath, force: a.force, seed: a.seed, onProgress, onWarning: (message: string) => log(message) };
  try {
    if (wallFit) {
      const { measureWallFit } = await import('../../onnx/wall-fit.js');
      const fit = await measureWallFit({ ...common, rule: wallFit, plans: todo });
      return { summary: fit.profile, wallFit: fit.correction };
    }
    return { summary: await profileUnits({ ...common, plans: todo }) };
  } finally {
    progress.stop();
    await device.dispose();
  }
}

/** Describes an in-file correction in one line. */
function describeInFile(c: import('../../../lut/format.js').InFileCorrection): string {
  const on = c.builtIn ? `the built-in calibration nets (${c.fittedOn.length})` : `${c.fittedOn.length} file(s)`;
  if (c.model === 'reuse' && c.clock === 'wall')
    return `reuse model fitted on ${on} timed whole against their units: ${((c.perMissedByteMs ?? 0) * 1e3 * 2 ** 20).toFixed(2)} µs per MiB a unit reads from beyond a ${((c.cacheBytes ?? 0) / 2 ** 20).toFixed(2)} MiB cache in its file and not alone (${c.curve ?? 'step'} curve; the nets' residual rms ${(c.rmsMs * 1000).toFixed(1)} µs); ${c.source}`;
  return c.model === 'reuse'
    ? `reuse model fitted on ${on}, ${c.samples} unit samples: ${((c.perMissedByteMs ?? 0) * 1e3 * 2 ** 20).toFixed(2)} µs per MiB a unit reads from beyond a ${((c.cacheBytes ?? 0) / 2 ** 20).toFixed(2)} MiB cache in its file and not alone (residual rms ${(c.rmsMs * 1000).toFixed(2)} µs); ${c.source}`
    : `weight line fitted on ${on}, ${c.samples} unit samples: +${(c.perWeightedUnitMs * 1000).toFixed(2)} µs per unit with weights + ${(c.perWeightByteMs * 1e9).toFixed(2)} µs per MB of weights, for files with more than ${((c.warmBytes ?? 0) / 1e6).toFixed(1)} MB of weights (residual rms ${(c.rmsMs * 1000).toFixed(2)} µs); ${c.source}`;
}

/** nas profile --onnx FILE… --device D --out L */
export async function profileOnnxFiles(a: OnnxArgs & { out: string }): Promise<void> {
  const { partitionRuleFor } = await import('../../onnx/plan.js');
  const { IN_FILE_BY_DEFAULT } = await import('../../onnx/in-file.js');
  const started = Date.now();
  const runtime = a.device === 'cpu' || a.device === 'ort-cpu' ? 'ort-cpu' : a.device === 'wasm' ? 'wasm' : undefined;
  const profiled = runtime !== undefined && (a.threads ?? 1) === 1;
  const asked = a.fitInFile ? 'files' : (a.inFile ?? 'auto');
  const mode = asked === 'auto' ? (profiled && IN_FILE_BY_DEFAULT.has(runtime) ? 'built-in' : 'off') : asked;
  // Checked before anything is measured: the kernel fits read the runtime's profiler, 1 thread.
  if ((mode === 'kernel' || mode === 'files') && !profiled)
    throw new UserError(`--in-file ${mode} reads onnxruntime's own profiler with 1 thread: it works with --device cpu or wasm and --threads 1, not --device ${a.device}${a.threads && a.threads !== 1 ? ` --threads ${a.threads}` : ''}`, {
      hint: 'leave --in-file out (units then predict as timed alone on this device), or profile on cpu/wasm with --threads 1',
    });
  const rule = partitionRuleFor({ device: a.device, options: { graphOptimizationLevel: a.graphOpt ?? 'all' } });
  const todo = await plans(a.onnx!, a, rule);
  const { readLut, updateLut } = await import('../../../lut/store.js');
  // A built-in fit depends on the machine, not on the files: once per LUT (--force fits it again).
  const had = !a.force && existsSync(a.out) ? readLut(a.out).inFile : undefined;
  const keep = mode === 'built-in' ? had?.builtIn && had.clock === 'wall' : mode === 'kernel' ? had?.builtIn && had.model === 'reuse' && !had.clock : false;
  // The wall fit's nets are profiled and timed in the same passes as the files' units (one pass set, not two).
  const wallFit = mode === 'built-in' && !keep;
  const measured = await measure(a, a.out, todo, wallFit ? rule : undefined);
  const s = measured.summary;
  logDeviceWarnings(s.device);
  let inFile: import('../../../lut/format.js').InFileCorrection | undefined = measured.wallFit;
  let kept = false;
  if (mode !== 'off' && !inFile) {
    const { measureBuiltInFit, measureInFile } = await import('../../onnx/in-file-profile.js');
    if (keep) {
      inFile = had;
      kept = true;
    } else {
      const what = `profiling ${mode === 'kernel' ? 'the built-in calibration nets' : 'the files'} whole and their units alone with the ${runtime} profiler`;
      const progress = createProgress(`in-file fit: ${what}`, 1);
      try {
        const onProgress = (d: number, t: number) => {
          progress.setTotal(t);
          progress.update(d, '');
        };
        inFile = (mode === 'files' ? await measureInFile(todo, runtime!, { onProgress }) : await measureBuiltInFit(runtime!, rule, { onProgress })).correction;
      } finally {
        progress.stop();
      }
    }
  }
  if (inFile && !kept) {
    const fitted = inFile;
    updateLut(a.out, (lut) => ({ ...lut, inFile: fitted }));
  }
  const seconds = (Date.now() - started) / 1000;
  emit(
    a,
    { lut: a.out, device: s.device, measured: s.measured, reused: s.reused, skipped: s.skipped, seconds, files: todo.map((p) => ({ file: p.graph.file, units: p.units.length, partition: p.partition.source })), inFileMode: mode, ...(inFile ? { inFile, inFileKept: kept } : {}) },
    () =>
      [
        `LUT ${a.out}: ${s.measured} units measured, ${s.reused} already there, ${s.skipped.length} cannot be timed alone, in ${seconds.toFixed(1)} s`,
        ...todo.map((p) => `  ${p.graph.file}: ${p.units.length} units (${p.partition.source})`),
        ...s.skipped.map((k) => `  not timed: ${k.key}: ${k.reason}`),
        inFile ? `in-file: ${kept ? 'the LUT\'s fit kept: ' : ''}${describeInFile(inFile)}` : `in-file: none (--in-file ${asked}${asked === 'auto' ? `: fitted by default on ${[...IN_FILE_BY_DEFAULT].join(', ')} with --threads 1 only` : ''}); nas predict --onnx sums the units as timed alone`,
        '',
      ].join('\n'),
  );
}

function render(p: OnnxPrediction, top: number): string {
  const head =
    `${p.file}: ${ms(p.ms)} ms predicted (95% CI ${ms(p.ci95[0])}–${ms(p.ci95[1])}), ${p.calibrated ? 'calibrated base' : 'overhead'} ${ms(p.overheadMs)} ms\n` +
    `${p.partition.units} units from ${p.partition.source}; ${p.partition.folded} nodes folded at load, ${p.partition.layoutKernels} layout kernels, ${p.partition.eliminated} nodes eliminated\n` +
    (p.layout.corrected
      ? `NCHWc layout: ${ms(p.layout.ownMs)} ms of reorders the units paid alone taken out, the file's ${p.layout.fileKernels} reorders added (${ms(p.layout.fileMs)} ms)\n`
      : '') +
    (p.layout.note ? `note: ${p.layout.note}\n` : '') +
    (p.chain.units ? `in chain: ${p.chain.units} weight-free units counted at what the second of two copies costs, ${p.chain.savedMs >= 0 ? `${ms(p.chain.savedMs)} ms less` : `${ms(-p.chain.savedMs)} ms more`} than alone\n` : '') +
    (p.chain.note ? `note: ${p.chain.note}\n` : '') +
    (p.feeds.applied && p.feeds.savedMs > 0 ? `feeds: ${ms(p.feeds.savedMs)} ms less for what the units paid alone to be fed (${p.feeds.inputs} inputs beyond each unit's first, ${(p.feeds.inputBytes / 2 ** 20).toFixed(2)} MiB of inputs within a core's L2)\n` : '') +
    (p.inFile
      ? p.inFile.warm
        ? `in file: nothing added: its weights and activations stay in cache between runs (the LUT's in-file fit)\n`
        : p.inFile.model === 'reuse'
          ? `in file: ${ms(p.inFile.ms)} ms added for bytes the units read from beyond the cache inside the file and not alone (the LUT's in-file fit on ${p.inFile.builtIn ? 'the built-in calibration nets' : `${p.inFile.fittedOn.length} file(s)`})\n`
          : `in file: ${ms(p.inFile.ms)} ms added for units' weights no longer warm in cache (the LUT's in-file fit on ${p.inFile.fittedOn.length} file(s))\n`
      : '') +
    `correction: ${p.correction.applied.join('; ')}\n` +
    (p.correction.note ? `note: ${p.correction.note}\n` : '') +
    `${(p.metrics.macs / 1e6).toFixed(1)}M MACs, ${(p.metrics.params / 1e6).toFixed(2)}M parameters${Object.keys(p.metrics.notCounted).length ? ` (not counted: ${Object.entries(p.metrics.notCounted).map(([op, n]) => `${op} ×${n}`).join(', ')})` : ''}\n`;
  const rows = p.units.slice(0, top).map((u) => [ms(u.ms), `${(100 * u.share).toFixed(1)}%`, u.ops.join('+'), u.nodes.join(',').slice(0, 48), u.key.split(':')[2]]);
  const more = p.units.length > top ? `… ${p.units.length - top} more units (--top N)\n` : '';
  return head + table(['ms', 'share', 'ops', 'nodes', 'input'], rows) + '\n' + more;
}

/** nas predict --onnx FILE --lut L [--profile-missing --device D] [--top N] */
export async function predictOnnxFiles(a: Omit<OnnxArgs, 'inFile'> & { lut: string; profileMissing: boolean; top: number; inFile?: boolean }): Promise<void> {
  const { readLut } = await import('../../../lut/store.js');
  const { partitionRuleFor } = await import('../../onnx/plan.js');
  const { predictOnnx, MissingUnitsError } = await import('../../onnx/predict.js');
  if (!Number.isInteger(a.top) || a.top < 0) throw new UserError(`--top must be a non-negative integer, got ${a.top}`);
  if (a.profileMissing && !existsSync(a.lut)) {
    // No LUT yet: measure every unit into a new one on --device.
    const todo = await plans(a.onnx!, a, partitionRuleFor({ device: a.device, options: { graphOptimizationLevel: a.graphOpt ?? 'all' } }));
    log(`${a.lut} does not exist: measuring every unit on ${a.device} into it`);
    await measure(a, a.lut, todo);
  }
  let lut = readLut(a.lut);
  const todo = await plans(a.onnx!, a, partitionRuleFor(lut.device));
  const predictAll = () => todo.map((p) => predictOnnx(lut, p, { inFile: a.inFile !== false }));
  let predictions: OnnxPrediction[];
  try {
    predictions = predictAll();
  } catch (e) {
    if (!(e instanceof MissingUnitsError) || !a.profileMissing) throw e;
    if (a.device !== lut.device.device && !(a.device === 'cpu' && lut.device.device === 'ort-cpu'))
      throw new UserError(`--profile-missing measures on --device ${a.device}, but LUT ${a.lut} was measured on ${lut.device.device}`, { hint: `add --device ${lut.device.device}` });
    log(`measuring ${e.missing.length} missing unit(s) on ${a.device}`);
    await measure(a, a.lut, todo);
    lut = readLut(a.lut);
    predictions = predictAll();
  }
  emit(
    a,
    { lut: { id: lut.id, path: a.lut, device: lut.device.device }, predictions: predictions.map((p) => ({ ...p, units: p.units.slice(0, a.top), unitCount: p.units.length })) },
    () => predictions.map((p) => render(p, a.top)).join('\n'),
  );
}
