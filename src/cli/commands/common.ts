/** Options and helpers shared by several commands, so each flag means the same everywhere. */
import type { Argv } from 'yargs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { Registry } from '../../core/registry.js';
import { Rng } from '../../core/rng.js';
import { DEVICE_REGISTRY, deviceFactory, deviceName } from '../../../devices/registry.js';
import type { DeviceOptions, TimingProtocol } from '../../../devices/types.js';
import type { TrainEvaluatorOptions } from '../../core/contracts.js';
import type { SearchSpace } from '../../core/space.js';
import type { AccuracyEvaluator } from '../../search/types.js';
import type { ProxyEvaluatorOptions } from '../../evaluators/proxy/index.js';
import { DEFAULT_PROTOCOL, ESTIMATORS, type Estimator } from '../../../devices/types.js';
import { chooseReference, DEFAULT_NET_ROUNDS, defaultEstimator, defaultNetRounds, defaultReferenceDrift, defaultRoundGate, REFERENCE_NAMES } from '../../../devices/reference-choice.js';
import { parseCpuList } from '../../../devices/affinity.js';
import { checkCpuSpec } from '../../../devices/pin.js';
import { SAMPLERS } from '../../train/supernet/sampler.js';
import { log } from '../output.js';

export function deviceOptions<T>(y: Argv<T>) {
  return y
    .option('device', { type: 'string', default: 'cpu', describe: 'device to measure on (see `nas devices`)' })
    .option('threads', { type: 'number', describe: 'runtime threads (ort-cpu: intra-op threads, 0 = runtime default; wasm: worker threads)' })
    .option('graph-opt', { type: 'string', choices: ['all', 'extended', 'basic', 'disabled'], describe: 'onnxruntime graph optimisation level' })
    .option('browser', { type: 'string', describe: 'browser devices: path of the Chrome/Chromium/Edge executable' })
    .option('browser-endpoint', { type: 'string', describe: 'browser devices: ws:// endpoint of an already running browser' })
    .option('serve', { type: 'boolean', describe: 'remote device: serve the profiling page for any browser to open (prints a URL and a QR code)' })
    .option('host', { type: 'string', describe: 'remote device: address to bind (default 127.0.0.1, loopback only)' })
    .option('port', { type: 'number', describe: 'remote/browser devices: port of the page server (default: a free one)' })
    .option('device-opt', { type: 'array', string: true, default: [] as string[], describe: 'extra device option key=value (repeatable)' });
}

