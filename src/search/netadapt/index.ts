/**
 * `netadapt` (Yang et al., ECCV 2018): shrink a trained network to a latency target, one layer per
 * iteration. Iteration i sets the budget current − ΔR_i (ΔR_i = step · decay^(i-1) · start latency,
 * never below the target); for every prunable unit (prune.ts) it takes the largest filter count, in
 * multiples of `granularity`, whose LUT-predicted latency meets the budget (profiling the widths the
 * LUT lacks), keeps the filters with the largest L2 norm, fine-tunes a few steps and measures
 * validation accuracy; the most accurate proposal becomes the next network. It stops at the target
 * (or after `budget` iterations) and fine-tunes the last network for longer.
 *
 * The result is the trajectory: the start network, every iteration's choice and the long-tuned final
 * network (the front file's members, with their own architectures; `best` = the final one when it
 * meets the target). Each iteration is checkpointed (search checkpoint + the current weights), so a
 * killed run resumes at the last finished iteration.
 */
import { existsSync, rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import type { SearchSpace } from '../../core/space.js';
import type { Prepared } from '../../data/prepare.js';
import { useTrainingBackend } from '../../train/backend.js';
import { Network } from '../../train/nn/network.js';
import { loadTrainingData, type TrainEvaluatorOptions } from '../../train/train-evaluator.js';
import { evaluate, recalibrate, train } from '../../train/trainer.js';
import type { Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { ProfilingLut } from './latency.js';
import { netadaptOptions, type NetadaptOptions } from './options.js';
import { candidateWidths, keptFilters, prunableUnits, slicePlan, transferWeights, withWidth, type PrunableUnit } from './prune.js';
import { forData, mobilenetV2Member, startArchitecture } from './start.js';
import { loadWeights, saveWeights } from './weights.js';

export const NETADAPT_STATE_VERSION = 1;
/** Times an iteration halves its latency cut when no layer can meet the budget, before the search stops. */
export const MAX_HALVINGS = 3;

/** One point of the trajectory. */
export interface TrajectoryPoint extends Candidate {
  architecture: Architecture;
  iteration: number;
  /** The iteration's latency budget, ms (absent for the start network). */
  budgetMs?: number;
  /** What this iteration changed. */
  change?: { layer: number; kind: PrunableUnit['kind']; from: number; to: number };
  /** Every proposal of the iteration: accuracy after short-term fine-tuning and predicted latency. */
  proposals?: { layer: number; kind: PrunableUnit['kind']; from: number; to: number; accuracy: number; ms: number }[];
}

interface State {
  version: typeof NETADAPT_STATE_VERSION;
  settings: unknown;
  /** The trajectory so far (start network first); named `evaluations` for the search job. */
  evaluations: TrajectoryPoint[];
  final?: TrajectoryPoint;
}

export interface NetadaptSearchOptions extends Partial<NetadaptOptions> {
  /** Prefix of the weight files (default: the search's --out). */
  workPath?: string;
  /** Progress lines (default: stderr). */
  log?(message: string): void;
}

interface Proposal {
  unit: PrunableUnit;
  width: number;
  arch: Architecture;
  ms: number;
}

export class NetadaptSearch implements Searcher {
  readonly name = 'netadapt';
  readonly profilesMissing = true;
  constructor(private readonly given: NetadaptSearchOptions = {}) {}

  /** Without --start, the space's MobileNetV2-style member is the start network: a space without one is refused before anything is read. */
  checkSpace(space: SearchSpace, args?: Readonly<Record<string, unknown>>): void {
    if (netadaptOptions(this.given, args).start === undefined) mobilenetV2Member(space);
  }

  async run(ctx: SearchContext): Promise<SearchResult> {
    const o = netadaptOptions(this.given, ctx.args);
    const log = this.given.log ?? ((m: string) => process.stderr.write(m + '\n'));
    const target = ctx.targetMs;
    if (target === undefined) throw new UserError('netadapt needs a latency target', { hint: 'add --target-ms T (the start network\'s predicted latency is printed first)' });
    if (!ctx.lutFile) throw new UserError('netadapt predicts latency from a LUT file and adds the widths it lacks to it', { hint: 'pass --lut FILE (made by nas profile on the device to adapt for)' });
    if (ctx.evaluator.id !== 'train')
      throw new UserError(`netadapt measures accuracy by fine-tuning on the training data, not with the '${ctx.evaluator.id}' evaluator`, { hint: 'pass --evaluator train (and the training flags: --train-images, --downscale, …)' });
    const base = this.given.workPath ?? (typeof ctx.args?.out === 'string' ? ctx.args.out : undefined);
    if (!base) throw new UserError('netadapt needs a path for its weight checkpoints', { hint: 'pass --out FILE (the weights go to FILE.netadapt-*.ckpt)' });
    const training: TrainEvaluatorOptions = ctx.training ?? {};
    const batchSize = training.batchSize ?? 64;
    const files = {
      start: o.startCheckpoint ?? `${base}.start.ckpt`,
      iteration: (k: number) => `${base}.netadapt-it${k}.ckpt`,
      long: `${base}.netadapt-long.ckpt`,
      final: `${base}.netadapt.ckpt`,
    };

    const backend = await useTrainingBackend(training.backend ?? 'auto');
    const { data } = loadTrainingData(training);
    const arch0 = forData(await startArchitecture(o.start, ctx.space, log), data.train);
    const named = (arch: Architecture, suffix: string): Architecture => ({ ...arch, name: `${arch0.name}~netadapt-${suffix}` });
    const { device: _device, ...tuning } = o;
    const settings = JSON.parse(JSON.stringify({ options: tuning, training: { ...training, backend: backend.name }, start: { input: arch0.input, layers: arch0.layers }, target }));
    const saved = ctx.checkpoint?.load() as State | undefined;
    if (saved && (saved.version !== NETADAPT_STATE_VERSION || !isDeepStrictEqual(saved.settings, settings)))
      throw new UserError('the search checkpoint belongs to a netadapt run with other settings (start network, training, fine-tuning or schedule flags)', {
        hint: 'run with the same flags, or delete the checkpoint (<out>.ckpt.json) to start over',
      });
    const trajectory: TrajectoryPoint[] = [...(saved?.evaluations ?? [])];
    const save = (final?: TrajectoryPoint) => ctx.checkpoint?.save({ version: NETADAPT_STATE_VERSION, settings, evaluations: trajectory, final } satisfies State);
    if (saved?.final) return result(trajectory, saved.final, target);

    const lut = new ProfilingLut(ctx.lutFile, o.device, log);
    let net: Network | undefined;
    try {
      const measure = (n: Network): number => {
        recalibrate(n, data.train, Math.min(1024, data.train.count), batchSize);
        return evaluate(n, data.validation).accuracy;
      };
      const fineTune = (n: Network, steps: number, seed: number, checkpoint?: string) =>
        train(n, data.train, { steps, batchSize, optimizer: { ...training.optimizer, lr: o.lr }, seed, checkpoint });
      const point = (arch: Architecture, accuracy: number, iteration: number, extra: Partial<TrajectoryPoint> = {}): TrajectoryPoint => {
        const p = lut.estimate(arch);
        return { name: arch.name, encoding: [], accuracy, latency: p, architecture: arch, iteration, ...extra };
      };

      if (trajectory.length === 0) {
        const startArch = named(arch0, 'it0');
        net = await startNetwork(startArch, data, o, training, files.start, ctx.seed, batchSize, log);
        await lut.ensure([startArch]);
        trajectory.push(point(startArch, measure(net), 0));
      } else {
        const last = trajectory[trajectory.length - 1];
        net = new Network(last.architecture);
        loadWeights(files.iteration(last.iteration), net, 'delete the search checkpoint (<out>.ckpt.json) to start over');
        log(`netadapt: resumed after iteration ${last.iteration} (${last.accuracy.toFixed(2)}% at ${last.latency.ms.toFixed(3)} ms)`);
      }
      const startMs = trajectory[0].latency.ms;
      log(`netadapt: start network ${arch0.name}: ${trajectory[0].accuracy.toFixed(2)}% validation accuracy, ${startMs.toFixed(3)} ms predicted; target ${target} ms`);
      if (startMs <= target)
        throw new UserError(`the start network is predicted at ${startMs.toFixed(3)} ms, already within --target-ms ${target}`, { hint: `give a lower target, e.g. --target-ms ${(0.7 * startMs).toFixed(3)} (70%)` });
      if (!saved) {
        saveWeights(files.iteration(0), net, { iteration: 0 });
        save();
      }

      let current = trajectory[trajectory.length - 1];
      while (current.latency.ms > target && current.iteration < ctx.budget) {
        const iteration = current.iteration + 1;
        const profiledBefore = lut.measured;
        // When no single layer can give the whole cut, the iteration retries with half of it (a few times).
        let cut = o.step * o.decay ** (iteration - 1) * startMs;
        let budgetMs = Math.max(target, current.latency.ms - cut);
        let proposals = await largestWidths(lut, current.architecture, budgetMs, o.granularity);
        for (let halving = 1; proposals.length === 0 && halving <= MAX_HALVINGS; halving++) {
          log(`netadapt: iteration ${iteration}: no layer can shrink to ${budgetMs.toFixed(4)} ms; halving the cut`);
          cut /= 2;
          budgetMs = Math.max(target, current.latency.ms - cut);
          proposals = await largestWidths(lut, current.architecture, budgetMs, o.granularity);
        }
        if (proposals.length === 0) {
          log(`netadapt: iteration ${iteration}: no layer can shrink to ${budgetMs.toFixed(4)} ms; stopping`);
          break;
        }
        let best: { p: Proposal; net: Network; accuracy: number } | undefined;
        const tried: NonNullable<TrajectoryPoint['proposals']> = [];
        for (const p of proposals) {
          const arch = named(p.arch, `it${iteration}`);
          const keep = keptFilters(net, p.unit, p.width);
          const candidate = transferWeights(net, arch, slicePlan(current.architecture, p.unit), keep);
          if (o.shortSteps > 0) await fineTune(candidate, o.shortSteps, ctx.seed + iteration);
          const accuracy = measure(candidate);
          tried.push({ layer: p.unit.layer, kind: p.unit.kind, from: p.unit.width, to: p.width, accuracy, ms: p.ms });
          ctx.onProgress?.({ done: iteration - 1, total: ctx.budget, best: current, message: `iteration ${iteration}: layer ${p.unit.layer} ${p.unit.width}→${p.width}: ${accuracy.toFixed(2)}%` });
          if (!best || accuracy > best.accuracy || (accuracy === best.accuracy && p.ms < best.p.ms)) {
            best?.net.dispose();
            best = { p, net: candidate, accuracy };
          } else candidate.dispose();
        }
        net.dispose();
        net = best!.net;
        const { p } = best!;
        current = point(net.arch, best!.accuracy, iteration, { budgetMs, change: { layer: p.unit.layer, kind: p.unit.kind, from: p.unit.width, to: p.width }, proposals: tried });
        trajectory.push(current);
        saveWeights(files.iteration(iteration), net, { iteration });
        save();
        rmSync(files.iteration(iteration - 1), { force: true });
        log(
          `netadapt: iteration ${iteration}: budget ${budgetMs.toFixed(3)} ms, ${lut.measured - profiledBefore} widths profiled, ${proposals.length} proposals; layer ${p.unit.layer} (${p.unit.kind}) ${p.unit.width}→${p.width}: ` +
            `${current.accuracy.toFixed(2)}% at ${current.latency.ms.toFixed(3)} ms`,
        );
        ctx.onProgress?.({ done: iteration, total: ctx.budget, best: current });
      }
      if (current.latency.ms > target) log(`netadapt: stopped at ${current.latency.ms.toFixed(3)} ms, above the target ${target} ms (budget of ${ctx.budget} iterations or no layer left to shrink)`);

      const finalArch = named(current.architecture, 'final');
      const tuned = new Network(finalArch);
      try {
        loadWeights(files.iteration(current.iteration), tuned, 'delete the search checkpoint (<out>.ckpt.json) to start over', current.architecture.name);
        if (o.longSteps > 0) {
          log(`netadapt: long-term fine-tuning, ${o.longSteps} steps`);
          await fineTune(tuned, o.longSteps, ctx.seed + 1_000_003, files.long);
        }
        const final = point(finalArch, measure(tuned), current.iteration);
        saveWeights(files.final, tuned, { iteration: 'final' });
        save(final);
        for (const t of trajectory) rmSync(files.iteration(t.iteration), { force: true });
        rmSync(files.long, { force: true });
        log(`netadapt: final network: ${final.accuracy.toFixed(2)}% at ${final.latency.ms.toFixed(3)} ms predicted (start ${trajectory[0].accuracy.toFixed(2)}% at ${startMs.toFixed(3)} ms); weights in ${files.final}`);
        return result(trajectory, final, target);
      } finally {
        tuned.dispose();
      }
    } finally {
      net?.dispose();
      await lut.dispose();
    }
  }
}

/** The trajectory as a search result: history = every point, front = start, iterations and the final network in place of the last one. */
function result(trajectory: readonly TrajectoryPoint[], final: TrajectoryPoint, target: number): SearchResult {
  const front = [...trajectory.slice(0, trajectory.length > 1 ? -1 : undefined), final].sort((a, b) => a.latency.ms - b.latency.ms);
  const iterations = trajectory[trajectory.length - 1].iteration;
  const reached = final.latency.ms <= target;
  const summary = `netadapt: ${iterations} iteration(s), ${final.latency.ms.toFixed(3)} ms predicted from ${trajectory[0].latency.ms.toFixed(3)} ms: target ${target} ms ${reached ? 'met' : 'not met'}`;
  return { strategy: 'netadapt', front, history: [...trajectory, final], best: reached ? final : undefined, summary };
}

/** The trained start network: from --start-checkpoint when it holds one, else trained (resuming its own checkpoint). */
async function startNetwork(
  arch: Architecture,
  data: Prepared,
  o: NetadaptOptions,
  training: TrainEvaluatorOptions,
  checkpoint: string,
  seed: number,
  batchSize: number,
  log: (m: string) => void,
): Promise<Network> {
  const net = new Network(arch, { seed });
  try {
    if (o.startCheckpoint && existsSync(o.startCheckpoint)) {
      log(`netadapt: start weights from ${o.startCheckpoint} (not trained here)`);
      loadWeights(o.startCheckpoint, net, `--start-checkpoint must hold the weights of the start network (${arch.name}), e.g. written by an earlier netadapt run`);
      return net;
    }
    log(`netadapt: training the start network for ${o.startEpochs} epoch(s) (checkpoint ${checkpoint})`);
    await train(net, data.train, { epochs: o.startEpochs, batchSize, optimizer: training.optimizer, warmupSteps: training.warmupSteps, seed, checkpoint });
    return net;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/**
 * For every prunable unit of `arch`, the largest candidate width whose predicted latency meets
 * `budgetMs`. Widths are tried largest first, all units together, profiling each round's missing
 * entries in one go, so only the widths that are needed are measured. A unit is only searched when
 * its smallest width meets the budget (the smallest width is taken as the fastest: a unit whose LUT
 * entries are not monotone might, rarely, meet the budget at a larger width and be missed).
 */
export async function largestWidths(lut: ProfilingLut, arch: Architecture, budgetMs: number, granularity: number): Promise<Proposal[]> {
  let pending = prunableUnits(arch).map((unit) => ({ unit, widths: candidateWidths(unit, granularity), at: 0 })).filter((p) => p.widths.length > 0);
  // A unit that misses the budget even at its smallest width is left out without profiling the widths between.
  const smallest = pending.map((p) => withWidth(arch, p.unit, p.widths[p.widths.length - 1]));
  await lut.ensure(smallest, false);
  pending = pending.filter((_, i) => lut.ms(smallest[i]) <= budgetMs);
  const found: Proposal[] = [];
  while (pending.length) {
    const archs = pending.map((p) => withWidth(arch, p.unit, p.widths[p.at]));
    await lut.ensure(archs, false);
    const next: typeof pending = [];
    pending.forEach((p, i) => {
      const ms = lut.ms(archs[i]);
      if (ms <= budgetMs) found.push({ unit: p.unit, width: p.widths[p.at], arch: archs[i], ms });
      else if (++p.at < p.widths.length) next.push(p);
    });
    pending = next;
  }
  return found.sort((a, b) => a.unit.layer - b.unit.layer);
}
