/**
 * `mnasnet`: MnasNet's reinforcement-learning search (Tan et al. 2019) over any SearchSpace.
 *
 * An LSTM controller (controller.ts) samples a batch of architectures token by token; each is built,
 * its latency comes from ctx.latency and its accuracy from ctx.evaluator; the reward is
 * ACC · (LAT/T)^w (reward.ts, ACC as a fraction: the evaluator's percentage / 100). The controller
 * is then updated by REINFORCE with a moving-average baseline and an entropy bonus, or by PPO (the
 * paper's choice: a clipped surrogate over a few epochs per batch).
 *
 * Budget: ctx.budget counts distinct architectures evaluated for accuracy. A controller that keeps
 * sampling known architectures gets their remembered accuracy for free, so the search also stops after
 * `maxSamples` samples. Vectors the space rejects get reward 0 and cost no budget.
 * Deterministic for a seed: weights start from Rng(seed), batch t samples with an Rng seeded by (seed, t).
 */
import * as tf from '@tensorflow/tfjs';
import { isUserError, UserError } from '../../core/errors.js';
import { onInterrupt } from '../../core/interrupt.js';
import { Rng } from '../../core/rng.js';
import type { Architecture } from '../../core/arch.js';
import { outranks, paretoFront } from '../pareto.js';
import { hasLimits, limitPenalty } from '../constraints.js';
import type { Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { Adam } from './adam.js';
import { Controller } from './controller.js';
import { mnasnetReward, rewardExponents, type MnasnetPreset, type RewardExponents } from './reward.js';
import { mnasnetOptionsFromArgs } from './options.js';
import { MNASNET_STATE_VERSION, parseState, type MnasnetState, type Settings } from './state.js';

export interface BatchStats {
  /** 1-based index of the controller update this batch fed. */
  step: number;
  encodings: number[][];
  rewards: number[];
  /** NaN for vectors the space rejected. */
  latencies: number[];
  baseline: number;
  loss: number;
}

export interface MnasnetOptions {
  /** Reward exponents: 'soft' (default), 'hard' or {alpha, beta}. */
  preset?: MnasnetPreset | RewardExponents;
  /** Policy-gradient method; default 'reinforce'. */
  algorithm?: 'reinforce' | 'ppo';
  /** Architectures per controller update; default 8. */
  batch?: number;
  /** Adam learning rate; default 0.01. */
  learningRate?: number;
  /** LSTM hidden size; default 32. */
  hidden?: number;
  /** Weight of the entropy bonus; default 0.001. */
  entropyWeight?: number;
  /** Baseline ← decay · baseline + (1 − decay) · mean batch reward; default 0.9. */
  baselineDecay?: number;
  /** PPO epochs per batch; default 4. */
  ppoEpochs?: number;
  /** PPO clip ε; default 0.2. */
  ppoClip?: number;
  /** Stop after this many samples even if budget is left; default 10 × budget. */
  maxSamples?: number;
  /** Save a checkpoint after this many updates (default 5), or sooner once 2 s have passed since the last save (slow evaluators lose at most one batch), and at the end. */
  checkpointEvery?: number;
  /** Called after each controller update (for traces and plots). */
  onBatch?(stats: BatchStats): void;
}

const DEFAULTS = { algorithm: 'reinforce', batch: 8, learningRate: 0.01, hidden: 32, entropyWeight: 0.001, baselineDecay: 0.9, ppoEpochs: 4, ppoClip: 0.2, checkpointEvery: 5 } as const;
const CHECKPOINT_INTERVAL_MS = 2000;

/** The controller runs on the cpu backend; whatever backend was active (an evaluator's wasm) comes back after. */
async function onCpu<T>(fn: () => T): Promise<T> {
  const previous = tf.engine().backendName as string | null;
  if (previous !== 'cpu') {
    tf.env().set('PROD', true);
    if (!(await tf.setBackend('cpu'))) throw new UserError("mnasnet search: tfjs's cpu backend failed to start");
  }
  try {
    return fn();
  } finally {
    if (previous && previous !== 'cpu') await tf.setBackend(previous);
  }
}

/** A 32-bit seed for batch `step` of a search seeded `seed`. */
function batchSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(step + 1, 0x165667b1)) >>> 0;
}

const keyOf = (encoding: readonly number[]) => encoding.join(',');

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new UserError(`mnasnet search: ${name} must be a positive integer, got ${v}`);
}

export class MnasnetSearch implements Searcher {
  readonly name = 'mnasnet';
  readonly costLimits = true;
  private readonly opts: Required<Omit<MnasnetOptions, 'maxSamples' | 'onBatch' | 'preset'>> & Pick<MnasnetOptions, 'maxSamples' | 'onBatch'>;
  private readonly exponents: RewardExponents;

