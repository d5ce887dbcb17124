/**
 * A Device whose measurements are made by the pool's workers: the coordinator hands it to the
 * existing profile(), calibrate() and verifyFront() unchanged, so LUT writing, resuming and reporting
 * stay theirs. time() sends the model to the queue of the chosen fingerprint and waits for the result;
 * prefetch() sends many at once, so that those loops, which await one model after the other, find
 * most results already measured in parallel by the workers.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DeviceUnavailableError, UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import type { Device, DeviceInfo, DeviceOptions, ModelUnderTest, TimingProtocol, TimingResult } from '../../devices/types.js';
import { stableStringify } from '../../lut/compare.js';
import { roundCount, roundProtocol } from '../../devices/rounds.js';
import type { ReferencedResult } from '../../devices/reference.js';
import { ANCHOR_INSTANCE, ANCHOR_PROTOCOL } from '../../devices/anchor.js';
import type { Architecture } from '../core/arch.js';
import type { WeightCost } from '../predict/weight-cost.js';
import { connectRedis, parseRedisUrl, within } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import {
  JOB_SUPPORTS,
  JOB_TIME,
  JOB_WEIGHT_COST,
  protocolReferenceSpec,
  recipeFor,
  referenceSpec,
  removeModelBytes,
  sha256,
  type ModelRecipe,
  type ReferenceSpec,
  storeModelBytes,
  supportsJobId,
  timeJobId,
  type SupportsResult,
  type TimeJobData,
  type WeightCostJobData,
  weightCostJobId,
} from './jobs.js';
import { describeWorker, deviceQueueName, listWorkers, matches, type WorkerRecord } from './registry.js';

export interface FarmDeviceOptions {
  redis: string;
  /** Registry name (aliases resolved by the caller). */
  device: string;
  /** Device options the user gave; a worker must agree on each. */
  options: DeviceOptions;
  /** Pick this fingerprint when several match. */
  fingerprint?: string;
  /** Wait this long for a matching worker before giving up (ms). Default 10 s. */
  waitMs?: number;
  /** Tries per job. Default 3. */
  attempts?: number;
  /** Weight seed of one-op models (profile's seed), so workers rebuild them instead of receiving bytes. */
  seed?: number;
  /**
   * Measure every model anew: no job a killed run left finished in Redis is collected (their ids are this run's
   * own), as a local run measures everything again (nas profile --force). Default: a resumed run collects them.
   */
  fresh?: boolean;
  log?(message: string): void;
}

export class FarmDevice implements Device {
  private readonly unsupported = new Map<string, string>();
  /** How many times time() was called per model and protocol: the round index of the next call. */
  private readonly calls = new Map<string, number>();
  /** Recipes by model hash: prefetch and the later time() of the same model build the recipe once. */
  private readonly recipes = new Map<string, ModelRecipe>();
  /** Hashes of the model bytes this coordinator put in Redis (removed by forget()). */
  private readonly stored = new Set<string>();
  /**
   * This coordinator run's own id, in every time job's data (a worker answers from memory only a job of the
   * run that queued it: src/farm/worker.ts) and in the job ids of the overhead model. The LUT keeps the overhead timed in
   * the entries' passes of the run (lut/overhead.ts), and round k of the overhead in a resumed run would
   * otherwise be the job of round k of the killed run, which timed it alone first: its finished job would
   * be collected instead of a measurement in this run's passes. Entries and nets keep ids of their content
   * and round alone, so a resumed run collects what the workers measured for a killed one, unless the run is
   * `fresh` (nas profile --force: everything measured anew, as without a farm), when every id carries it.
   */
  private readonly run = randomBytes(8).toString('hex');

  private constructor(
    readonly name: string,
    readonly worker: WorkerRecord,
    private readonly redis: Redis,
    private readonly dispatcher: Dispatcher,
    private readonly seed: number,
    private readonly fresh: boolean,
  ) {}

  /** As the workers' device: false where it never runs a model (the mock), so the models built only to be timed get zero weights (src/profile/entry-model.ts). */
  get needsWeights(): boolean | undefined {
    return this.worker.needsWeights;
  }