export function protocolOptions<T>(y: Argv<T>) {
  return y
    .option('warmup', { type: 'number', default: DEFAULT_PROTOCOL.warmup, describe: 'untimed runs before measuring' })
    .option('min-repeats', { type: 'number', default: DEFAULT_PROTOCOL.minRepeats, describe: 'minimum timed runs per model' })
    .option('max-repeats', { type: 'number', default: DEFAULT_PROTOCOL.maxRepeats, describe: 'maximum timed runs per model' })
    .option('max-time-ms', { type: 'number', default: DEFAULT_PROTOCOL.maxTimeMs, describe: 'time limit per model (ms)' })
    .option('target-ci', { type: 'number', default: DEFAULT_PROTOCOL.targetCI, describe: "stop when the median's 95% CI half-width is within this fraction" })
    .option('rounds', { type: 'number', default: DEFAULT_PROTOCOL.rounds ?? 1, describe: 'rounds per model, spread over the run in shuffled passes (the limits above are for all rounds together)' })
    .option('estimator', { type: 'string', choices: ESTIMATORS, describe: `how round figures combine (see docs/benchmarks.md); default ${DEFAULT_PROTOCOL.estimator}, or lower-half (the mean of the fastest half of the rounds) over rounds scaled by a timing reference (--reference)` })
    .option('max-spread', { type: 'number', default: DEFAULT_PROTOCOL.maxSpread, describe: 'measure a model again while its round medians spread more than this fraction' })
    .option('extra-rounds', { type: 'number', default: DEFAULT_PROTOCOL.extraRounds ?? 0, describe: 'at most this many extra rounds for a model whose rounds disagree' })
    .option('round-gate', {
      type: 'string',
      choices: ['auto', 'off'],
      default: 'auto',
      describe: "set aside and retake (within --extra-rounds) a round whose measuring thread waited for a CPU more than 30% of it or whose timing reference read more than 2.5x the LUT's scale: auto (on with a reference and several rounds) or off",
    })
    .option('reference-drift', {
      type: 'string',
      choices: ['auto', 'off'],
      default: 'auto',
      describe:
        "with a timing reference, scale a round by the machine's slow drift (the median of the process's last 31 reference readings) as well as by its own reading, small models following the drift further (devices/reference.ts): auto (on with a reference and several rounds) or off (each round by its own reading alone, as LUTs before it)",
    })
    .option('reference', {
      type: 'string',
      default: 'auto',
      describe: `a reference model timed in short batches between the batches of every round, in one session kept for the run; each round is scaled by the LUT's reference scale over the reference's median in it, so the machine's speed drifting over seconds cancels out: ${REFERENCE_NAMES.join(', ')}, off, or auto (the device's default: ort-cpu ${DEVICE_REGISTRY.find('ort-cpu')?.defaultReference ?? 'off'}, others off)`,
    })
    .option('net-rounds', {
      type: 'string',
      default: 'auto',
      describe: `rounds per whole network (the calibration nets, nas verify's members), in place of --rounds, which then holds for the LUT's entries: a number, or auto (${DEFAULT_NET_ROUNDS} with a timing reference and several rounds, else --rounds); recorded in the LUT's protocol, not part of its id`,
    })
    .option('fresh-process', { type: 'boolean', default: false, describe: 'run every pass of rounds in a fresh worker process (as pyperf does), so process-level luck averages out' })
    .option('cpu', {
      type: 'string',
      describe:
        "pin the measuring to a CPU: 'auto' (the fastest by a speed probe) or a list such as 1 or 0,2 (Linux, taskset; needs --threads 1 for a single CPU); with --fresh-process the round workers run there and this process on the other CPUs",
    });
}

/** --arch | --published | --space S --random N; with `single`, a bare `--random` means one architecture. */
export function archSourceOptions<T>(y: Argv<T>, opts: { single?: boolean } = {}) {
  return y
    .option('arch', { type: 'string', describe: 'architecture JSON file' })
    .option('published', { type: 'string', describe: 'a published network by name (e.g. MobileNetV2-1.0)' })
    .option('space', { type: 'string', describe: 'search space for --random' })
    .option(
      'random',
      opts.single
        ? { describe: 'a random architecture of --space (seeded by --seed)', coerce: (v: unknown) => (v === true || v === '' ? 1 : Number(v)) }
        : { type: 'number', describe: 'N random architectures of --space' },
    )
    .option('seed', { type: 'number', default: 0, describe: 'random seed' })
    .option('resolution', { type: 'number', describe: 'input resolution (default: the space or net default)' });
}

/** The flags of deviceOptions. */
export interface DeviceArgs {
  device: string;
  threads?: number;
  graphOpt?: string;
  browser?: string;
  browserEndpoint?: string;
  serve?: boolean;
  host?: string;
  port?: number;
  deviceOpt?: string[];
}