  constructor(private readonly given: MnasnetOptions = {}) {
    const opts = given;
    this.opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof this.opts;
    this.exponents = rewardExponents(opts.preset ?? 'soft');
    const o = this.opts;
    if (o.algorithm !== 'reinforce' && o.algorithm !== 'ppo') throw new UserError(`mnasnet search: algorithm must be 'reinforce' or 'ppo', got '${o.algorithm}'`);
    for (const k of ['batch', 'hidden', 'ppoEpochs', 'checkpointEvery'] as const) positiveInt(k, o[k]);
    if (o.maxSamples !== undefined) positiveInt('maxSamples', o.maxSamples);
    if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new UserError(`mnasnet search: learningRate must be a finite number > 0, got ${o.learningRate}`);
    if (!(o.baselineDecay >= 0 && o.baselineDecay < 1)) throw new UserError(`mnasnet search: baselineDecay must be in [0, 1), got ${o.baselineDecay}`);
    if (!(o.ppoClip > 0 && o.ppoClip < 1)) throw new UserError(`mnasnet search: ppoClip must be in (0, 1), got ${o.ppoClip}`);
    if (!(o.entropyWeight >= 0) || !Number.isFinite(o.entropyWeight)) throw new UserError(`mnasnet search: entropyWeight must be a finite number ≥ 0, got ${o.entropyWeight}`);
  }