  /** Connects, waits for a worker that serves the asked device (at most waitMs), and opens its queue. */
  static async open(o: FarmDeviceOptions): Promise<FarmDevice> {
    const target = parseRedisUrl(o.redis);
    const redis = await connectRedis(target, { onError: o.log });
    try {
      const chosen = await waitForWorker(redis, o, target.display);
      o.log?.(`farm: measuring on ${describeWorker(chosen)}`);
      const alive = async () => (await listWorkers(redis)).filter((w) => w.fingerprint === chosen.fingerprint).length;
      const dispatcher = await Dispatcher.open(redis, deviceQueueName(chosen.fingerprint), {
        attempts: o.attempts,
        noWorkerMs: Math.max(1000, o.waitMs ?? 10_000),
        workersAlive: alive,
        noWorkerMessage: () => `no worker serving fingerprint ${chosen.fingerprint} is left in the pool at ${target.display}`,
        deviceLabel: `${o.device} on the farm`,
        log: o.log,
      });
      return new FarmDevice(o.device, chosen, redis, dispatcher, o.seed ?? 0, o.fresh === true);
    } catch (e) {
      redis.disconnect();
      throw e;
    }
  }

  async init(): Promise<DeviceInfo> {
    return structuredClone(this.worker.info);
  }

  /** What the workers said about this instance in prefetch's question; true when it was not asked. */
  supports(inst: OpInstance): true | string {
    return this.unsupported.get(opKey(inst)) ?? true;
  }

  /** Asks a worker which of `instances` the device cannot run (one job, no measuring), so supports() answers exactly. */
  async askSupport(instances: readonly OpInstance[]): Promise<void> {
    const keys = [...new Set(instances.map(opKey))];
    if (!keys.length) return;
    const r = await this.dispatcher.submit<SupportsResult>(supportsJobId(this.worker.fingerprint, keys), JOB_SUPPORTS, { keys });
    for (const [k, why] of Object.entries(r.unsupported)) this.unsupported.set(k, why);
  }