export function toDeviceOptions(a: DeviceArgs): DeviceOptions {
  const opts: DeviceOptions = {
    threads: a.threads,
    graphOptimizationLevel: a.graphOpt,
    browser: a.browser,
    browserEndpoint: a.browserEndpoint,
    serve: a.serve,
    host: a.host,
    port: a.port,
  };
  const declared = deviceFactory(a.device).options;
  const known = declared && new Registry('device option', declared.map((k) => [k, k] as const), { knownLabel: `device '${deviceName(a.device)}' reads` });
  for (const kv of a.deviceOpt ?? []) {
    const m = /^([\w.-]+)=(.*)$/.exec(kv);
    if (!m) throw new UserError(`--device-opt must look like key=value, got '${kv}'`);
    if (known && !known.has(m[1])) throw known.unknown(m[1]);
    const v = m[2];
    opts[m[1]] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  for (const k of Object.keys(opts)) if (opts[k] === undefined) delete opts[k];
  return opts;
}

/** The flags of protocolOptions. */
export interface ProtocolArgs {
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  maxTimeMs: number;
  targetCi: number;
  rounds?: number;
  estimator?: string;
  maxSpread?: number;
  extraRounds?: number;
  freshProcess?: boolean;
  cpu?: string;
  /** A reference name, off, or auto (the device's default: devices/reference.ts). */
  reference?: string;
  /** auto (the default gate with a reference: devices/reference-choice.ts) or off. */
  roundGate?: string;
  /** auto (the default drift with a reference: devices/reference-choice.ts) or off. */
  referenceDrift?: string;
  /** Rounds per whole network: a count, or auto (devices/reference-choice.ts defaultNetRounds). */
  netRounds?: string | number;
  /** The device measured on (its registry name or alias): what --reference auto resolves by. */
  device: string;
  /** Checked against --cpu: a runtime with several threads pinned to fewer CPUs would time-share them. */
  threads?: number;
}

/**
 * The protocol from the flags. One round (the default of the flags' absence) gives exactly the protocol
 * before rounds existed, so LUTs measured that way keep their id and can be completed.
 */
export function toProtocol(a: ProtocolArgs): TimingProtocol {
  const p: TimingProtocol = { warmup: a.warmup, minRepeats: a.minRepeats, maxRepeats: a.maxRepeats, maxTimeMs: a.maxTimeMs, targetCI: a.targetCi };
  if (!(p.warmup >= 0) || !(p.minRepeats >= 1) || !(p.maxRepeats >= p.minRepeats) || !(p.maxTimeMs > 0) || !(p.targetCI > 0))
    throw new UserError(`invalid timing protocol ${JSON.stringify(p)}`, { hint: 'need warmup ≥ 0, 1 ≤ min-repeats ≤ max-repeats, max-time-ms > 0, target-ci > 0' });
  const rounds = a.rounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new UserError(`--rounds must be a positive integer, got ${a.rounds}`);
  if (a.freshProcess) p.freshProcess = true;
  if (a.cpu !== undefined) {
    checkCpuSpec(a.cpu);
    const pinned = a.cpu === 'auto' ? 1 : parseCpuList(a.cpu).length;
    if (a.threads !== undefined && a.threads !== 1 && (a.threads === 0 || a.threads > pinned))
      throw new UserError(`--cpu ${a.cpu} pins to ${pinned} CPU${pinned === 1 ? '' : 's'}, but --threads ${a.threads} asks the runtime for ${a.threads === 0 ? 'one thread per core' : `${a.threads} threads`}: they would time-share the pinned CPUs`, {
        hint: `use --threads 1 with --cpu${a.cpu === 'auto' ? '' : `, or list at least ${a.threads} CPUs`}`,
      });
    p.cpu = a.cpu;
  }
  const reference = chooseReference(a.reference ?? 'auto', DEVICE_REGISTRY.find(a.device));
  if (reference !== undefined) p.reference = reference;
  if (rounds === 1) return { ...p, ...netRoundsOf(a.netRounds, reference, rounds) };
  if (a.estimator !== undefined && !(ESTIMATORS as readonly string[]).includes(a.estimator))
    throw new UserError(`--estimator must be one of ${ESTIMATORS.join(', ')}, got '${a.estimator}'`);
  if (a.maxSpread !== undefined && !(a.maxSpread > 0)) throw new UserError(`--max-spread must be a fraction > 0 (e.g. 0.05), got ${a.maxSpread}`);
  const extra = a.extraRounds ?? 0;
  if (!Number.isInteger(extra) || extra < 0) throw new UserError(`--extra-rounds must be an integer ≥ 0, got ${a.extraRounds}`);
  return {
    ...p,
    rounds,
    estimator: (a.estimator ?? defaultEstimator(reference)) as Estimator,
    ...roundGateOf(a.roundGate, reference, rounds),
    ...referenceDriftOf(a.referenceDrift, reference, rounds),
    ...netRoundsOf(a.netRounds, reference, rounds),
    ...(a.maxSpread !== undefined ? { maxSpread: a.maxSpread } : {}),
    ...(extra > 0 && a.maxSpread !== undefined ? { extraRounds: extra } : {}),
  };
}

/** protocol.roundGate from --round-gate (auto or off). */
function roundGateOf(choice: string | undefined, reference: string | undefined, rounds: number): Pick<TimingProtocol, 'roundGate'> {
  if (choice !== undefined && choice !== 'auto' && choice !== 'off') throw new UserError(`--round-gate must be auto or off, got '${choice}'`);
  const gate = choice === 'off' ? undefined : defaultRoundGate(reference, rounds);
  return gate ? { roundGate: gate } : {};
}

/** protocol.netRounds from --net-rounds (auto or a count ≥ 1); none where it equals the rounds. */
export function netRoundsOf(choice: string | number | undefined, reference: string | undefined, rounds: number): Pick<TimingProtocol, 'netRounds'> {
  const n = choice === undefined || choice === 'auto' ? defaultNetRounds(reference, rounds) : Number(choice);
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new UserError(`--net-rounds must be auto or a positive integer, got '${choice}'`);
  return n !== undefined && n !== rounds ? { netRounds: n } : {};
}

/** protocol.referenceDrift from --reference-drift (auto or off). */
function referenceDriftOf(choice: string | undefined, reference: string | undefined, rounds: number): Pick<TimingProtocol, 'referenceDrift'> {
  if (choice !== undefined && choice !== 'auto' && choice !== 'off') throw new UserError(`--reference-drift must be auto or off, got '${choice}'`);
  const drift = choice === 'off' ? undefined : defaultReferenceDrift(reference, rounds);
  return drift ? { referenceDrift: drift } : {};
}

/** The flags of archSourceOptions (`random` is a count, or true for one with `single`). */
export interface ArchSourceArgs {
  arch?: string;
  published?: string;
  space?: string;
  random?: number | boolean;
  seed: number;
  resolution?: number;
}

type ArchArgs = ArchSourceArgs & { random?: number };

/** The architectures named by --arch | --published | --space S --random N. */
export async function resolveArchitectures(a: ArchArgs): Promise<Architecture[]> {
  const given = [a.arch !== undefined, a.published !== undefined, a.random !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UserError('name exactly one architecture source: --arch FILE, --published NAME, or --space S --random N');
  if (a.arch !== undefined) {
    const { readArchFile } = await import('../../spaces/arch-file.js');
    return [await readArchFile(a.arch, { onNote: (m) => log(`note: ${m}`) })];
  }
  if (a.published !== undefined) {
    const { publishedArchitecture } = await import('../../spaces/catalog.js');
    return [publishedArchitecture(a.published, { resolution: a.resolution })];
  }
  if (!a.space) throw new UserError('--random needs --space (e.g. --space mbv2)');
  if (!Number.isInteger(a.random) || (a.random as number) < 1) throw new UserError(`--random must be a positive integer, got ${a.random}`);
  const { createSpace } = await import('../../spaces/registry.js');
  const space = createSpace(a.space, { resolution: a.resolution });
  const rng = new Rng(a.seed);
  const { validateArchitectureSpec } = await import('../../core/validate-spec.js');
  return Array.from({ length: a.random as number }, () => {
    const arch = space.build(space.sample(rng));
    validateArchitectureSpec(arch);
    return arch;
  });
}

/** Training data and budget, shared by every command that trains (search with train/supernet/fbnet/…, train). */
export function trainingOptions<T>(y: Argv<T>) {
  return y
    .option('data', { type: 'string', describe: 'training: folder holding the data set files (default: Debian\'s copy, e.g. /usr/share/datasets/fashion-mnist)' })
    .option('train-dataset', { type: 'string', describe: 'training: data set, fashion-mnist (default) or cifar10' })
    .option('train-images', { type: 'number', describe: 'training: images used, train + validation (default 2560)' })
    .option('train-validation', { type: 'number', describe: 'training: validation images, a count or a fraction of --train-images (default 512)' })
    .option('downscale', { type: 'number', describe: 'training: shrink the images by this integer factor (2 turns 28x28 into 14x14; default 1)' })
    .option('train-epochs', { type: 'number', describe: 'training: epochs per training (default 2)' })
    .option('train-steps', { type: 'number', describe: 'training: steps per training instead of epochs' })
    .option('train-batch', { type: 'number', describe: 'training: batch size (default 64)' })
    .option('train-lr', { type: 'number', describe: 'training: peak learning rate (default 0.05 for SGD)' })
    .option('train-backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'training: tfjs backend (default auto: tfjs-node > wasm > cpu)' })
    .option('drop-path', { type: 'number', describe: 'training: ScheduledDropPath probability, reached linearly over the steps (default 0.2 for nasnet and darts cell networks, 0 = off)' });
}

export interface TrainingArgs {
  data?: string;
  trainDataset?: string;
  trainImages?: number;
  trainValidation?: number;
  downscale?: number;
  trainEpochs?: number;
  trainSteps?: number;
  trainBatch?: number;
  trainLr?: number;
  trainBackend?: string;
  dropPath?: number;
  seed?: number;
}

/** The training settings named by the flags of trainingOptions (unset flags stay unset: each consumer has its defaults). */
export function trainingSettings(a: TrainingArgs): TrainEvaluatorOptions {
  const positiveInt = (flag: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new UserError(`--${flag} must be a positive integer, got ${v}`);
  };
  positiveInt('train-images', a.trainImages);
  positiveInt('downscale', a.downscale);
  positiveInt('train-epochs', a.trainEpochs);
  positiveInt('train-steps', a.trainSteps);
  positiveInt('train-batch', a.trainBatch);
  if (a.trainValidation !== undefined && !(a.trainValidation > 0)) throw new UserError(`--train-validation must be a positive count or a fraction in (0, 1), got ${a.trainValidation}`);
  if (a.trainLr !== undefined && !(Number.isFinite(a.trainLr) && a.trainLr > 0)) throw new UserError(`--train-lr must be a positive number, got ${a.trainLr}`);
  if (a.trainEpochs !== undefined && a.trainSteps !== undefined) throw new UserError('give --train-epochs or --train-steps, not both');
  if (a.dropPath !== undefined && !(Number.isFinite(a.dropPath) && a.dropPath >= 0 && a.dropPath < 1))
    throw new UserError(`--drop-path must be a probability in [0, 1), got ${a.dropPath}`, { hint: 'e.g. --drop-path 0.2, or --drop-path 0 to turn it off' });
  const s: TrainEvaluatorOptions = {
    dataset: a.trainDataset,
    dataDir: a.data,
    limit: a.trainImages,
    validation: a.trainValidation,
    downscale: a.downscale,
    epochs: a.trainEpochs,
    steps: a.trainSteps,
    batchSize: a.trainBatch,
    optimizer: a.trainLr === undefined ? undefined : { lr: a.trainLr },
    seed: a.seed,
    backend: a.trainBackend as TrainEvaluatorOptions['backend'],
    dropPath: a.dropPath,
  };
  for (const k of Object.keys(s) as (keyof TrainEvaluatorOptions)[]) if (s[k] === undefined) delete s[k];
  return s;
}

/** Accuracy evaluator flags, shared by every command that scores architectures (search, evaluate). */
export function evaluatorOptions<T>(y: Argv<T>, opts: { defaultEvaluator?: string; optional?: boolean } = {}) {
  return y
    .option('evaluator', {
      type: 'string',
      ...(opts.optional ? {} : opts.defaultEvaluator === undefined ? { demandOption: true } : { default: opts.defaultEvaluator }),
      describe: 'accuracy: table (NAS-Bench-201 data), command (your script), proxy (zero-cost score, not a %; see --proxy), train (short training on Fashion-MNIST; see the training flags), supernet (one-shot supernet weights; see --supernet)',
    })
    .option('nb201-file', { type: 'string', describe: 'NAS-Bench-201 data file (default ../shared/data/nb201/nb201.json from the project root)' })
    .option('dataset', { type: 'string', default: 'cifar10', describe: 'table evaluator: cifar10, cifar100 or ImageNet16-120' })
    .option('eval-command', { type: 'string', describe: 'command evaluator: shell command; {arch} is replaced by the architecture JSON file (appended if absent); prints the accuracy' })
    .option('eval-timeout', { type: 'number', describe: 'command evaluator: seconds per architecture (default 3600)' })
    .option('eval-range', { type: 'string', describe: 'command evaluator: LOW,HIGH range a printed accuracy must fall in (default 0,100, a percentage)' })
    .option('proxy', { type: 'string', describe: 'proxy evaluator: naswot (default), synflow, jacob_cov, snip, grad_norm, fisher, or vote (majority of synflow, jacob_cov, snip)' })
    .option('proxy-data', { type: 'string', describe: 'proxy evaluator: minibatch of the data-driven proxies: auto (default: Fashion-MNIST when installed, else noise), normal (noise), fashion-mnist, or cifar10 (with --data DIR)' })
    .option('proxy-batch', { type: 'number', describe: 'proxy evaluator: minibatch size (default naswot 16, the gradient proxies 64; synflow uses one all-ones image)' })
    .option('proxy-resolution', { type: 'number', describe: 'proxy evaluator: input size (default the space resolution, at most 16)' })
    .option('proxy-backend', { type: 'string', describe: 'proxy evaluator: tfjs backend, wasm (default) or cpu' })
    .option('proxy-vote-reference', { type: 'number', describe: 'proxy evaluator, vote: reference nets of the space each candidate is voted against (default 50)' })
    .option('proxy-init', { type: 'string', describe: 'proxy evaluator: weight init of the scored nets, kaiming-normal (default) or torch-default (PyTorch\'s own, as the zero-cost proxies\' reference code)' })
    .option('supernet', { type: 'string', describe: 'supernet evaluator: supernet checkpoint file, used when finished, resumed when partial, trained when missing (default <out>.supernet)' })
    .option('supernet-epochs', { type: 'number', describe: 'supernet evaluator: epochs the supernet is trained for (default 10)' })
    .option('supernet-sampler', { type: 'string', choices: [...SAMPLERS], describe: 'supernet evaluator: uniform single paths (SPOS), FairNAS strict fairness, sandwich (largest + smallest + 2 depth-sampled random paths a step, BigNAS), or depth (single paths, the number of skipped layers uniform, as OFA samples depth); default in docs/training.md' })
    .option('supernet-distill', { type: 'boolean', describe: 'supernet evaluator: in-place distillation, the step\'s first path (sandwich: the largest) teaches the others (--no-supernet-distill turns it off)' })
    .option('supernet-sharing', { type: 'string', choices: ['independent', 'nested'], describe: 'supernet evaluator and fbnet/proxyless: own weights per option (SPOS; the fbnet/proxyless default) or nested (one largest kernel per layer, options are its slices: OFA / Single-Path NAS; the supernet evaluator\'s default)' });
}

export interface EvaluatorArgs extends TrainingArgs {
  evaluator: string;
  nb201File?: string;
  dataset?: string;
  evalCommand?: string;
  evalTimeout?: number;
  evalRange?: string;
  proxy?: string;
  proxyData?: string;
  proxyBatch?: number;
  proxyResolution?: number;
  proxyBackend?: string;
  proxyVoteReference?: number;
  proxyInit?: string;
  supernet?: string;
  supernetEpochs?: number;
  supernetSampler?: string;
  supernetDistill?: boolean;
  supernetSharing?: string;
}

/** --eval-range LOW,HIGH as two numbers. */
function parseRange(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1]))
    throw new UserError(`--eval-range must be LOW,HIGH with LOW < HIGH (e.g. 0,100 or 0,1), got '${text}'`);
  return [parts[0], parts[1]];
}