  async run(ctx: SearchContext): Promise<SearchResult> {
    // nas search's --rl-algorithm, --reward, --reward-w (options.ts) override what the constructor was given.
    const fromArgs = mnasnetOptionsFromArgs(ctx.args);
    if (fromArgs) return new MnasnetSearch({ ...this.given, ...fromArgs }).run({ ...ctx, args: undefined });
    const target = ctx.targetMs;
    if (target === undefined)
      throw new UserError('the mnasnet search needs a latency target: its reward ACC·(LAT/T)^w is defined relative to T', { hint: 'pass --target-ms, e.g. --target-ms 5' });
    if (!(target > 0) || !Number.isFinite(target)) throw new UserError(`latency target must be a positive number of ms, got ${target}`);
    positiveInt('budget', ctx.budget);
    const o = this.opts;
    const maxSamples = o.maxSamples ?? 10 * ctx.budget;
    const decisions = ctx.space.decisions();
    const settings: Settings = {
      seed: ctx.seed,
      space: `${ctx.space.id}@${ctx.space.resolution}`,
      decisions: decisions.map((d) => `${d.name}:${d.options.length}`).join(','),
      targetMs: target,
      alpha: this.exponents.alpha,
      beta: this.exponents.beta,
      algorithm: o.algorithm,
      batch: o.batch,
      learningRate: o.learningRate,
      hidden: o.hidden,
      entropyWeight: o.entropyWeight,
      baselineDecay: o.baselineDecay,
      ...(o.algorithm === 'ppo' ? { ppoEpochs: o.ppoEpochs, ppoClip: o.ppoClip } : {}),
    };

    const controller = new Controller(decisions, { hidden: o.hidden }, new Rng(ctx.seed));
    const adam = new Adam(controller.paramSizes, { learningRate: o.learningRate });
    const history: Candidate[] = [];
    const known = new Map<string, Candidate | null>(); // null: the space rejects it
    // Cost limits (constraints.ts): MnasNet's hard penalty per limit exceeded, 1 within them.
    const penalties = new Map<string, number>();
    const penaltyOf = (c: Candidate, arch: Architecture) => {
      if (!hasLimits(ctx.limits)) return 1;
      let p = penalties.get(keyOf(c.encoding));
      if (p === undefined) penalties.set(keyOf(c.encoding), (p = limitPenalty(arch, ctx.limits)));
      return p;
    };
    let step = 0;
    let samples = 0;
    let baseline: number | undefined;
    let best: Candidate | undefined;
    const remember = (c: Candidate, arch: Architecture) => {
      history.push(c);
      known.set(keyOf(c.encoding), c);
      if (penaltyOf(c, arch) === 1 && better(c, best, target)) best = c;
    };

    const build = (encoding: number[]): Architecture | undefined => {
      try {
        return ctx.space.build(encoding);
      } catch (e) {
        if (isUserError(e)) return undefined;
        throw e;
      }
    };
    const saved = ctx.checkpoint?.load();
    if (saved !== undefined) {
      const state = parseState(saved, settings, controller.paramSizes);
      state.params.forEach((p, i) => controller.params[i].set(p));
      adam.load(state.adam);
      ({ step, samples } = state);
      baseline = state.baseline ?? undefined;
      for (const [encoding, accuracy] of state.evaluations) {
        const arch = build(encoding);
        if (!arch) throw new UserError(`the checkpoint does not match this search: the space rejects its evaluated architecture [${encoding}]`, { hint: 'delete the checkpoint to start the search over' });
        remember({ encoding, name: arch.name, accuracy, latency: ctx.latency.latency(arch) }, arch);
      }
    }
    const save = (atSamples = samples) => {
      const state: MnasnetState = {
        version: MNASNET_STATE_VERSION,
        strategy: 'mnasnet',
        settings,
        step,
        samples: atSamples,
        baseline: baseline ?? null,
        params: controller.params.map((p) => Array.from(p)),
        adam: adam.state(),
        evaluations: history.map((c) => [c.encoding, c.accuracy]),
      };
      ctx.checkpoint?.save(state);
    };

    /** The candidate for `encoding`, evaluating it if new; null if the space rejects it, undefined once the budget is spent. */
    const candidate = async (encoding: number[]): Promise<Candidate | null | undefined> => {
      const key = keyOf(encoding);
      const hit = known.get(key);
      if (hit !== undefined) return hit;
      const arch = build(encoding);
      if (!arch) {
        known.set(key, null);
        return null;
      }
      if (history.length >= ctx.budget) return undefined;
      const latency = ctx.latency.latency(arch);
      const accuracy = await ctx.evaluator.evaluate(arch);
      if (!Number.isFinite(accuracy))
        throw new UserError(`evaluator '${ctx.evaluator.id}' returned ${accuracy} for '${arch.name}'; an accuracy must be a finite number`);
      const c: Candidate = { encoding, name: arch.name, accuracy, latency };
      remember(c, arch);
      ctx.onProgress?.({ done: history.length, total: ctx.budget, best, message: `controller update ${step + 1}` });
      return c;
    };

    let sinceSave = 0;
    let lastSave = Date.now();
    // Interrupted (Ctrl-C, SIGTERM) while a batch is being evaluated: save the state of the batch's start
    // (controller, counters) with every evaluation made so far. The resumed search samples the same batch
    // again and finds those architectures already evaluated, so none is evaluated twice. Outside that
    // phase (the controller update) the last checkpoint stands.
    let batchStart: number | undefined;
    const stopFlushing = ctx.checkpoint ? onInterrupt(() => batchStart !== undefined && save(batchStart)) : () => {};
    try {
      while (history.length < ctx.budget && samples < maxSamples) {
        const { tokens, logProbs } = await onCpu(() => controller.sample(o.batch, new Rng(batchSeed(ctx.seed, step))));
        batchStart = samples;
        const rewards: number[] = [];
        const latencies: number[] = [];
        for (const encoding of tokens) {
          if (samples >= maxSamples) break;
          const c = await candidate(encoding);
          if (c === undefined) break;
          samples++;
          latencies.push(c ? c.latency.ms : Number.NaN);
          rewards.push(c ? mnasnetReward(c.accuracy / 100, c.latency.ms, target, this.exponents) * (penalties.get(keyOf(c.encoding)) ?? 1) : 0);
        }
        batchStart = undefined;
        // A batch cut short by the budget or the sample limit ends the search without an update.
        if (rewards.length < o.batch) break;
        const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
        const reference = baseline ?? mean;
        const advantages = rewards.map((r) => r - reference);
        const loss = await onCpu(() => {
          if (o.algorithm === 'reinforce') return this.update(controller, adam, tokens, advantages, { kind: 'reinforce', entropyWeight: o.entropyWeight });
          let last = 0;
          for (let e = 0; e < o.ppoEpochs; e++)
            last = this.update(controller, adam, tokens, advantages, { kind: 'ppo', entropyWeight: o.entropyWeight, clip: o.ppoClip, oldLogProbs: logProbs });
          return last;
        });
        baseline = o.baselineDecay * reference + (1 - o.baselineDecay) * mean;
        step++;
        o.onBatch?.({ step, encodings: tokens, rewards, latencies, baseline, loss });
        if (++sinceSave >= o.checkpointEvery || Date.now() - lastSave >= CHECKPOINT_INTERVAL_MS) {
          save();
          sinceSave = 0;
          lastSave = Date.now();
        }
      }
    } finally {
      stopFlushing();
    }
    save();
    const front = paretoFront(history.map((c) => ({ c, accuracy: c.accuracy, latencyMs: c.latency.ms }))).map((p) => p.c);
    return { strategy: this.name, front, history, best };
  }

  private update(controller: Controller, adam: Adam, tokens: number[][], advantages: number[], objective: Parameters<Controller['gradients']>[2]): number {
    const { loss, grads } = controller.gradients(tokens, advantages, objective);
    adam.step(controller.params, grads);
    return loss;
  }
}

/** Within the target and more accurate than `than` (ties go to the faster). */
function better(c: Candidate, than: Candidate | undefined, targetMs: number): boolean {
  if (c.latency.ms > targetMs) return false;
  return outranks(c, than);
}
