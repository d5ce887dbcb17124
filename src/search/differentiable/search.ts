/**
 * `fbnet` and `proxyless`: differentiable architecture search on a layer-wise space (mbv2, fbnet, …). The supernet
 * (every candidate of every layer, supernet.ts) and the architecture logits α (alpha.ts) are trained
 * together, alternating steps:
 *
 *   weight step   on a batch of the weight split: SGD on the candidates' weights (the training settings'
 *                 optimizer, cosine rate); FBNet runs every candidate mixed by a Gumbel-softmax sample,
 *                 ProxylessNAS one path per layer drawn from softmax(α)
 *   α step        on a batch of the held-out α split (after the warm-up epochs): Adam on α for
 *                 L = form(CE, LAT) (latency-term.ts; LAT from the LUT through LayerLatencyTable)
 *
 * After each search epoch the argmax architecture is derived, its latency predicted from the LUT
 * (ctx.latency) and its accuracy measured with the weights it inherits from the supernet, BatchNorm
 * recalibrated on the weight split, on the validation images (no stand-alone training). Those epochs'
 * architectures are the history, their non-dominated set the front (an architecture derived again counts with
 * its latest measurement), `best` its most accurate member within --target-ms (derivedFront).
 *
 * Data: ctx.training (the command's --train-* flags): the training part of prepare() is split 80/20 into
 * the weight and α splits (FBNet's split), the validation part only measures. Checkpoints (weights, α,
 * both optimizers' state, the history) are written every epoch to `<out>.supernet.ckpt`; a killed
 * search resumes from the last one and continues exactly as the uninterrupted run would.
 */
