/**
 * `--strategy darts --space darts`: DARTS (Liu et al., ICLR 2019), optionally hardware-aware. The search
 * network (darts-supernet.ts: every edge of both cell types a softmax mixture of the 8 ops) and α (28 × 8
 * logits, alpha.ts) are trained alternately, one step each per batch, as in the paper's Algorithm 1:
 *
 *   α step   on a batch of the validation split: Adam on α (lr --arch-lr, β = (0.5, 0.999)) with the
 *            first-order or unrolled second-order gradient of L_val (darts-step.ts), plus, with
 *            --latency-weight > 0, a latency term on the expected latency of the relaxed cells from the LUT
 *            (darts-latency.ts; the loss forms of fbnet/proxyless, latency-term.ts)
 *   w step   on a batch of the training split: the training settings' SGD (cosine rate) on the weights,
 *            every op mixed by softmax(α)
 *
 * After each search epoch the genotype is derived (darts-derive.ts: per node the top-2 edges by their
 * strongest non-zero op) as a member of the `darts` space, its latency predicted from the LUT for the
 * space's own network (what `nas export`/`nas predict` of it give) and recorded with the validation accuracy
 * of the relaxed search network (DARTS retrains the derived network from scratch: `nas train`). Those epochs'
 * genotypes are the history; the front is the last one alone (DARTS's result).
 *
 * Data: the training part of prepare() split 50/50 into the weight and α splits (the paper's split), images
 * zero-padded to a multiple of 4 px (the two reductions halve them exactly). Checkpoints (weights, α, both
 * optimizers, the history) every epoch to `<out>.supernet.ckpt`; a killed search resumes from the last one
 * and ends exactly as the uninterrupted run would.
 */
