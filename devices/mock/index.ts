/**
 * `mock`: a deterministic device for tests and dry runs. It never runs the ONNX model and never
 * sleeps: it computes each run's duration from the model's ops (see cost.ts) and feeds those
 * synthetic durations through the same harness as a real device.
 */
import { OP_KINDS } from '../../src/core/keys.js';
import { macs, type OpInstance, type OpKind } from '../../src/core/ops.js';
import { UserError } from '../../src/core/errors.js';
import { hash32, Rng } from '../../src/core/rng.js';
import { parseContextClassList } from '../../src/core/context-class.js';
import { measure, type SampleSource } from '../harness.js';
import { hostInfo } from '../host.js';
import { listOption, numberOption } from '../options.js';
import type { Device, DeviceFactory, DeviceInfo, DeviceOptions, ModelUnderTest, TimingProtocol, TimingResult } from '../types.js';
import { DEFAULT_MOCK_COST, modelCostMs, noisyTimes, type MockCostModel } from './cost.js';

const NAME = 'mock';

export class MockDevice implements Device {
  readonly name = NAME;
  /** It never runs a model: time() reads the ops and the ONNX bytes' length, never a weight. */
  readonly needsWeights: boolean = false;
  private readonly cost: MockCostModel;
  private readonly unsupported: OpKind[];
  /** Wall time each time() call takes (a stand-in for a real device's cost, for farm tests and benchmarks); not in the info: it changes no figure. */
  private readonly delayMs: number;
  /** σ of the log of a factor drawn per time() call of a model (its n-th round differs from its first), 0 = none: every call of a model replays one noise sequence. */
  private readonly roundJitter: number;
  private readonly timedByKey = new Map<string, number>();
  private info?: DeviceInfo;

  constructor(options: DeviceOptions = {}) {
    const d = DEFAULT_MOCK_COST;
    const num = (key: Exclude<keyof MockCostModel, 'contextScales'>, min: number, integer = false) => numberOption(NAME, options, key, d[key], { min, integer });
    this.cost = {
      overheadMs: num('overheadMs', 0),
      opMs: num('opMs', 0),
      macsPerMs: num('macsPerMs', Number.MIN_VALUE),
      bytesPerMs: num('bytesPerMs', Number.MIN_VALUE),
      noise: num('noise', 0),
      outlierRate: num('outlierRate', 0),
      seed: num('seed', 0, true),
      ...contextScalesOption(options),
    };
    this.unsupported = listOption(NAME, options, 'unsupported', OP_KINDS);
    this.delayMs = numberOption(NAME, options, 'delayMs', 0, { min: 0 });
    this.roundJitter = numberOption(NAME, options, 'roundJitter', 0, { min: 0 });
  }

  async init(): Promise<DeviceInfo> {
    this.info ??= {
      device: NAME,
      runtime: 'mock',
      runtimeVersion: '1',
      ep: 'synthetic',
      // contextScales only when set, so the LUTs of a mock without it keep their ids.
      options: { ...withoutContextScales(this.cost), ...(this.cost.contextScales ? { contextScales: formatContextScales(this.cost.contextScales) } : {}), unsupported: this.unsupported.join(',') },
      host: hostInfo(),
      timing: 'synthetic: overhead + Σ(op cost + MACs/throughput + bytes/bandwidth), seeded log-normal noise',
    };
    return this.info;
  }

  supports(inst: OpInstance): true | string {
    if (this.unsupported.includes(inst.spec.kind)) return `mock: '${inst.spec.kind}' is switched off by the 'unsupported' option`;
    try {
      macs(inst);
      return true;
    } catch (e) {
      return `mock: ${(e as Error).message}`;
    }
  }

  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    if (!this.info) throw new Error('mock: time() called before init()');
    for (const op of model.ops) {
      const why = this.supports(op);
      if (why !== true) throw new UserError(`cannot time '${model.key}': ${why}`);
    }
    const call = this.timedByKey.get(model.key) ?? 0;
    this.timedByKey.set(model.key, call + 1);
    const jitter = this.roundJitter > 0 ? Math.exp(this.roundJitter * new Rng(hash32(`${model.key}#${call}`) ^ this.cost.seed).normal()) : 1;
    const base = modelCostMs(model.ops, this.cost) * jitter;
    const next = noisyTimes(base, model.key, this.cost);
    const source: SampleSource = {
      // A first run allocates and warms caches: a few times slower, as on real runtimes.
      cold: async () => 4 * next(),
      samples: async (count) => Array.from({ length: count }, next),
    };
    const { stats, coldMs } = await measure(source, protocol);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    // Session creation grows with the model's size (parsing, weight copies).
    const setupMs = 1 + model.onnx.byteLength / 1e6;
    return { stats, coldMs, setupMs };
  }

  async dispose(): Promise<void> {
    this.info = undefined;
  }
}

/** `contextScales=plain:0.9,se:1.5,se+hswish:1.3`: class:factor pairs, each class as parseContextClassList reads it (or plain). */
function contextScalesOption(options: DeviceOptions): { contextScales?: Record<string, number> } {
  const raw = options.contextScales;
  if (raw === undefined || raw === '') return {};
  const scales: Record<string, number> = {};
  for (const item of String(raw).split(',').map((s) => s.trim()).filter(Boolean)) {
    const [cls, factor, ...rest] = item.split(':');
    const value = Number(factor);
    if (rest.length || !(value > 0)) throw new UserError(`device '${NAME}': option 'contextScales' takes class:factor pairs with a factor > 0 (e.g. se:1.5,se+hswish:1.3), got ${JSON.stringify(item)}`);
    scales[cls === 'plain' ? '' : (parseContextClassList(cls)[0] ?? '')] = value;
  }
  return { contextScales: scales };
}

const withoutContextScales = ({ contextScales: _, ...rest }: MockCostModel) => rest;
const formatContextScales = (s?: Record<string, number>) => (s ? Object.entries(s).map(([c, v]) => `${c || 'plain'}:${v}`).join(',') : '');

export const mockFactory = {
  name: NAME,
  options: ['overheadMs', 'opMs', 'macsPerMs', 'bytesPerMs', 'noise', 'outlierRate', 'seed', 'contextScales', 'unsupported', 'delayMs', 'roundJitter'],
  description: 'deterministic FLOPs-based synthetic device for tests (never runs the model)',
  available: async () => true as const,
  create: (options: DeviceOptions) => new MockDevice(options),
} satisfies DeviceFactory;