/** Checks the evaluator flags that need no file or module, so bad input fails before any work starts. */
export function checkEvaluatorArgs(a: EvaluatorArgs): void {
  if (a.evalTimeout !== undefined && !(a.evalTimeout > 0)) throw new UserError(`--eval-timeout must be a positive number of seconds, got ${a.evalTimeout}`);
  if (a.evaluator === 'command' && !a.evalCommand?.trim())
    throw new UserError('--evaluator command needs --eval-command "…"', { hint: `e.g. --eval-command "python train.py --arch {arch}" ({arch} = architecture JSON file)` });
  if (a.evaluator !== 'command' && a.evalCommand !== undefined) throw new UserError(`--eval-command is only used with --evaluator command (got --evaluator ${a.evaluator})`);
  if (a.evaluator !== 'command' && a.evalRange !== undefined) throw new UserError(`--eval-range is only used with --evaluator command (got --evaluator ${a.evaluator})`);
  parseRange(a.evalRange);
  const proxyFlags = { proxy: a.proxy, 'proxy-data': a.proxyData, 'proxy-batch': a.proxyBatch, 'proxy-resolution': a.proxyResolution, 'proxy-backend': a.proxyBackend, 'proxy-vote-reference': a.proxyVoteReference, 'proxy-init': a.proxyInit };
  const given = Object.entries(proxyFlags).filter(([, v]) => v !== undefined).map(([k]) => `--${k}`);
  if (a.evaluator !== 'proxy' && given.length > 0) throw new UserError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} only used with --evaluator proxy (got --evaluator ${a.evaluator})`);
  // Drop-path regularises the trainings of single networks (the train evaluator, nas train), not supernets.
  if (a.dropPath !== undefined && a.evaluator !== 'train') throw new UserError(`--drop-path is only used with --evaluator train (got --evaluator ${a.evaluator})`, { hint: 'nas train also takes it' });
}

/** The evaluator the flags name; `space` is what the vote proxy draws its reference nets from (it says so when it is missing). */
export async function evaluatorFromArgs(a: EvaluatorArgs, space: SearchSpace | undefined, training: TrainEvaluatorOptions): Promise<AccuracyEvaluator> {
  const { createEvaluator } = await import('../../evaluators/registry.js');
  return createEvaluator(a.evaluator, {
    training,
    args: a as unknown as Record<string, unknown>,
    dataset: a.dataset,
    nb201File: a.nb201File,
    command: a.evalCommand,
    timeoutMs: a.evalTimeout === undefined ? undefined : a.evalTimeout * 1000,
    accuracyRange: parseRange(a.evalRange),
    proxy: {
      proxy: a.proxy,
      data: a.proxyData as ProxyEvaluatorOptions['data'],
      dataDir: a.data,
      batch: a.proxyBatch,
      resolution: a.proxyResolution,
      backend: a.proxyBackend as ProxyEvaluatorOptions['backend'],
      voteReference: a.proxyVoteReference,
      init: a.proxyInit as ProxyEvaluatorOptions['init'],
      space,
    },
  });
}