  /**
   * Queues every round of the models without waiting (`protocol` is the whole protocol; each round is timed
   * under roundProtocol(protocol), as timeRound asks): the k-th later time() of a model gets round k's result.
   * `kept`: how many rounds of a model a killed run kept beside the LUT (lut/partial-rounds.ts); the
   * profiler takes only the rounds still missing, so the first later time() of the model gets round `kept`
   * (rounds 0..kept-1 are those kept: collected again, they would count one measurement twice), also when
   * more rounds were kept than the protocol asks for (the extra rounds of a model whose rounds disagreed:
   * the next is round `kept`, asked for when the profiler wants it).
   */
  async prefetch(models: Iterable<ModelUnderTest>, protocol: TimingProtocol, kept: (model: ModelUnderTest) => number = () => 0): Promise<number> {
    let n = 0;
    checkNoAnchor(protocol);
    const perRound = roundProtocol(protocol);
    // With a reference, each round is the job timeRound will ask for (timeWithReference); refused here, before anything is queued, when the workers cannot.
    const reference = protocol.reference !== undefined ? (this.checkReference(), protocolReferenceSpec(protocol.reference)) : undefined;
    for (const m of models) {
      const from = kept(m);
      const calls = callsKey(m, perRound, reference);
      this.calls.set(calls, Math.max(this.calls.get(calls) ?? 0, from));
      for (let k = from; k < roundCount(protocol); k++) void this.submit(m, perRound, k, reference).catch(() => undefined);
      n++;
      // Let the dispatcher send batches while recipes are being built.
      if (n % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    return n;
  }

  /** Each call is a new measurement: the k-th call for a model and protocol is job round k, after the rounds prefetch() was told were kept (rounds must not collapse into one). */
  async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    // timeRound asks for the anchor right after each round it was given (devices/anchor.ts); here that round ran on a worker.
    if (isAnchor(model, protocol)) throw anchorRefused('anchor');
    const calls = callsKey(model, protocol);
    const round = this.calls.get(calls) ?? 0;
    this.calls.set(calls, round + 1);
    return this.submit(model, protocol, round);
  }

  /**
   * A round of `model` with the timing reference interleaved (devices/reference.ts), as a local ReferenceDevice
   * times it: the worker that takes the job times `reference` beside the model in the one session its device keeps
   * for it and returns the round as timed with the reference's median; timeRound scales it to the LUT's R and β
   * here. Each call is a new round, counted apart from rounds without a reference.
   */
  async timeWithReference(model: ModelUnderTest, protocol: TimingProtocol, reference: ModelUnderTest, warmRuns?: number): Promise<ReferencedResult> {
    this.checkReference();
    const spec = referenceSpec(reference, warmRuns);
    const calls = callsKey(model, protocol, spec);
    const round = this.calls.get(calls) ?? 0;
    this.calls.set(calls, round + 1);
    const r = (await this.submit(model, protocol, round, spec)) as Partial<ReferencedResult> & TimingResult;
    // A worker of an older hw-nas on the same queue ignores the reference: its round cannot be scaled.
    if (!(typeof r.referenceMs === 'number' && r.referenceMs > 0))
      throw new UserError(`a worker of fingerprint ${this.worker.fingerprint} returned '${model.key}' without the timing reference's reading: it runs an older hw-nas`, {
        hint: 'run every worker of the pool from this hw-nas version, or measure with --reference off',
      });
    return r as ReferencedResult;
  }

  /** Refuses a protocol with a reference where the chosen workers cannot interleave one (one message, naming the fix). */
  private checkReference(): void {
    const can = this.worker.interleavesReference;
    if (can === true) return;
    throw new UserError(
      `the farm's workers of fingerprint ${this.worker.fingerprint} (${this.name}) cannot time a timing reference beside the models: ${can === false ? `device ${this.worker.device} cannot interleave one` : 'they run an older hw-nas'}`,
      {
        hint:
          can === false
            ? 'measure with --reference off (nas verify follows its LUT: verify a LUT profiled with a reference without --redis)'
            : 'start the workers from this hw-nas version, or measure with --reference off',
      },
    );
  }

  private async submit(model: ModelUnderTest, protocol: TimingProtocol, round: number, reference?: ReferenceSpec): Promise<TimingResult> {
    const sha = sha256(model.onnx);
    let recipe = this.recipes.get(sha);
    if (!recipe) this.recipes.set(sha, (recipe = recipeFor(model, this.seed, this.needsWeights === false)));
    if (recipe.build.kind === 'bytes' && !this.stored.has(recipe.sha)) {
      await storeModelBytes(this.redis, recipe, model);
      this.stored.add(recipe.sha);
    }
    const data: TimeJobData = { model: recipe, protocol, run: this.run, ...(reference ? { reference } : {}) };
    const own = this.fresh || recipe.build.kind === 'overhead';
    const id = timeJobId(this.worker.fingerprint, protocol, recipe.sha, round, own ? this.run : undefined, reference);
    return this.dispatcher.submit<TimingResult>(id, JOB_TIME, data);
  }

  /**
   * The calibration's weight cost (src/predict/weight-cost.ts) profiled on a worker, where the LUT's entries are
   * timed (src/profile/calibration-weight-cost.ts): a job of this run on the device's queue, which holds one of
   * the worker's slots while it runs. Refused, with the reason, where the workers cannot measure it.
   */
  async measureWeightCost(archs: readonly Architecture[], n: number): Promise<WeightCost & { where?: string }> {
    if (this.worker.measuresWeightCost !== true)
      throw new UserError(
        this.worker.measuresWeightCost === false
          ? `the farm's workers of fingerprint ${this.worker.fingerprint} (${this.name}) have no weight cost to measure: only onnxruntime-node's CPU provider and wasm, at 1 thread and level all`
          : `the farm's workers of fingerprint ${this.worker.fingerprint} run an older hw-nas, which does not measure the weight cost on the worker`,
        { hint: 'start the workers from this hw-nas version' },
      );
    const data: WeightCostJobData = { archs: archs.slice(0, n), n, run: this.run };
    return this.dispatcher.submit<WeightCost & { where?: string }>(weightCostJobId(this.worker.fingerprint, data), JOB_WEIGHT_COST, data);
  }

  /** Removes the collected jobs from Redis: call once their results are saved (after the run succeeded). */
  async forget(): Promise<void> {
    await this.dispatcher.forget();
    if (this.stored.size) await removeModelBytes(this.redis, [...this.stored]);
    this.stored.clear();
  }

  async dispose(): Promise<void> {
    await within(this.dispatcher.close(), 5000);
    await within(this.redis.quit(), 1000);
    this.redis.disconnect();
  }
}

/** Whether timeRound asks for the anchor (devices/anchor.ts): its conv under its protocol. */
function isAnchor(model: ModelUnderTest, protocol: TimingProtocol): boolean {
  return model.key === ANCHOR_KEY && stableStringify(protocol) === stableStringify(ANCHOR_PROTOCOL);
}
const ANCHOR_KEY = opKey(ANCHOR_INSTANCE);

/**
 * Refuses a protocol with an anchor (protocol.anchor, anchorGate): the anchor tells how fast the runtime's kernels
 * ran right after a round, on the machine that timed it. On a farm the round is a job on a worker and the anchor
 * another job, timed later, perhaps on another worker: its reading would say nothing about the round.
 */
function checkNoAnchor(protocol: TimingProtocol): void {
  if (protocol.anchor || protocol.anchorGate !== undefined) throw anchorRefused(protocol.anchorGate !== undefined ? 'anchorGate' : 'anchor');
}

const anchorRefused = (field: string) =>
  new UserError(`a farm cannot time the anchor (protocol ${field}): it must run right after each round on the machine that timed it, and a farm's rounds are jobs on its workers`, {
    hint: 'measure this protocol without --redis, or with a protocol without the anchor (nas verify follows its LUT: verify a LUT profiled with an anchor without --redis)',
  });

/** The key of FarmDevice.calls: a model under a protocol, with or without a reference. */
const callsKey = (model: ModelUnderTest, protocol: TimingProtocol, reference?: ReferenceSpec) =>
  `${sha256(model.onnx)}\n${stableStringify(protocol)}${reference ? `\n${reference.name} ${reference.warmRuns ?? ''}` : ''}`;

async function waitForWorker(redis: Redis, o: FarmDeviceOptions, where: string): Promise<WorkerRecord> {
  const deadline = Date.now() + (o.waitMs ?? 10_000);
  for (;;) {
    const all = await listWorkers(redis);
    const fitting = all.filter((w) => matches(w, o.device, o.options) && (!o.fingerprint || w.fingerprint.startsWith(o.fingerprint)));
    const fingerprints = [...new Set(fitting.map((w) => w.fingerprint))];
    if (fingerprints.length === 1) return fitting[0];
    if (fingerprints.length > 1) {
      const lines = fingerprints.map((fp) => `  ${describeWorker(fitting.find((w) => w.fingerprint === fp)!)}`);
      throw new UserError(`workers of ${fingerprints.length} different devices serve '${o.device}' at ${where}; one LUT must come from one:\n${lines.join('\n')}`, {
        hint: 'pick one with --fingerprint HASH (a prefix is enough), or narrow it with device options (--threads, --device-opt …)',
      });
    }
    if (Date.now() >= deadline) {
      const seen = all.length ? `workers in the pool:\n${[...new Map(all.map((w) => [w.fingerprint, w])).values()].map((w) => `  ${describeWorker(w)}`).join('\n')}` : 'no worker is in the pool';
      throw new DeviceUnavailableError(`${o.device} on the farm`, `no worker serves it at ${where} (${seen})`, {
        hint: `start one on the device's machine: nas worker --redis URL --device ${o.device}${Object.entries(o.options)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` --device-opt ${k}=${v}`)
          .join('')}`,
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