import { existsSync, rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import type { SearchSpace } from '../../core/space.js';
import { letSignalsIn } from '../../core/interrupt.js';
import { batchesPerEpoch, batchIndices, epochOrder, gatherBatch, orderedBatches } from '../../data/batches.js';
import type { Samples } from '../../data/types.js';
import { argmaxRows } from '../../train/loss.js';
import { DartsSpace } from '../../spaces/darts.js';
import { useTrainingBackend } from '../../train/backend.js';
import { cosineLr, Optimizer, optimizerConfig } from '../../train/optimizer.js';
import { dataSettings, loadTrainingData } from '../../train/train-evaluator.js';
import { expectedLatency } from '../loss/index.js';
import { bestWithin } from '../pareto.js';
import type { Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { ArchParams } from './alpha.js';
import { deriveGenotype } from './darts-derive.js';
import { dartsLatencyTable } from './darts-latency.js';
import { resolveDartsSettings, type DartsSettings } from './darts-settings.js';
import { DartsPasses, type DartsBatch } from './darts-step.js';
import { DartsSupernet, dartsEdgeNames } from './darts-supernet.js';
import { latencyLossGrads, type LatencyTerm } from './latency-term.js';
import { resumeOrStart, searchIdentity } from './search-checkpoint.js';

export interface DartsOptions extends Partial<DartsSettings> {
  /** Checkpoint file; default `<--out>.supernet.ckpt` when the search command gives --out, else none. */
  checkpointFile?: string;
  onEpoch?(e: DartsEpochStats): void;
}

export interface DartsEpochStats {
  epoch: number;
  search: boolean;
  weightLoss: number;
  /** Mean validation cross-entropy of the α steps (NaN in warm-up). */
  archLoss: number;
  /** E[LAT] of the relaxed cells, ms (darts-latency.ts). */
  expectedMs: number;
  /** The derived genotype's latency from the LUT predictor, ms. */
  derivedMs: number;
  choices: number[];
  /** Validation accuracy of the relaxed search network, %. */
  accuracy: number;
  alpha: number[][];
}

const ARCH_SPLIT = 0.5;

function subset(s: Samples, start: number, end: number): Samples {
  const per = s.height * s.width * s.channels;
  return { ...s, count: end - start, x: s.x.subarray(start * per, end * per), labels: s.labels.subarray(start, end) };
}

/** Images zero-padded (centred) to height and width multiples of 4. */
export function padToMultipleOf4(s: Samples): Samples {
  const [h, w] = [Math.ceil(s.height / 4) * 4, Math.ceil(s.width / 4) * 4];
  if (h === s.height && w === s.width) return s;
  const [top, left] = [Math.floor((h - s.height) / 2), Math.floor((w - s.width) / 2)];
  const c = s.channels;
  const x = new Float32Array(s.count * h * w * c);
  for (let i = 0; i < s.count; i++)
    for (let y = 0; y < s.height; y++) {
      const src = ((i * s.height + y) * s.width) * c;
      x.set(s.x.subarray(src, src + s.width * c), ((i * h + y + top) * w + left) * c);
    }
  return { ...s, height: h, width: w, x };
}

export class DartsSearch implements Searcher {
  readonly name = 'darts';

  constructor(private readonly opts: DartsOptions = {}) {}

  checkSpace(space: SearchSpace): asserts space is DartsSpace {
    if (!(space instanceof DartsSpace)) throw new UserError(`--strategy darts searches the DARTS cell space, not '${space.id}'`, { hint: 'use --space darts' });
  }

  async run(ctx: SearchContext): Promise<SearchResult> {
    const space = ctx.space;
    this.checkSpace(space);
    const s = resolveDartsSettings(this.opts, ctx.args);
    if (!ctx.lutFile)
      throw new UserError('--strategy darts needs the latency table itself: give the latency as --lut FILE', {
        hint: `make one with: nas profile --device cpu --space darts --resolution ${space.resolution} --out cpu.lut.json`,
      });
    const { readLut } = await import('../../../lut/store.js');
    const lut = readLut(ctx.lutFile);
    const table = dartsLatencyTable(lut, space);
    const fastest = table.latencyOf(table.ms.map((row) => row.indexOf(Math.min(...row))));
    const uniformMs = table.constantMs + table.ms.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0) / row.length, 0);
    const term: LatencyTerm = { kind: s.latencyLoss, weight: s.latencyWeight, targetMs: ctx.targetMs ?? uniformMs, unitMs: fastest / 2 };

    const training = ctx.training ?? {};
    const backend = await useTrainingBackend(training.backend ?? 'auto');
    const seed = training.seed ?? ctx.seed;
    const batch = training.batchSize ?? 64;
    if (!Number.isInteger(batch) || batch < 2) throw new UserError(`--train-batch must be a whole number ≥ 2 (BatchNorm needs it), got ${batch}`);
    const { data, source } = loadTrainingData({ ...training, seed });
    const dataset = dataSettings({ ...training, seed });
    const train = padToMultipleOf4(data.train);
    const validation = padToMultipleOf4(data.validation);
    const nArch = Math.round(ARCH_SPLIT * train.count);
    const split = { weights: subset(train, 0, train.count - nArch), arch: subset(train, train.count - nArch, train.count) };
    const perEpoch = batchesPerEpoch(split.weights.count, batch, true);
    const perArchEpoch = batchesPerEpoch(split.arch.count, batch, true);
    if (perEpoch === 0 || perArchEpoch === 0)
      throw new UserError(`${train.count} training images split ${split.weights.count}/${split.arch.count} (weights/α) do not fill a batch of ${batch} each`, {
        hint: 'raise --train-images or lower --train-batch',
      });
    const epochs = s.warmupEpochs + s.searchEpochs;
    const total = epochs * perEpoch;
    const weightConfig = optimizerConfig(training.optimizer);
    const xi = s.order === 2 ? (s.xi ?? weightConfig.lr) : 0;
    const archConfig = optimizerConfig({ kind: 'adam', lr: s.archLr, weightDecay: 0, beta1: 0.5, beta2: 0.999 });
    const id = searchIdentity(
      {
        strategy: this.name,
        settings: s,
        xi,
        term,
        space: [space.id, space.resolution, space.cells, space.channels],
        lut: lut.id,
        data: [dataset.dataset, source, data.train.count, data.validation.count, data.train.height, dataset.downscale],
        seed,
        batch,
        weightConfig,
        archConfig,
      },
      this.opts.checkpointFile,
      ctx.args,
    );
    const { file } = id;

    const net = new DartsSupernet({ cells: s.cells, channels: s.channels, image: [train.height, train.width, train.channels], classes: train.classes, seed });
    const passes = new DartsPasses(net);
    const alpha = new ArchParams(dartsEdgeNames().map(() => 8), dartsEdgeNames());
    // DARTS starts α at 1e-3 · N(0, 1), not exactly uniform: ties between edges would otherwise go by index alone.
    // tfjs takes a seed of 0 (edge 0 at --seed 0, the default) for none and draws from Math.random: every run, and
    // every resumed run, started α differently. 0 becomes 0x5eed (= 97 · 250 + 51: no other edge's seed: 28 edges).
    tf.tidy(() => alpha.params.forEach((p, i) => p.variable.assign(tf.randomNormal([8], 0, 1e-3, 'float32', seed * 97 + i || 0x5eed))));
    const wOpt = new Optimizer(weightConfig, net.params());
    const aOpt = new Optimizer(archConfig, alpha.params);
    const history: Candidate[] = [];
    let step = 0;
    try {
      const started = resumeOrStart(ctx, id, { net, alpha, wOpt, aOpt }, history);
      step = started.step;
      const diverged = (what: string) =>
        new UserError(`the darts search diverged: its ${what} step ${step + 1} of ${total} gave a loss or gradient that is not finite; nothing of that step was applied${file && existsSync(file) ? `, the last checkpoint is kept in ${file}` : ''}`, {
          hint: 'lower --train-lr or --arch-lr, or raise --train-batch',
        });

      let order: Uint32Array = new Uint32Array(0);
      let orderEpoch = -1;
      let archOrder: Uint32Array = new Uint32Array(0);
      let archOrderEpoch = -1;
      const sums = { w: 0, wn: 0, a: 0, an: 0 };
      while (step < total) {
        await letSignalsIn();
        const epoch = Math.floor(step / perEpoch);
        const searching = epoch >= s.warmupEpochs;
        if (epoch !== orderEpoch) {
          order = epochOrder(split.weights.count, seed, epoch);
          orderEpoch = epoch;
          Object.assign(sums, { w: 0, wn: 0, a: 0, an: 0 });
        }
        const wb: DartsBatch = gatherBatch(split.weights, batchIndices(order, batch, step % perEpoch));
        // α step first, at the current weights (Algorithm 1), on a batch of the α split.
        if (searching) {
          const k = step - s.warmupEpochs * perEpoch;
          const archEpoch = Math.floor(k / perArchEpoch);
          if (archEpoch !== archOrderEpoch) {
            archOrder = epochOrder(split.arch.count, seed ^ 0x51ed27, archEpoch);
            archOrderEpoch = archEpoch;
          }
          const ab: DartsBatch = gatherBatch(split.arch, batchIndices(archOrder, batch, k % perArchEpoch));
          const loss = this.archStep(passes, alpha, aOpt, term, table, s, xi, wb, ab);
          if (!Number.isFinite(loss)) throw diverged('architecture');
          sums.a += loss;
          sums.an++;
        }
        passes.clearGrads();
        const r = passes.pass(alpha.values(), wb, false);
        if (!Number.isFinite(r.loss)) throw diverged('weight');
        wOpt.apply(cosineLr(weightConfig.lr, step, total));
        sums.w += r.loss;
        sums.wn++;
        step++;

        if (step % perEpoch === 0) {
          const values = alpha.values();
          const genotype = deriveGenotype(values);
          const choices = space.encode(genotype);
          const arch = space.build(choices);
          const stats: DartsEpochStats = {
            epoch,
            search: searching,
            weightLoss: sums.w / sums.wn,
            archLoss: sums.an ? sums.a / sums.an : NaN,
            expectedMs: tf.tidy(() => expectedLatency(table, alpha.tensors).dataSync()[0]),
            derivedMs: ctx.latency.latency(arch).ms,
            choices,
            accuracy: accuracy(passes, values, validation, batch),
            alpha: values,
          };
          if (searching) history.push({ encoding: choices, name: arch.name, accuracy: stats.accuracy, latency: ctx.latency.latency(arch) });
          started.save(step);
          this.opts.onEpoch?.(stats);
          ctx.onProgress?.({
            done: epoch + 1,
            total: epochs,
            best: history[history.length - 1],
            message:
              `darts epoch ${epoch + 1}/${epochs}${searching ? '' : ' (warm-up)'}: weight loss ${stats.weightLoss.toFixed(3)}` +
              (searching ? `, val loss ${stats.archLoss.toFixed(3)} (order ${s.order})` : '') +
              `, E[LAT] ${stats.expectedMs.toFixed(3)} ms (relaxed cells), derived ${stats.derivedMs.toFixed(3)} ms (LUT predictor)` +
              `, supernet accuracy ${stats.accuracy.toFixed(2)}% (${backend.name})`,
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
    // DARTS's result is the genotype derived at the end; the earlier epochs' are the history. Their accuracies are the
    // relaxed network's, not the derived cells', so a Pareto front over them would compare nothing real. `best` by the
    // rule of every strategy: that genotype, unless it misses --target-ms.
    const last = history[history.length - 1];
    const front = last ? [last] : [];
    const best = bestWithin(front, ctx.targetMs);
    const summary = last
      ? `darts (order ${s.order}${s.latencyWeight > 0 ? `, ${s.latencyLoss} latency term ${s.latencyWeight}` : ''}): ${history.length} search epoch(s); derived cells at ${last.latency.ms.toFixed(3)} ms predicted, search network ${last.accuracy.toFixed(2)}%; ${last.name}`
      : 'darts: no search epoch ran';
    return { strategy: this.name, front, history, best, summary };
  }

  /** One α update; returns the validation cross-entropy. */
  private archStep(passes: DartsPasses, alpha: ArchParams, aOpt: Optimizer, term: LatencyTerm, table: ReturnType<typeof dartsLatencyTable>, s: DartsSettings, xi: number, wb: DartsBatch, ab: DartsBatch): number {
    const values = alpha.values();
    const g = s.order === 2 ? passes.secondOrder(values, wb, ab, xi) : passes.firstOrder(values, ab);
    if (!Number.isFinite(g.loss)) return g.loss;
    let grads = g.grad;
    if (s.latencyWeight > 0) {
      const lg = latencyLossGrads(term, g.loss, alpha.tensors, (a) => expectedLatency(table, a));
      grads = grads.map((row, e) => row.map((v, o) => lg.dCe * v + lg.dAlpha[e][o]));
    }
    if (!grads.flat().every(Number.isFinite)) return NaN;
    alpha.setGrads(grads);
    aOpt.apply(aOpt.config.lr);
    return g.loss;
  }
}

/** Validation accuracy of the relaxed network (running statistics), %. */
function accuracy(passes: DartsPasses, alpha: number[][], s: Samples, batch: number): number {
  let correct = 0;
  for (const b of orderedBatches(s, batch)) {
    const logits = tf.tidy(() => passes.predict(alpha, tf.tensor4d(b.x, [b.count, s.height, s.width, s.channels])));
    const pred = argmaxRows(logits, passes.net.classes);
    for (let i = 0; i < b.count; i++) if (pred[i] === b.labels[i]) correct++;
  }
  return s.count ? (100 * correct) / s.count : 0;
}
