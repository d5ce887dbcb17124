/**
 * Fidelity benchmark: does the LUT predict whole networks? Profiles the --space space (default mbv2; and the
 * published nets' ops) into a LUT, exports N random nets of the space (fixed seed) and the published nets,
 * measures each end to end with the same harness on the same device, and compares.
 *
 *   node --import tsx bench/fidelity.ts --device cpu --resolution 128 --count 200 --seed 0
 *   node --import tsx bench/fidelity.ts --device cpu --threads 1 --resolution 128 --space regnet --count 60 --calibrate 10 --other-space mbv2 --other-count 20
 *
 * The LUT is calibrated as `nas profile --space S --calibrate N` calibrates it (src/predict/calibration-plan.ts:
 * the same calibration nets of their own seed, in-context variants for the context classes of the space's ops,
 * --size-nets, --calibrate-with; src/predict/context-fit.ts keepCalibration: what is kept) before the test nets
 * are predicted; the plain, uncalibrated sum is reported beside it, and the fits on all calibration nets and on
 * the plain ones alone. --context-classes tests measures variants for the classes the test nets hold instead (the
 * bench's rule before: mbv2 has no class of its own, so `nas profile --space mbv2` measures none).
 *
 * Prints a markdown summary (share within ±5/±10%, mean |error|, Kendall τ, Spearman ρ) and writes
 * every point to out/bench/fidelity-<device>-<res>-<protocol>.json.
 *
 * Leave one family out: the calibration is fitted on random nets of --space only (unless --calibrate-with); the
 * table reports the random test nets of --space, the published nets (all, and per family; MBConv nets: another
 * family for any space but mbv2's kin), and --other-count random nets of --other-space (another search space)
 * separately, so a fit that only holds for its own family shows (--space regnet --other-space mbv2: the other way round).
 *
 * Another space alone, at its own size, with the plain LUT sum only (no mbv2 nets, no calibration), and a kernel-level
 * breakdown of its first nets (bench/fidelity-kernels.ts: onnxruntime's profiler, which a loaded machine disturbs least):
 *
 *   node --import tsx bench/fidelity.ts --device wasm --threads 1 --count 0 --no-published --calibrate 0 \
 *     --other-space darts --other-resolution 32 --other-count 6 --kernels 3
 *
 * --protocols legacy,rounds runs the whole benchmark (LUT, calibration, two passes over the test nets)
 * once per timing protocol in the same process, so the figures compare under the same machine state:
 * legacy is the one-round protocol of before, rounds the default (devices/rounds.ts). The load average
 * is printed at the start and end of each.
 *
 * --reference (default auto: the device's, mbv2net64 on ort-cpu; off, or a name) times a reference model
 * interleaved in every round and scales the rounds to the LUT's R (devices/reference.ts); the report then also
 * replays the estimators on the same rounds: as timed (`min`, median), scaled by the reference, and with
 * --anchor scaled by the anchor after each round, for the plain LUT sum and the second measurement alike.
 *
 * The calibration nets and the first measurement of the test nets are timed in the same shuffled passes
 * as the LUT's entries (profile()'s `nets`, devices/measurables.ts), so a net and the entries its
 * prediction sums meet the same machine state; the second measurement comes later, in passes of its own
 * (self-agreement over time). --no-interleave times the nets in passes of their own after the entries,
 * as before, for comparison. Every whole net (calibration nets, both measurements of the test nets) takes
 * protocol.netRounds rounds, as `nas profile` and `nas verify` time nets (--net-rounds auto: 6 with a reference
 * and several rounds; --net-rounds 3: the entries' rounds, as before).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement, errorPct, type Agreement } from '../src/core/agreement.js';
import type { Architecture } from '../src/core/arch.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey } from '../src/core/keys.js';
import type { OpInstance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { predict } from '../src/predict/predictor.js';
import { profile, type ProfileNet } from '../src/profile/profiler.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { DEVICE_REGISTRY, resolveDevice } from '../devices/registry.js';
import { chooseReference, defaultEstimator, defaultNetRounds, defaultReferenceDrift, defaultRoundGate } from '../devices/reference-choice.js';
import { timeModelsInRounds, type LazyModel } from '../devices/measurables.js';
import { driftFactor } from '../devices/reference.js';
import { roundTimer } from '../devices/round-timer.js';
import { estimate, type RoundDetail, type RoundedResult } from '../devices/rounds.js';
import { netOf } from '../lut/entry.js';
import { DEFAULT_PROTOCOL, LEGACY_PROTOCOL, type DeviceOptions, type LatencyStats, type TimingProtocol } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut, writeLut } from '../lut/store.js';
import { fitCalibration } from '../src/predict/calibrate.js';
import { calibrationNetsOf, planCalibration } from '../src/predict/calibration-plan.js';
import { keepCalibration } from '../src/predict/context-fit.js';
import { calibrationWeightCost } from '../src/profile/calibration-weight-cost.js';
import type { LutCalibration as Calibration } from '../lut/format.js';
import { contextClass } from '../src/core/context-class.js';
import { keptWhat } from './fidelity-nets.js';
import { kernelBreakdown, type KernelPoint } from './fidelity-kernels.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('resolution', { type: 'number', default: 128 })
  .option('count', { type: 'number', default: 200 })
  .option('seed', { type: 'number', default: 0 })
  .option('space', { type: 'string', default: 'mbv2', describe: 'the space of the random test nets, the calibration nets and the whole-space profiling, as `nas profile --space S --calibrate N`' })
  .option('threads', { type: 'number' })
  .option('published', { type: 'boolean', default: true })
  .option('other-space', { type: 'string', default: 'mnasnet' })
  .option('other-count', { type: 'number', default: 0 })
  // The cell spaces (darts, nasnet) are CIFAR-sized: their nets run at 32 px while mbv2's run at --resolution.
  .option('other-resolution', { type: 'number', describe: 'resolution of the --other-space nets (default: --resolution)' })
  .option('other-options', { type: 'string', describe: 'JSON options of --other-space beyond its resolution, e.g. \'{"cells":8,"channels":16}\' (darts) or \'{"normalCells":2,"filters":16}\' (nasnet); default the space\'s own' })
  .option('calibrate', { type: 'number', default: 20, describe: 'random nets of --space the LUT is calibrated on, as nas profile --calibrate; 0: no calibration, the plain LUT sum only' })
  .option('context', { type: 'boolean', default: true, describe: 'also calibrate on in-context variants of the calibration nets (per-class scales), reported beside the plain-net fit (--no-context: as nas profile --context-nets 0)' })
  .option('context-classes', { type: 'string', describe: 'as nas profile --context-classes (default: the classes of the space\'s ops, wide only when asked); tests: the classes the test nets hold (the bench\'s rule before)' })
  .option('calibrate-with', { type: 'string', describe: 'as nas profile --calibrate-with: calibration nets of other families measured too (published, or a space name)' })
  .option('size-nets', { type: 'number', describe: 'size variants of the calibration nets measured with them (src/predict/size-variants.ts: prefixes closed by a head), as nas profile --size-nets (default 0: none)', default: 0 })
  .option('protocols', { type: 'string', default: 'rounds', describe: 'comma-separated: legacy (one round, as before), rounds (the default protocol), fresh (rounds in fresh worker processes), pinned (--cpu auto), fresh-pinned; pinning stays for the rest of the run, so list pinned ones last' })
  // Measures every network a second time, later: how well the runtime agrees with itself is the floor
  // under any prediction's agreement with it.
  .option('remeasure', { type: 'boolean', default: true })
  .option('anchor', { type: 'boolean', default: false, describe: 'time the fixed conv unit of devices/anchor.ts after every round (protocol.anchor): each round then records what the runtime\'s kernels got from the machine (bench/fidelity-rounds.ts)' })
  .option('anchor-gate', { type: 'number', describe: 'with the anchor: set aside and retake rounds whose anchor ran more than this many times slower than the fastest (protocol.anchorGate, e.g. 1.15)' })
  .option('whole-space', { type: 'boolean', default: true, describe: 'with random nets of --space (--count or --calibrate), profile every instance of the space as `nas profile --space S` would (--no-whole-space: only the instances the nets hold, a shorter run)' })
  .option('round-gate', { choices: ['auto', 'off'] as const, default: 'auto' as const, describe: 'set aside and retake disturbed rounds (protocol.roundGate, devices/rounds.ts): auto (with a reference and rounds, as nas profile) or off; bench/reference-replay.ts replays the other choice on the same rounds' })
  .option('reference', { type: 'string', default: 'auto', describe: 'timing reference interleaved in every round (protocol.reference, devices/reference.ts): a name, off, or auto (the device\'s default, as nas profile); the report replays the estimators without it on the same rounds' })
  .option('net-rounds', { type: 'string', default: 'auto', describe: 'rounds per whole net (protocol.netRounds, devices/rounds.ts netProtocol): the calibration nets and both measurements of the test nets; auto as nas profile (6 with a reference and several rounds), or a count (the protocol\'s rounds: nets measured as the entries, as before)' })
  .option('interleave', { type: 'boolean', default: true, describe: 'time the calibration and test nets in the same shuffled passes as the LUT entries (--no-interleave: in passes of their own after them, as before)' })
  .option('kernels', { type: 'number', default: 0, describe: 'ort-cpu and wasm: also profile the first N --other-space nets (else test nets) and their units kernel by kernel (bench/fidelity-kernels.ts)' })
  .option('outputs', { choices: ['sliced', 'full'] as const, describe: "ort-cpu, wasm, cuda: sliced keeps each model's outputs inside the session (devices/ort-outputs.ts; the devices' default), full copies them out every run, as LUTs were measured before" })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .strict()
  .parse();

const KERNEL_DEVICES: Record<string, boolean> = { cpu: false, 'ort-cpu': false, wasm: true };
if (args.kernels > 0 && !Object.hasOwn(KERNEL_DEVICES, args.device)) throw new Error(`--kernels profiles with onnxruntime's profiler: ort-cpu or wasm only, got --device ${args.device}`);
// fresh: every pass of rounds (LUT entries, calibration nets, test nets) in a new worker process, so the
// second measurement of a test net comes from other processes than the first (cross-process agreement);
// pinned: the default protocol with --cpu auto; fresh-pinned: both.
const PROTOCOLS: Record<string, TimingProtocol> = {
  legacy: LEGACY_PROTOCOL,
  rounds: DEFAULT_PROTOCOL,
  fresh: { ...DEFAULT_PROTOCOL, freshProcess: true },
  pinned: { ...DEFAULT_PROTOCOL, cpu: 'auto' },
  'fresh-pinned': { ...DEFAULT_PROTOCOL, freshProcess: true, cpu: 'auto' },
};
const protocolNames = args.protocols.split(',');
for (const name of protocolNames) if (!Object.hasOwn(PROTOCOLS, name)) throw new Error(`unknown protocol '${name}' (known: ${Object.keys(PROTOCOLS).join(', ')})`);

const outDir = args.outDir;
mkdirSync(outDir, { recursive: true });
const options: DeviceOptions = { ...(args.threads !== undefined ? { threads: args.threads } : {}), ...(args.outputs ? { outputs: args.outputs } : {}) };

const space = createSpace(args.space, { resolution: args.resolution });
const spaceLabel = `${space.id}@${space.resolution}`;
const rng = new Rng(args.seed);
type TestNet = { arch: Architecture; set: string; family?: string };
const tests: TestNet[] = Array.from({ length: args.count }, () => ({ arch: space.build(space.sample(rng)), set: `random ${spaceLabel}` }));
if (args.published)
  for (const arch of loadPublishedNets({ resolution: args.resolution }).nets) tests.push({ arch, set: 'published', family: arch.name.split(/[-_ ]/)[0] });
const otherResolution = args.otherResolution ?? args.resolution;
const otherOptions: Record<string, unknown> = args.otherOptions ? JSON.parse(args.otherOptions) : {};
const otherLabel = `${args.otherSpace}@${otherResolution}${args.otherOptions ? ` ${args.otherOptions}` : ''}`;
if (args.otherCount > 0) {
  const other = createSpace(args.otherSpace, { ...otherOptions, resolution: otherResolution });
  const otherRng = new Rng(args.seed);
  for (let i = 0; i < args.otherCount; i++) tests.push({ arch: other.build(other.sample(otherRng)), set: `random ${otherLabel}` });
}
if (tests.length === 0) throw new Error('no test networks: set --count, --published or --other-count');
// What nas profile --space S --calibrate N measures (src/predict/calibration-plan.ts): the calibration nets of their
// own seed (never the test nets), in-context variants for the context classes of the space's ops (the blocks keep
// their real neighbours, so per-class scales are learnt in context), size variants and other families where asked.
const spaceInstances = args.count > 0 || args.calibrate > 0 ? space.allInstances() : [];
const testClasses = [...new Set(tests.flatMap(({ arch }) => lutInstances(arch).map(({ inst }) => contextClass(inst.spec))))].filter(Boolean).sort();
const plan = planCalibration(calibrationNetsOf(space, args.calibrate), spaceInstances, {
  ...(args.context ? {} : { contextNets: 0 }),
  ...(args.contextClasses !== undefined ? { contextClasses: args.contextClasses === 'tests' ? testClasses.join(',') : args.contextClasses } : {}),
  sizeNets: args.sizeNets,
  ...(args.calibrateWith ? { calibrateWith: args.calibrateWith } : {}),
});
const calNets = plan.nets;
const variantNets = plan.variants;
const sizeNets = plan.sizes;

const instances = new Map<string, OpInstance>();
// The whole space (as `nas profile --space S` would) when its nets are tested or calibrated on; else only what the nets hold.
if (args.wholeSpace) for (const inst of spaceInstances) instances.set(opKey(inst), inst);
for (const arch of [...tests.map((t) => t.arch), ...calNets, ...variantNets, ...sizeNets]) for (const { inst } of lutInstances(arch)) instances.set(opKey(inst), inst);
if (args.calibrate > 0) process.stderr.write(`calibration: ${calNets.length} nets, ${variantNets.length} in-context variants${plan.classes.length ? ` (classes ${plan.classes.join(', ')})` : ''}, ${sizeNets.length} size variants; ${instances.size} instances to profile\n`);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const device = await resolveDevice(args.device, options);
const reference = chooseReference(args.reference, DEVICE_REGISTRY.find(args.device));
const workerDevice = { name: args.device, options };
for (const protocolName of protocolNames) {
  const protocol: TimingProtocol = {
    ...PROTOCOLS[protocolName],
    ...(args.anchor || args.anchorGate !== undefined ? { anchor: true } : {}),
    ...(args.anchorGate !== undefined ? { anchorGate: args.anchorGate } : {}),
    // With a reference, the estimator over the scaled rounds is the median, as nas profile's default (devices/reference-choice.ts).
    ...(reference !== undefined ? { reference, ...(PROTOCOLS[protocolName].rounds ? { estimator: defaultEstimator(reference) } : {}) } : {}),
  };
  const gate = args.roundGate === 'auto' ? defaultRoundGate(reference, PROTOCOLS[protocolName].rounds) : undefined;
  if (gate) protocol.roundGate = gate;
  // The reference's slow drift as nas profile's default (devices/reference-choice.ts); the replay rows below give the rounds without it.
  const drift = defaultReferenceDrift(reference, PROTOCOLS[protocolName].rounds);
  if (drift) protocol.referenceDrift = drift;
  // Whole nets' rounds as nas profile's default (devices/reference-choice.ts), or --net-rounds N.
  const netRounds = args.netRounds === 'auto' ? defaultNetRounds(reference, PROTOCOLS[protocolName].rounds) : Number(args.netRounds);
  if (netRounds !== undefined && !(Number.isInteger(netRounds) && netRounds >= 1)) throw new Error(`--net-rounds must be auto or a positive integer, got ${args.netRounds}`);
  if (netRounds !== undefined && netRounds !== (protocol.rounds ?? 1)) protocol.netRounds = netRounds;
  const otherTag = args.otherCount > 0 ? `-${args.otherSpace}${otherResolution}` : '';
  const tag = `${args.device}${args.space === 'mbv2' ? '' : `-${args.space}`}-${args.resolution}${args.threads !== undefined ? `-t${args.threads}` : ''}${otherTag}-${protocolName}${args.outputs ? `-${args.outputs}` : ''}${args.anchorGate !== undefined ? `-gate${args.anchorGate}` : args.anchor ? '-anchor' : ''}${reference !== undefined ? `-ref-${reference}` : ''}${args.interleave ? '' : '-apart'}`;
  const lutPath = path.join(outDir, `fidelity-${tag}.lut.json`);
  const loadStart = loadavg();
  const t0 = Date.now();
  const calArchs = [...calNets, ...variantNets, ...sizeNets];
  const asNet = (id: string, arch: Architecture): ProfileNet => ({ id, instances: lutInstances(arch).map((p) => p.inst), build: () => networkModel(arch) });
  const nets = [...calArchs.map((arch, i) => asNet(`cal${i}:${arch.name}`, arch)), ...tests.map((t, i) => asNet(`${i}:${t.arch.name}`, t.arch))];
  // Every entry's rounds (with --anchor their anchors): the LUT keeps only each entry's worst reading.
  const entryRounds = new Map<string, RoundDetail[]>();
  const prof = await profile({
    onEntry: (key, r) => entryRounds.set(key, r.details),
    device,
    instances: [...instances.values()],
    lutPath,
    protocol,
    space: [...(args.count > 0 || args.calibrate > 0 ? [spaceLabel] : []), ...(args.published ? ['published'] : []), ...(args.otherCount > 0 ? [otherLabel] : [])].join('+'),
    onProgress: (p) => p.done % 20 === 0 && p.key && process.stderr.write(`profile ${p.done}/${p.total}\n`),
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    workerDevice,
    ...(args.interleave ? { nets } : {}),
  });
  const profileSeconds = (Date.now() - t0) / 1000;
  // Later measurements scale to the LUT's R (protocol.referenceMs), as nas verify and the calibration do.
  const measuring: TimingProtocol =
    prof.referenceMs !== undefined ? { ...protocol, referenceMs: prof.referenceMs, ...(prof.referenceSlope !== undefined ? { referenceSlope: prof.referenceSlope } : {}) } : protocol;
  const timer = roundTimer(device, measuring, workerDevice);
  const t2 = Date.now();
  // --no-interleave: the nets in passes of their own after the entries (calibration nets, then test nets), as before.
  const byId = args.interleave ? prof.nets : new Map<string, RoundedResult>();
  if (!args.interleave)
    for (const [g, group] of [nets.slice(0, calArchs.length), nets.slice(calArchs.length)].entries()) {
      const r = await timeModelsInRounds(device, group.map((n) => ({ id: n.id, build: n.build })), measuring, { seed: g + 1, timer });
      group.forEach((n, i) => byId.set(n.id, r[i]));
    }
  const netSeconds = (Date.now() - t2) / 1000;
  const measuredNet = (id: string) => {
    const r = byId.get(id);
    if (!r) throw new Error(`net ${id} was not measured${prof.netsSkipped.length ? ` (skipped: ${prof.netsSkipped.map((x) => `${x.id}: ${x.reason}`).join('; ')})` : ''}`);
    return r;
  };
  const source = `${spaceLabel}: ${calNets.length} networks`;
  // ort-cpu: the weight cost nas profile --calibrate measures (src/predict/weight-cost.ts), for the fits and a row of its own.
  const { fit: weightCost, message: weightCostMessage } = await calibrationWeightCost(device, prof.device, [...calNets, ...sizeNets]);
  if (weightCostMessage) process.stderr.write(`${weightCostMessage}\n`);
  const wOpts = weightCost ? { perWeightByteMs: weightCost.perWeightByteMs } : {};
  // --calibrate 0: no calibration; every prediction is the plain LUT sum.
  let calibration: Calibration | undefined;
  let plainFit: Calibration | undefined;
  let kept: { calibration: Calibration | undefined; what: string } | undefined;
  if (calNets.length >= 3) {
    const measured = calArchs.map((arch, i) => ({ arch, ms: measuredNet(`cal${i}:${arch.name}`).stats.median }));
    // The plain nets as nas profile fits them: the random calibration nets and their size variants; then the in-context variants.
    const ctxStart = calNets.length;
    const sizeStart = calNets.length + variantNets.length;
    const plainMeasured = [...measured.slice(0, ctxStart), ...measured.slice(sizeStart)];
    const variantMeasured = measured.slice(ctxStart, sizeStart);
    const all = fitCalibration(readLut(lutPath), measured, `${source} + ${sizeNets.length} size variants + ${variantNets.length} in-context variants (${plan.classes.join(', ')})`, wOpts);
    // The same measurements, fitted on the plain nets only (random and size variants): what calibration did before context classes.
    plainFit = fitCalibration(readLut(lutPath), plainMeasured, `${source} + ${sizeNets.length} size variants`, wOpts);
    calibration = variantNets.length ? all : plainFit;
    writeLut(lutPath, { ...readLut(lutPath), calibration });
    // What `nas profile --calibrate` keeps from the same measurements (src/predict/context-fit.ts keepCalibration:
    // the one-scale fit where the weight cost is measured, else the context fit, the plain-net fit or neither,
    // judged on nets they were not fitted on): the prediction a user gets.
    const k = keepCalibration(readLut(lutPath), plainMeasured, variantMeasured, plan.classes, source, wOpts);
    kept = { calibration: k.calibration, what: keptWhat(k.calibration) };
    process.stderr.write(`kept: ${k.message}\n`);
  }
  const lut = readLut(lutPath);
  const plainLut = { ...lut, calibration: undefined };
  const plainFitLut = { ...lut, calibration: plainFit };
  const keptLut = { ...lut, calibration: kept?.calibration };

  const models: LazyModel[] = tests.map((t, i) => ({ id: `${i}:${t.arch.name}`, build: () => networkModel(t.arch) }));
  const first = models.map((m) => measuredNet(m.id));
  const t1 = Date.now();
  const again = args.remeasure ? await timeModelsInRounds(device, models, measuring, { seed: 3, timer }) : undefined;
  const measureSeconds = (Date.now() - t1) / 1000;
  await timer.stop();
  const loadEnd = loadavg();

  // The estimators replayed on the same rounds (bench/fidelity-rounds.ts has more): each round as timed
  // (its median over the reference's scale, when one ran), combined by the lowest round ('min', the protocol's
  // estimator before the reference) or the median of the rounds; with the reference, scaled to the LUT's R
  // by the reference in the same round; with the anchor, scaled to the run's fastest anchor after the round.
  // Every entry of the plain LUT and both measurements of every net are replayed alike.
  const anchorsOf = (ds: readonly RoundDetail[]) => ds.flatMap((d) => (d.noise?.anchorMs === undefined ? [] : [d.noise.anchorMs]));
  const allDetails = [...entryRounds.values(), ...first.map((r) => r.details), ...(again ?? []).map((r) => r.details)];
  const fastestAnchor = Math.min(...allDetails.flatMap(anchorsOf));
  const R = lut.protocol.referenceMs;
  const beta = lut.protocol.referenceSlope ?? 1;
  const asTimed = (d: RoundDetail) => d.median / (d.scale ?? 1);
  type Replay = { label: string; value(d: RoundDetail): number | undefined; combine: 'min' | 'median' | 'lower-half' };
  const replays: Replay[] = [
    { label: 'lowest round as timed (`min`)', value: asTimed, combine: 'min' },
    { label: 'median of the rounds as timed', value: asTimed, combine: 'median' },
    // The full ratio (β 1, the ninth session's scaling) and the LUT's β (fitted from its rounds: devices/reference.ts).
    ...(R !== undefined
      ? [...new Set([1, beta])].flatMap((b) =>
          (['min', 'median'] as const).map((combine) => ({
            label: `${combine === 'min' ? 'lowest' : 'median'} of the rounds scaled by the interleaved reference, β ${b.toFixed(3)}`,
            value: (d: RoundDetail) => (d.noise?.referenceMs ? asTimed(d) * (R / d.noise.referenceMs) ** b : undefined),
            combine,
          })),
        )
      : []),
    // The lower half (the default estimator) with each round scaled by its own reading alone (the rule before the slow
    // drift), and as the LUT scaled it (with protocol.referenceDrift: by the drift too).
    ...(R !== undefined
      ? [
          { label: `lower half of the rounds scaled by their own reference reading alone, β ${beta.toFixed(3)}`, value: (d: RoundDetail) => (d.noise?.referenceMs ? asTimed(d) * (R / d.noise.referenceMs) ** beta : undefined), combine: 'lower-half' as const },
          ...(lut.protocol.referenceDrift
            ? [{ label: 'lower half of the rounds scaled with the reference\'s slow drift (the LUT\'s rule)', value: (d: RoundDetail) => (d.noise?.referenceMs ? asTimed(d) * driftFactor(R, d.noise.referenceMs, d.noise.referenceDriftMs, beta, lut.protocol.referenceDrift, asTimed(d)) : undefined), combine: 'lower-half' as const }]
            : []),
        ]
      : []),
    ...(Number.isFinite(fastestAnchor)
      ? [{ label: 'median of the rounds scaled by the anchor after them', value: (d: RoundDetail) => (d.noise?.anchorMs ? (asTimed(d) * fastestAnchor) / d.noise.anchorMs : undefined), combine: 'median' as const }]
      : []),
  ];
  // Rounds the anchor gate set aside stay out of a replay too; a model lacking a value in any round has none.
  const replayed = (all: readonly RoundDetail[] | undefined, how: Replay) => {
    const ds = (all ?? []).filter((d) => !d.setAside);
    const xs = ds.map(how.value);
    if (!xs.length || xs.some((x) => x === undefined)) return undefined;
    const v = (xs as number[]).sort((a, b) => a - b);
    if (how.combine === 'min') return v[0];
    if (how.combine === 'lower-half') return estimate(v.map((median) => ({ median }) as LatencyStats), 'lower-half');
    return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const replayLut = (how: Replay) =>
    ({
      ...plainLut,
      entries: Object.fromEntries(
        Object.entries(plainLut.entries).map(([key, e]) => {
          const m = replayed(entryRounds.get(key), how);
          return [key, m === undefined || !('stats' in e) ? e : { ...e, stats: { ...e.stats, median: m }, net: netOf(m, lut.overhead.median) }];
        }),
      ),
    }) as typeof plainLut;
  const replayRows = (ps: { arch: Architecture; first: RoundedResult; again?: RoundedResult }[]) =>
    replays.map((how) => {
      const l = replayLut(how);
      const measured = ps.map((p) => replayed(p.first.details, how));
      const remeasured = ps.map((p) => replayed(p.again?.details, how));
      if (measured.some((x) => x === undefined)) return `| ${how.label} | – | | |`;
      const sum = agreement(ps.map((p) => predict(l, p.arch).ms), measured as number[]);
      const signed = ps.reduce((acc, p, i) => acc + errorPct(predict(l, p.arch).ms, measured[i]!), 0) / ps.length;
      const self = remeasured.every((x) => x !== undefined) ? agreement(remeasured as number[], measured as number[]) : undefined;
      return `| ${how.label} | ${sum.within10.toFixed(1)}% | ${signed.toFixed(1)}% | ${sum.kendallTau.toFixed(3)} | ${self ? `${self.within10.toFixed(1)}% | ${self.within5.toFixed(1)}% | ${self.meanAbsErrorPct.toFixed(2)}%` : '– | – | –'} |`;
    });

  const points = tests.map((t, i) => {
    const predicted = predict(lut, t.arch).ms;
    const measured = first[i].stats.median;
    return {
      name: t.arch.name,
      set: t.set,
      family: t.family,
      predicted,
      plain: predict(plainLut, t.arch).ms,
      plainWeights: predict(plainLut, t.arch, wOpts).ms,
      // The plain sum less each unit's own NCHWc reorders (ort-cpu LUTs record them: src/profile/own-layout.ts):
      // those at its edges, and all of them.
      plainLessEdges: predict(plainLut, t.arch, { ownLayout: 'edges' }).ms,
      plainLessLayout: predict(plainLut, t.arch, { ownLayout: 'all' }).ms,
      plainFit: predict(plainFitLut, t.arch).ms,
      kept: predict(keptLut, t.arch).ms,
      measured,
      remeasured: again?.[i].stats.median,
      spread: first[i].spread,
      // Every round of both measurements with the machine's state over it (CPU, probe, load, wait, time).
      rounds: first[i].details,
      remeasuredRounds: again?.[i].details,
      errorPct: errorPct(predicted, measured),
    };
  });
  type Point = (typeof points)[number];
  const hasOwnLayout = Object.values(lut.entries).some((e) => e.ownLayout);
  const fmt = (a: Agreement) => `${a.n} | ${a.within5.toFixed(1)}% | ${a.within10.toFixed(1)}% | ${a.meanAbsErrorPct.toFixed(2)}% | ${a.maxAbsErrorPct.toFixed(1)}% | ${a.kendallTau.toFixed(3)} | ${a.spearmanRho.toFixed(3)}`;
  const bias = (ps: Point[]) => ps.reduce((s, p) => s + p.errorPct, 0) / ps.length;
  const rows = (label: string, ps: Point[]) => {
    if (!ps.length) return [];
    const out = !calibration ? [] : [`| ${label}, calibrated${variantNets.length ? ' with context classes' : ''} | ${fmt(agreement(ps.map((p) => p.predicted), ps.map((p) => p.measured)))} | ${bias(ps).toFixed(1)}% |`];
    if (calibration && variantNets.length) {
      const b = ps.reduce((sum, p) => sum + errorPct(p.plainFit, p.measured), 0) / ps.length;
      out.push(`| ${label}, calibrated on plain random nets only | ${fmt(agreement(ps.map((p) => p.plainFit), ps.map((p) => p.measured)))} | ${b.toFixed(1)}% |`);
    }
    if (kept) {
      const b = ps.reduce((sum, p) => sum + errorPct(p.kept, p.measured), 0) / ps.length;
      out.push(`| ${label}, as \`nas profile\` keeps it (${kept.what}) | ${fmt(agreement(ps.map((p) => p.kept), ps.map((p) => p.measured)))} | ${b.toFixed(1)}% |`);
    }
    out.push(`| ${label}, plain sum | ${fmt(agreement(ps.map((p) => p.plain), ps.map((p) => p.measured)))} | |`);
    if (weightCost) out.push(`| ${label}, plain sum + measured weight cost | ${fmt(agreement(ps.map((p) => p.plainWeights), ps.map((p) => p.measured)))} | ${(ps.reduce((sum, p) => sum + errorPct(p.plainWeights, p.measured), 0) / ps.length).toFixed(1)}% |`);
    if (hasOwnLayout)
      for (const [what, of] of [
        ['at their edges', (p: Point) => p.plainLessEdges],
        ['all', (p: Point) => p.plainLessLayout],
      ] as const) {
        const b = ps.reduce((sum, p) => sum + errorPct(of(p), p.measured), 0) / ps.length;
        out.push(`| ${label}, plain sum less units' own reorders (${what}) | ${fmt(agreement(ps.map(of), ps.map((p) => p.measured)))} | ${b.toFixed(1)}% |`);
      }
    if (again) out.push(`| ${label}, second measurement vs first | ${fmt(agreement(ps.map((p) => p.remeasured!), ps.map((p) => p.measured)))} | |`);
    return out;
  };
  const sets = [...new Set(points.map((p) => p.set))];
  const pub = points.filter((p) => p.set === 'published');
  const families = [...new Set(pub.map((p) => p.family!))];
  const report = [
    `## protocol ${protocolName}: ${JSON.stringify(protocol)}`,
    '',
    `device ${prof.device.device} (${prof.device.runtime} ${prof.device.runtimeVersion}, ${JSON.stringify(prof.device.options)}), host ${prof.device.host.cpu}; load average ${loadStart} at the start, ${loadEnd} at the end`,
    `LUT ${lutPath}: ${Object.keys(lut.entries).length} entries, overhead ${lut.overhead.median.toFixed(4)} ms; profiling took ${profileSeconds.toFixed(1)} s (${prof.summary.measured} measured, ${prof.summary.reused} reused${args.interleave ? `, with ${nets.length} calibration and test nets in the same passes` : ''})${args.interleave ? '' : `; ${nets.length} calibration and test nets in passes of their own ${netSeconds.toFixed(1)} s`}; the second measurement of ${tests.length} networks ${measureSeconds.toFixed(1)} s`,
    `placement: ${lut.protocol.placement ? JSON.stringify(lut.protocol.placement) : 'unpinned'}`,
    ...(weightCost ? [`weight cost (kernel level, ${weightCost.blocks} blocks of ${Math.min(4, calNets.length)} calibration nets): ${(weightCost.perWeightByteMs * 2 ** 20 * 1000).toFixed(1)} µs per MiB`] : []),
    ...(protocol.anchorGate !== undefined
      ? [`anchor gate ${protocol.anchorGate}: rounds set aside, first measurement ${first.reduce((n, r) => n + (r.setAside ?? 0), 0)} of ${first.reduce((n, r) => n + r.details.length, 0)}, second ${again?.reduce((n, r) => n + (r.setAside ?? 0), 0) ?? 0} of ${again?.reduce((n, r) => n + r.details.length, 0) ?? 0}`]
      : []),
    '',
    '| set | n | within ±5% | within ±10% | mean abs err | max abs err | Kendall τ | Spearman ρ | mean signed err |',
    '|---|---|---|---|---|---|---|---|---|',
    ...sets.flatMap((set) => rows(set, points.filter((p) => p.set === set))),
    ...rows('all', points),
    '',
    `Estimators replayed on the same rounds, all ${points.length} test nets (the plain LUT sum with every entry replayed alike; the live figures are the table's above)${R !== undefined ? `; reference ${protocol.reference}, R ${R.toFixed(4)} ms${prof.referenceAdopted ? ` (provisional ${prof.referenceAdopted.provisionalMs.toFixed(4)} ms, rescaled by ${prof.referenceAdopted.factor.toFixed(3)})` : ''}, β ${beta.toFixed(3)}${prof.referenceAdopted?.slopeFit ? ` (fitted on ${prof.referenceAdopted.slopeFit.rounds} rounds of ${prof.referenceAdopted.slopeFit.models} models, r ${prof.referenceAdopted.slopeFit.r.toFixed(2)}; provisional ${prof.referenceAdopted.provisionalSlope})` : ''}` : ''}:`,
    '',
    '| estimator | plain sum within ±10% | mean signed err | τ | second vs first within ±10% | within ±5% | mean abs Δ |',
    '|---|---|---|---|---|---|---|',
    ...replayRows(tests.map((t, i) => ({ arch: t.arch, first: first[i], again: again?.[i] }))),
    '',
    ...[calibration, ...(variantNets.length ? [plainFit] : []), kept?.calibration].filter((c): c is Calibration => c !== undefined).map(
      (c) =>
        `${c === kept?.calibration ? `kept (${kept.what}): ` : ''}calibration fitted on ${c.fittedOn} nets (${c.source}): base ${c.baseMs.toFixed(4)} ms, per op ${c.perOpMs.toFixed(4)} ms, per MB ${(c.perByteMs * 1e6).toFixed(4)} ms, weights ${((c.perWeightByteMs ?? 0) * 2 ** 20 * 1000).toFixed(1)} µs/MiB${c.weightCacheBytes ? ` beyond ${(c.weightCacheBytes / 2 ** 20).toFixed(0)} MiB` : ''}${c.lessOwnEdges ? ', ops less their own edge reorders' : ''}, scale ${(c.scale ?? 1).toFixed(4)}${c.classScales ? `, class scales ${JSON.stringify(Object.fromEntries(Object.entries(c.classScales).map(([k, v]) => [k || 'plain', Number(v.toFixed(4))])))}` : ''}, fit RMS ${c.rmsErrorPct.toFixed(2)}% (plain sum on the same nets: ${c.plainRmsErrorPct?.toFixed(2)}%)`,
    ),
    '',
    ...(families.length
      ? [
          '| published family | nets | mean signed err (calibrated) | within ±10% | mean signed err (plain-net fit) | mean signed err (as kept) | within ±10% (as kept) |',
          '|---|---|---|---|---|---|---|',
          ...families.map((f) => {
            const ps = pub.filter((p) => p.family === f);
            const b = ps.reduce((sum, p) => sum + errorPct(p.plainFit, p.measured), 0) / ps.length;
            const k = ps.reduce((sum, p) => sum + errorPct(p.kept, p.measured), 0) / ps.length;
            return `| ${f} | ${ps.length} | ${bias(ps).toFixed(1)}% | ${agreement(ps.map((p) => p.predicted), ps.map((p) => p.measured)).within10.toFixed(0)}% | ${b.toFixed(1)}% | ${k.toFixed(1)}% | ${agreement(ps.map((p) => p.kept), ps.map((p) => p.measured)).within10.toFixed(0)}% |`;
          }),
          '',
          `| published net | predicted ms | measured ms | error | error (plain-net fit) | error (as kept${kept ? `: ${kept.what}` : ''}) | round spread | second measurement |`,
          '|---|---|---|---|---|---|---|---|',
          ...pub.map(
            (p) =>
              `| ${p.name} | ${p.predicted.toFixed(3)} | ${p.measured.toFixed(3)} | ${p.errorPct.toFixed(1)}% | ${errorPct(p.plainFit, p.measured).toFixed(1)}% | ${errorPct(p.kept, p.measured).toFixed(1)}% | ${(100 * p.spread).toFixed(1)}% | ${p.remeasured === undefined ? '–' : `${errorPct(p.remeasured, p.measured).toFixed(1)}%`} |`,
          ),
        ]
      : []),
    '',
  ].join('\n');
  console.log(report);
  let kernels: KernelPoint[] | undefined;
  if (args.kernels > 0) {
    const picked = (args.otherCount > 0 ? points.filter((p) => p.set === `random ${otherLabel}`) : points).slice(0, args.kernels);
    const k0 = loadavg();
    // At the device's own thread count (ort-cpu's default: onnxruntime's choice), so the kernels are the ones the wall clock timed.
    const kb = await kernelBreakdown(picked.map((p) => tests[points.indexOf(p)].arch), KERNEL_DEVICES[args.device], picked[0].set, args.threads ?? 0);
    kernels = kb.points;
    console.log(
      [
        ...kb.lines,
        `load average ${k0} at the start, ${loadavg()} at the end`,
        '',
        '| network | wall clock ms | predicted ms | Σ network kernels ms | Σ unit kernels ms | kernels in the network / of its units |',
        '|---|---|---|---|---|---|',
        ...kb.points.map((k, i) => `| ${k.name.slice(0, 48)} | ${picked[i].measured.toFixed(3)} | ${picked[i].predicted.toFixed(3)} | ${k.networkMs.toFixed(3)} | ${k.unitsMs.toFixed(3)} | ${k.nodes} / ${k.unitKernels} |`),
        '',
        // The prediction against the network's own kernels: the comparison a loaded machine leaves standing.
        ...[
          ['prediction', picked.map((p) => p.predicted)],
          ...(hasOwnLayout
            ? [
                ['plain sum less units\' own reorders at their edges', picked.map((p) => p.plainLessEdges)],
                ['plain sum less all units\' own reorders', picked.map((p) => p.plainLessLayout)],
              ]
            : []),
          ['Σ unit kernels', kb.points.map((k) => k.unitsMs)],
          // The layout correction at kernel level: each unit without its own reorders, plus the reorders the network runs.
          ['Σ unit kernels less their reorders plus the network\'s', kb.points.map((k) => k.unitsMs - k.unitReordersMs + k.networkReordersMs)],
          ['Σ unit kernels less their reorders at their edges', kb.points.map((k) => k.unitsMs - k.unitEdgeReordersMs)],
          ['wall clock', picked.map((p) => p.measured)],
        ].map(([label, xs]) => {
          const errs = (xs as number[]).map((x, i) => errorPct(x, kb.points[i].networkMs));
          return `${label} vs Σ network kernels: ${errs.filter((e) => Math.abs(e) <= 10).length} of ${errs.length} within ±10%, mean signed error ${(errs.reduce((a, b) => a + b, 0) / errs.length).toFixed(1)}% (${errs.map((e) => `${e.toFixed(1)}%`).join(', ')})`;
        }),
        '',
      ].join('\n'),
    );
  }
  // The calibration nets' (and in-context variants') times too, so a replay can refit every fit the bench reports.
  const calibrationNets = calArchs.map((arch, i) => ({
    name: arch.name,
    ms: measuredNet(`cal${i}:${arch.name}`).stats.median,
    variant: i >= calNets.length && i < calNets.length + variantNets.length,
    ...(i >= calNets.length + variantNets.length ? { size: true } : {}),
  }));
  // Every LUT entry's rounds (median, end time, CPU, reference reading and scale): the entries timed around a net's round are a yardstick of how fast
  // the machine ran the runtime's kernels then (bench/fidelity-rounds.ts replays the nets' rounds against it).
  const entries = Object.fromEntries([...entryRounds].map(([key, ds]) => [key, ds.map((d) => ({ median: d.median, endedAt: d.endedAt, cpu: d.noise?.cpu, referenceMs: d.noise?.referenceMs, waitPct: d.noise?.waitPct, scale: d.scale, ...(d.asideWhy ? { asideWhy: d.asideWhy } : {}) }))]));
  writeFileSync(path.join(outDir, `fidelity-${tag}.json`), JSON.stringify({ args, contextClasses: plan.classes, protocol, device: prof.device, lutId: lut.id, calibration, kept: kept?.calibration, load: [loadStart, loadEnd], points, calibrationNets, entryRounds: entries, kernels }, null, 1));
}
await device.dispose();
