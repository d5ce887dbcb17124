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
    .option('input-shape', { type: 'string', array: true, default: [] as string[], describe: 'ONNX input shape NAME=1x3xHxW (repeatable; needed for dynamic dims)' });
}

/** nas profile --onnx only. */
export function onnxProfileOptions<T>(y: Argv<T>) {
  return y.option('fit-in-file', {
    type: 'boolean',
    default: false,
    describe:
      "--onnx on cpu or wasm (1 thread): also profile the files whole and their units alone with the runtime's profiler, and fit what a unit costs inside its file beyond alone (weights no longer warm in cache) into the LUT; nas predict --onnx then adds it to every unit",
  });
}

export interface OnnxArgs extends DeviceArgs, ProtocolArgs {
  json: boolean;
  onnx?: string[];
  inputShape?: string[];
  force?: boolean;
  seed?: number;
  fitInFile?: boolean;
}

async function plans(files: string[], a: OnnxArgs, rule: import('../../onnx/plan.js').PartitionRule): Promise<OnnxPlan[]> {
  const { parseInputShape } = await import('../../onnx/read.js');
  const { planOnnx } = await import('../../onnx/plan.js');
  const inputShapes = Object.fromEntries((a.inputShape ?? []).map(parseInputShape));
  const out: OnnxPlan[] = [];
  for (const f of files) out.push(await planOnnx(f, { inputShapes, ...rule }));
  return out;
}

async function measure(a: OnnxArgs, lutPath: string, todo: OnnxPlan[]) {
  const { resolveDevice } = await import('../../../devices/registry.js');
  const { profileUnits } = await import('../../onnx/profile-units.js');
  const device = await resolveDevice(a.device, toDeviceOptions(a));
  let total = new Set(todo.flatMap((p) => p.units.map((u) => u.key))).size;
  const progress = createProgress(`profiling ONNX units on ${device.name}`, total);
  try {
    return await profileUnits({
      device,
      plans: todo,
      protocol: toProtocol(a),
      lutPath,
      force: a.force,
      seed: a.seed,
      onProgress: (done, t, key, m) => {
        if (t !== total) progress.setTotal((total = t)); // with the NCHWc reorders the units' models run alone
        progress.update(done, `${key} ${m !== undefined ? ms(m) + ' ms' : ''}`);
      },
      onWarning: (message) => log(message),
    });
  } finally {
    progress.stop();
    await device.dispose();
  }
}

/** nas profile --onnx FILE… --device D --out L */
export async function profileOnnxFiles(a: OnnxArgs & { out: string }): Promise<void> {
  const { partitionRuleFor } = await import('../../onnx/plan.js');
  const started = Date.now();
  const runtime = a.device === 'cpu' || a.device === 'ort-cpu' ? 'ort-cpu' : a.device === 'wasm' ? 'wasm' : undefined;
  // Checked before anything is measured: the in-file fit reads the runtime's profiler, 1 thread.
  if (a.fitInFile && (!runtime || (a.threads ?? 1) !== 1))
    throw new UserError(`--fit-in-file reads onnxruntime's own profiler with 1 thread: it works with --device cpu or wasm and --threads 1, not --device ${a.device}${a.threads && a.threads !== 1 ? ` --threads ${a.threads}` : ''}`, {
      hint: 'leave --fit-in-file out (units then predict as timed alone), or profile on cpu/wasm with --threads 1',
    });
  const todo = await plans(a.onnx!, a, partitionRuleFor({ device: a.device, options: { graphOptimizationLevel: a.graphOpt ?? 'all' } }));
  const s = await measure(a, a.out, todo);
  logDeviceWarnings(s.device);
  let inFile: import('../../../lut/format.js').InFileCorrection | undefined;
  if (a.fitInFile && runtime) {
    const { measureInFile } = await import('../../onnx/in-file-profile.js');
    const { updateLut } = await import('../../../lut/store.js');
    const total = todo.length + new Set(todo.flatMap((p) => p.units.map((u) => u.key))).size;
    const progress = createProgress(`profiling files and units with the ${runtime} profiler (in-file fit)`, total);
    try {
      inFile = (await measureInFile(todo, runtime, { onProgress: (d) => progress.update(d, '') })).correction;
    } finally {
      progress.stop();
    }
    const fitted = inFile;
    updateLut(a.out, (lut) => ({ ...lut, inFile: fitted }));
  }
  const seconds = (Date.now() - started) / 1000;
  emit(a, { lut: a.out, device: s.device, measured: s.measured, reused: s.reused, skipped: s.skipped, seconds, files: todo.map((p) => ({ file: p.graph.file, units: p.units.length, partition: p.partition.source })), ...(inFile ? { inFile } : {}) }, () =>
    [
      `LUT ${a.out}: ${s.measured} units measured, ${s.reused} already there, ${s.skipped.length} cannot be timed alone, in ${seconds.toFixed(1)} s`,
      ...todo.map((p) => `  ${p.graph.file}: ${p.units.length} units (${p.partition.source})`),
      ...s.skipped.map((k) => `  not timed: ${k.key}: ${k.reason}`),
      ...(inFile
        ? [`in-file fit on ${inFile.samples} unit samples: +${(inFile.perWeightedUnitMs * 1000).toFixed(2)} µs per unit with weights + ${(inFile.perWeightByteMs * 1e9).toFixed(2)} µs per MB of weights, for files with more than ${((inFile.warmBytes ?? 0) / 1e6).toFixed(1)} MB of weights (residual rms ${(inFile.rmsMs * 1000).toFixed(2)} µs); ${inFile.source}`]
        : []),
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
    (p.inFile
      ? p.inFile.warm
        ? `in file: nothing added: its ${(p.inFile.fileWeightBytes / 1e6).toFixed(2)} MB of weights stay warm in cache between runs (the LUT's in-file fit)\n`
        : `in file: ${ms(p.inFile.ms)} ms added for units' weights no longer warm in cache (the LUT's in-file fit on ${p.inFile.fittedOn.length} file(s))\n`
      : '') +
    `${(p.metrics.macs / 1e6).toFixed(1)}M MACs, ${(p.metrics.params / 1e6).toFixed(2)}M parameters${Object.keys(p.metrics.notCounted).length ? ` (not counted: ${Object.entries(p.metrics.notCounted).map(([op, n]) => `${op} ×${n}`).join(', ')})` : ''}\n`;
  const rows = p.units.slice(0, top).map((u) => [ms(u.ms), `${(100 * u.share).toFixed(1)}%`, u.ops.join('+'), u.nodes.join(',').slice(0, 48), u.key.split(':')[2]]);
  const more = p.units.length > top ? `… ${p.units.length - top} more units (--top N)\n` : '';
  return head + table(['ms', 'share', 'ops', 'nodes', 'input'], rows) + '\n' + more;
}

/** nas predict --onnx FILE --lut L [--profile-missing --device D] [--top N] */
export async function predictOnnxFiles(a: OnnxArgs & { lut: string; profileMissing: boolean; top: number }): Promise<void> {
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
  const predictAll = () => todo.map((p) => predictOnnx(lut, p));
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