import { existsSync, rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { layerwiseView, notLayerwise } from '../../core/layerwise.js';
import type { SearchSpace } from '../../core/space.js';
import { letSignalsIn } from '../../core/interrupt.js';
import { Rng } from '../../core/rng.js';
import { batchesPerEpoch, batchIndices, epochOrder, gatherBatch } from '../../data/batches.js';
import type { Samples } from '../../data/types.js';
import { useTrainingBackend } from '../../train/backend.js';
import { softmaxCrossEntropy } from '../../train/loss.js';
import { cosineLr, Optimizer, optimizerConfig } from '../../train/optimizer.js';
import { CandidateTable, checkSharing } from '../../train/supernet/candidates.js';
import { dataSettings, loadTrainingData } from '../../train/train-evaluator.js';
import { evaluate, recalibrate } from '../../train/trainer.js';
import { expectedLatency, LayerLatencyTable, sampledLatency } from '../loss/index.js';
import { bestWithin, paretoFront } from '../pareto.js';
import type { Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { ArchParams, gumbelAlphaGrad, rescaleTwoPaths, samplePath, sampleTwoPaths, twoPathAlphaGrad, type TwoPaths } from './alpha.js';
import { latencyLossGrads, type LatencyTerm } from './latency-term.js';
import { resumeOrStart, searchIdentity } from './search-checkpoint.js';
import { MixedSupernet } from './supernet.js';
import { resolveSettings, TAU_DECAY, type DifferentiableSettings, type DifferentiableStrategy } from './settings.js';

export interface DifferentiableOptions extends Partial<DifferentiableSettings> {
  /** Fraction of the training images the α steps use (default 0.2). */
  archSplit?: number;
  /** Checkpoint file; default `<--out>.supernet.ckpt` when the search command gives --out, else none. */
  checkpointFile?: string;
  /** Training images BatchNorm is recalibrated on before a derived architecture is measured (default 512). */
  recalibrationImages?: number;
  /** Called after each epoch (tests, benchmarks). */
  onEpoch?(e: EpochStats): void;
}

export interface EpochStats {
  epoch: number;
  /** False during the warm-up epochs. */
  search: boolean;
  /** Mean cross-entropy of the weight steps. */
  weightLoss: number;
  /** Mean latency-aware loss of the α steps (NaN in warm-up). */
  archLoss: number;
  /** E[LAT] under softmax(α) at the end of the epoch, ms, from the layer table the loss uses. */
  expectedMs: number;
  /** The argmax architecture's latency from the LUT predictor (ctx.latency: what the result reports), ms. */
  argmaxMs: number;
  choices: number[];
  tau?: number;
  /** Validation accuracy of the derived architecture (search epochs). */
  accuracy?: number;
}

interface Split {
  weights: Samples;
  arch: Samples;
  validation: Samples;
}

function subset(s: Samples, start: number, end: number): Samples {
  const per = s.height * s.width * s.channels;
  return { ...s, count: end - start, x: s.x.subarray(start * per, end * per), labels: s.labels.subarray(start, end) };
}

/** A 32-bit seed for the random draws of step `step`, stream `stream`. */
function stepSeed(seed: number, step: number, stream: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + Math.imul(step + 1, 0x85ebca77) + Math.imul(stream, 0xc2b2ae3d)) >>> 0;
}

function oneHot(n: number, i: number): number[] {
  return Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
}

/**
 * The front and best of the derived architectures (`history`, in epoch order): best by the rule of every
 * strategy (pareto.ts bestWithin), so a member of the front, not simply the last epoch's architecture.
 */
export function derivedFront(history: readonly Candidate[], targetMs?: number): { front: Candidate[]; best?: Candidate } {
  // One entry per distinct architecture for the front: its latest measurement (the most trained weights).
  const latest = new Map(history.map((c) => [c.encoding.join(','), c]));
  const front = paretoFront([...latest.values()].map((c) => ({ c, accuracy: c.accuracy, latencyMs: c.latency.ms }))).map((p) => p.c);
  return { front, best: bestWithin(front, targetMs) };
}

export class DifferentiableSearch implements Searcher {
  constructor(
    readonly name: DifferentiableStrategy,
    private readonly opts: DifferentiableOptions = {},
  ) {}

  /**
   * A layer-wise space (src/core/layerwise.ts: one decision per searchable layer, at most one for the head,
   * layer shapes fixed), checked before the LUT is read; another space is refused naming why and what runs on it.
   */
  checkSpace(space: SearchSpace): void {
    const instead = `on space '${space.id}' use --strategy evolution, nsga2, random or mnasnet${space.id === 'darts' ? ', or --strategy darts (differentiable, on its cells)' : ''}`;
    layerwiseView(space, { refuse: (why) => notLayerwise(space.id, `so --strategy ${this.name} has no layers to mix`, why, instead) });
  }

  async run(ctx: SearchContext): Promise<SearchResult> {
    const s = resolveSettings(this.name, this.opts, ctx.args);
    // The supernet's weights: own per option (default) or nested slices of one largest kernel per layer.
    const sharing = checkSharing(String(ctx.args?.supernetSharing ?? 'independent'));
    const training = ctx.training ?? {};
    const archSplit = this.opts.archSplit ?? 0.2;
    if (!(archSplit > 0 && archSplit < 1)) throw new UserError(`${this.name}: the α split must be a fraction in (0, 1), got ${archSplit}`);
    if (!ctx.lutFile)
      throw new UserError(`--strategy ${this.name} needs the latency table itself: give the latency as --lut FILE`, {
        hint: `make one with: nas profile --device cpu --space ${ctx.space.id} --resolution ${ctx.space.resolution} --out cpu.lut.json`,
      });
    const { readLut } = await import('../../../lut/store.js');
    const lut = readLut(ctx.lutFile);
    const table = LayerLatencyTable.fromLut(lut, ctx.space);
    const fastest = table.latencyOf(table.ms.map((row) => row.indexOf(Math.min(...row))));
    if (!(fastest > 0)) throw new UserError(`the fastest network of LUT ${ctx.lutFile} takes ${fastest} ms; a latency loss needs positive latencies`);
    if (ctx.targetMs !== undefined && s.latencyLoss === 'proxyless-mul' && ctx.targetMs <= fastest / 2)
      throw new UserError(`--target-ms ${ctx.targetMs} is under half the fastest network of the space (${fastest.toFixed(4)} ms), where the proxyless-mul loss has no log`, {
        hint: `give a target above ${fastest.toFixed(4)} ms (the fastest network)`,
      });
    const counts = table.ms.map((row) => row.length);
    // Without a target the proxyless forms are relative to the expected latency of the uniform start.
    const uniformMs = table.constantMs + table.ms.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0) / row.length, 0);
    const term: LatencyTerm = { kind: s.latencyLoss, weight: s.latencyWeight, targetMs: ctx.targetMs ?? uniformMs, unitMs: fastest / 2 };

    const backend = await useTrainingBackend(training.backend ?? 'auto');
    const seed = training.seed ?? ctx.seed;
    const batch = training.batchSize ?? 64;
    const { data, source } = loadTrainingData({ ...training, seed });
    const dataset = dataSettings({ ...training, seed });
    const nArch = Math.round(archSplit * data.train.count);
    const split: Split = { weights: subset(data.train, 0, data.train.count - nArch), arch: subset(data.train, data.train.count - nArch, data.train.count), validation: data.validation };
    const perEpoch = batchesPerEpoch(split.weights.count, batch, true);
    const perArchEpoch = batchesPerEpoch(split.arch.count, batch, true);
    if (!Number.isInteger(batch) || batch < 2) throw new UserError(`--train-batch must be a whole number ≥ 2 (BatchNorm needs it), got ${batch}`);
    if (perEpoch === 0 || perArchEpoch === 0)
      throw new UserError(`${data.train.count} training images split ${split.weights.count}/${split.arch.count} (weights/α) do not fill a batch of ${batch} each`, {
        hint: 'raise --train-images or lower --train-batch',
      });
    const epochs = s.warmupEpochs + s.searchEpochs;
    const total = epochs * perEpoch;
    const weightConfig = optimizerConfig(training.optimizer);
    // Adam for α as in both papers (FBNet: lr 0.01; ProxylessNAS: β1 = 0).
    const archConfig = optimizerConfig({ kind: 'adam', lr: s.archLr, weightDecay: 0, beta1: this.name === 'proxyless' ? 0 : 0.9 });

    const id = searchIdentity(
      {
        strategy: this.name,
        settings: s,
        term,
        archSplit,
        space: [ctx.space.id, ctx.space.resolution],
        lut: lut.id,
        data: [dataset.dataset, source, data.train.count, data.validation.count, data.train.height, dataset.downscale],
        sharing,
        seed,
        batch,
        weightConfig,
        archConfig,
      },
      this.opts.checkpointFile,
      ctx.args,
    );
    const { file } = id;

    const candidates = CandidateTable.build(ctx.space, data.train, data.train.classes, seed, sharing);
    const net = new MixedSupernet(candidates);
    const alpha = new ArchParams(counts, table.layers);
    const wOpt = new Optimizer(weightConfig, net.params());
    const aOpt = new Optimizer(archConfig, alpha.params);
    const history: Candidate[] = [];
    let step = 0;
    try {
      const started = resumeOrStart(ctx, id, { net, alpha, wOpt, aOpt }, history);
      step = started.step;

      let order: Uint32Array = new Uint32Array(0);
      let orderEpoch = -1;
      let archOrder: Uint32Array = new Uint32Array(0);
      let archOrderEpoch = -1;
      const sums = { w: 0, wn: 0, a: 0, an: 0 };
      const [h, w, c] = net.imageShape;
      const input = (b: { x: Float32Array; count: number }) => tf.tensor4d(b.x, [b.count, h, w, c]);
      const crossEntropy = (b: { x: Float32Array; labels: Uint8Array; count: number }) =>
        softmaxCrossEntropy(tf.tidy(() => net.forward(input(b), true).dataSync() as Float32Array), b.labels, net.classes);
      const diverged = (what: string, more = '') =>
        new UserError(`the ${this.name} search diverged: its ${what} step ${step + 1} of ${total} gave a loss or gradient that is not finite; nothing of that step was applied${file && existsSync(file) ? `, the last checkpoint is kept in ${file}` : ''}`, {
          hint: `lower --train-lr or --arch-lr${more}`,
        });

      while (step < total) {
        await letSignalsIn(); // Ctrl-C / SIGTERM between steps, not after the search
        const epoch = Math.floor(step / perEpoch);
        const searching = epoch >= s.warmupEpochs;
        const tau = s.tau * TAU_DECAY ** Math.max(0, epoch - s.warmupEpochs);
        if (epoch !== orderEpoch) {
          order = epochOrder(split.weights.count, seed, epoch);
          orderEpoch = epoch;
          Object.assign(sums, { w: 0, wn: 0, a: 0, an: 0 });
        }
        // Weight step.
        const wb = gatherBatch(split.weights, batchIndices(order, batch, step % perEpoch));
        const rngW = new Rng(stepSeed(seed, step, 1));
        if (this.name === 'fbnet') alpha.gumbelWeights(tau, rngW).forEach((m, l) => net.mixed[l].configure(m));
        else alpha.values().forEach((v, l) => net.mixed[l].configure(oneHot(v.length, samplePath(v, rngW))));
        const r = crossEntropy(wb);
        if (!Number.isFinite(r.loss)) {
          net.cancelStep();
          throw diverged('weight');
        }
        tf.tidy(() => void net.backward(tf.tensor2d(r.grad, [wb.count, net.classes])));
        wOpt.apply(cosineLr(weightConfig.lr, step, total));
        sums.w += r.loss;
        sums.wn++;

        // Architecture step.
        if (searching) {
          const k = step - s.warmupEpochs * perEpoch;
          const archEpoch = Math.floor(k / perArchEpoch);
          if (archEpoch !== archOrderEpoch) {
            archOrder = epochOrder(split.arch.count, seed ^ 0x51ed27, archEpoch);
            archOrderEpoch = archEpoch;
          }
          const ab = gatherBatch(split.arch, batchIndices(archOrder, batch, k % perArchEpoch));
          const loss = this.archStep(net, alpha, aOpt, table, term, tau, stepSeed(seed, step, 2), ab, crossEntropy);
          if (!Number.isFinite(loss)) throw diverged('architecture', ', or raise --train-batch (BatchNorm over a few values overflows)');
          sums.a += loss;
          sums.an++;
        }
        step++;

        if (step % perEpoch === 0) {
          const choices = alpha.argmax();
          const stats: EpochStats = {
            epoch,
            search: searching,
            weightLoss: sums.w / sums.wn,
            archLoss: sums.an ? sums.a / sums.an : NaN,
            expectedMs: tf.tidy(() => expectedLatency(table, alpha.tensors).dataSync()[0]),
            argmaxMs: ctx.latency.latency(ctx.space.build(choices)).ms,
            choices,
            tau: this.name === 'fbnet' ? tau : undefined,
          };
          if (searching) {
            const cand = this.derive(ctx, net, choices, split, batch);
            stats.accuracy = cand.accuracy;
            history.push(cand);
          }
          started.save(step);
          this.opts.onEpoch?.(stats);
          ctx.onProgress?.({
            done: epoch + 1,
            total: epochs,
            best: history[history.length - 1],
            message:
              `${this.name} epoch ${epoch + 1}/${epochs}${searching ? '' : ' (warm-up)'}: weight loss ${stats.weightLoss.toFixed(3)}` +
              (searching ? `, arch loss ${stats.archLoss.toFixed(3)}` : '') +
              `, E[LAT] ${stats.expectedMs.toFixed(3)} ms (layer table), argmax ${stats.argmaxMs.toFixed(3)} ms (LUT predictor)` +
              (stats.accuracy === undefined ? '' : `, accuracy ${stats.accuracy.toFixed(2)}%`) +
              (stats.tau === undefined ? '' : `, τ ${stats.tau.toFixed(2)}`) +
              ` (${backend.name})`,
          });
        }
      }
    } finally {
      wOpt.dispose();
      aOpt.dispose();
      alpha.dispose();
      net.dispose();
    }
    if (file) rmSync(file, { force: true });
    const { front, best } = derivedFront(history, ctx.targetMs);
    const last = history[history.length - 1];
    const summary = last
      ? `${this.name}: ${history.length} search epoch(s); the last epoch's argmax architecture ${last.accuracy.toFixed(2)}% (inherited weights) at ${last.latency.ms.toFixed(3)} ms predicted`
      : `${this.name}: no search epoch ran`;
    return { strategy: this.name, front, history, best, summary };
  }

  /** One α update; returns the latency-aware loss. */
  private archStep(
    net: MixedSupernet,
    alpha: ArchParams,
    aOpt: Optimizer,
    table: LayerLatencyTable,
    term: LatencyTerm,
    tau: number,
    seed: number,
    b: { x: Float32Array; labels: Uint8Array; count: number },
    crossEntropy: (b: { x: Float32Array; labels: Uint8Array; count: number }) => { loss: number; grad: Float32Array },
  ): number {
    const before = alpha.values();
    let gates: number[][] = [];
    let paths: TwoPaths[] = [];
    if (this.name === 'fbnet') {
      gates = alpha.gumbelWeights(tau, new Rng(seed));
      gates.forEach((m, l) => net.mixed[l].configure(m, { gateGrads: true }));
    } else {
      const rng = new Rng(seed);
      paths = before.map((v) => sampleTwoPaths(v, rng));
      paths.forEach((p, l) => net.mixed[l].configure(oneHot(before[l].length, p.active), { probes: [p.inactive], gateGrads: true }));
    }
    const r = crossEntropy(b);
    if (!Number.isFinite(r.loss)) {
      net.cancelStep();
      return r.loss;
    }
    tf.tidy(() => void net.backward(tf.tensor2d(r.grad, [b.count, net.classes]), { to: 'mixed' }));
    // The weights' gradients of this step are not applied (α steps train α only).
    for (const p of net.params()) p.clearGrad();
    const dCeDAlpha = net.mixed.map((op, l) => {
      const g = op.takeGateGrads();
      if (this.name === 'fbnet') return gumbelAlphaGrad(gates[l], gates[l].map((_, i) => g.get(i) ?? 0), tau);
      return twoPathAlphaGrad(before[l].length, paths[l], g.get(paths[l].active) ?? 0, g.get(paths[l].inactive) ?? 0);
    });
    // FBNet's LAT is that of the same Gumbel sample the network ran with (same seed, same noise); ProxylessNAS's the expectation.
    const latency = (a: tf.Tensor1D[]) => (this.name === 'fbnet' ? sampledLatency(table, a, { tau, rng: new Rng(seed) }) : expectedLatency(table, a));
    const lg = latencyLossGrads(term, r.loss, alpha.tensors, latency);
    const grads = dCeDAlpha.map((row, l) => row.map((v, i) => lg.dCe * v + lg.dAlpha[l][i]));
    // Tiny batches through 1x1 BatchNorms (deep layers of small images) can overflow in the backward pass.
    if (!grads.flat().every(Number.isFinite)) return NaN;
    alpha.setGrads(grads);
    aOpt.apply(aOpt.config.lr);
    if (this.name === 'proxyless') {
      const after = alpha.values();
      tf.tidy(() => alpha.params.forEach((p, l) => p.variable.assign(tf.tensor1d(rescaleTwoPaths(before[l], after[l], paths[l])))));
    }
    return lg.loss;
  }

  /** The argmax architecture as a candidate: LUT latency, accuracy with inherited weights after BatchNorm recalibration. */
  private derive(ctx: SearchContext, net: MixedSupernet, choices: number[], split: Split, batch: number): Candidate {
    const arch = ctx.space.build(choices);
    const accuracy = net.withDerivedNetwork(choices, (derived) => {
      recalibrate(derived, split.weights, this.opts.recalibrationImages ?? 512, batch);
      return evaluate(derived, split.validation).accuracy;
    });
    return { encoding: choices, name: arch.name, accuracy, latency: ctx.latency.latency(arch) };
  }
}
