/** Options and helpers shared by several commands, so each flag means the same everywhere. */
import type { Argv } from 'yargs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { Registry } from '../../core/registry.js';
import { Rng } from '../../core/rng.js';
import { deviceFactory, deviceName } from '../../../devices/registry.js';
import type { DeviceOptions, TimingProtocol } from '../../../devices/types.js';
import type { TrainEvaluatorOptions } from '../../core/contracts.js';
import { DEFAULT_PROTOCOL } from '../../../devices/types.js';

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
    .option('target-ci', { type: 'number', default: DEFAULT_PROTOCOL.targetCI, describe: "stop when the median's 95% CI half-width is within this fraction" });
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

interface DeviceArgs {
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

interface ProtocolArgs {
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  maxTimeMs: number;
  targetCi: number;
}

export function toProtocol(a: ProtocolArgs): TimingProtocol {
  const p: TimingProtocol = { warmup: a.warmup, minRepeats: a.minRepeats, maxRepeats: a.maxRepeats, maxTimeMs: a.maxTimeMs, targetCI: a.targetCi };
  if (!(p.warmup >= 0) || !(p.minRepeats >= 1) || !(p.maxRepeats >= p.minRepeats) || !(p.maxTimeMs > 0) || !(p.targetCI > 0))
    throw new UserError(`invalid timing protocol ${JSON.stringify(p)}`, { hint: 'need warmup ≥ 0, 1 ≤ min-repeats ≤ max-repeats, max-time-ms > 0, target-ci > 0' });
  return p;
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
    return [await readArchFile(a.arch)];
  }
  if (a.published !== undefined) {
    const { publishedNet } = await import('../../spaces/published.js');
    return [publishedNet(a.published, { resolution: a.resolution })];
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
    .option('train-backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'training: tfjs backend (default auto: tfjs-node > wasm > cpu)' });
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
  };
  for (const k of Object.keys(s) as (keyof TrainEvaluatorOptions)[]) if (s[k] === undefined) delete s[k];
  return s;
}
