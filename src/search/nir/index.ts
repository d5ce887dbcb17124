/**
 * `nir`: layer assignment search guided by the neural inheritance relation (Meng, Chen, Xie, Zhang, Pu,
 * "Neural Inheritance Relation Guided One-Shot Layer Assignment Search", AAAI 2020). The paper finds that
 * the best layer assignment of a deeper network inherits from the best ones of shallower networks, and
 * searches from shallow to deep:
 *
 *   level 0   the shallowest assignment (each stage at its fewest layers) is trained as the first supernet;
 *   level L   the children of the kept assignments (one more layer in one stage) that meet the budget
 *             (--max-macs/--max-params/--max-activations, --target-ms on the latency source) inherit the
 *             trained layers (the depth supernet shares them; an added layer starts as identity), the level's
 *             supernet is trained briefly by sampling one child per step (inherited sampling), every child is
 *             scored (BatchNorm recalibrated, validation top-1) and the best `keep` are kept;
 *   stop      when no child fits the budget, every stage is at its maximum, or after --budget levels.
 *
 * The answer is the best assignment of the last level (the deepest ones that fit); the front is that
 * level's non-dominated children. Search cost: rootSteps + levels · steps training steps, plus one
 * recalibration and validation pass per child.
 *
 * After every level the supernet weights (`<out>.nir.ckpt`) and the search state (level, kept assignments,
 * every evaluation; the search checkpoint) are saved; a level's training checkpoints through the loop
 * (`<out>.nir-level<L>.ckpt`), so a killed search resumes mid-level and ends like an uninterrupted one.
 */
import { existsSync, rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Architecture } from '../../core/arch.js';
import { archMetrics, formatCount, METRIC_LABELS } from '../../core/arch-metrics.js';
import { isUserError, UserError } from '../../core/errors.js';
import type { SearchSpace } from '../../core/space.js';
import { useTrainingBackend } from '../../train/backend.js';
import { DepthSupernet } from '../../train/supernet/depth.js';
import { loadTrainingData, type TrainEvaluatorOptions } from '../../train/train-evaluator.js';
import { latencyUnit, LIMIT_FLAGS, limitViolations } from '../constraints.js';
import { paretoFront } from '../pareto.js';
import type { Candidate, LatencyEstimate, SearchContext, SearchResult, Searcher } from '../types.js';
import { nirOptions, type NirOptions } from './options.js';
import { depthLabel, depthView, expand } from './stages.js';

export const NIR_STATE_VERSION = 1;

export interface NirEvaluation extends Candidate {
  depths: number[];
  level: number;
  /** The kept assignment it grew from (null for the root). */
  parent: number[] | null;
}

interface State {
  version: typeof NIR_STATE_VERSION;
  settings: unknown;
  /** Last finished level (-1: none). */
  level: number;
  /** The kept assignments of that level, best first. */
  kept: number[][];
  evaluations: NirEvaluation[];
  /** Why the search stopped, once it has. */
  stopped?: string;
}

export interface NirSearchOptions extends Partial<NirOptions> {
  /** Prefix of the weight files (default: the search's --out). */
  workPath?: string;
  log?(message: string): void;
}

type Judged = { ok: true; arch: Architecture; latency: LatencyEstimate } | { ok: false; why: string };

export class NirSearch implements Searcher {
  readonly name = 'nir';
  readonly costLimits = true;
  constructor(private readonly given: NirSearchOptions = {}) {}

  /** A space with stage depths to assign and --nir-op among its options (run() works on the same depthView). */
  checkSpace(space: SearchSpace, args?: Readonly<Record<string, unknown>>): void {
    depthView(space, { op: nirOptions(this.given, args).op });
  }

  async run(ctx: SearchContext): Promise<SearchResult> {
    const o = nirOptions(this.given, ctx.args);
    const log = this.given.log ?? ((m: string) => process.stderr.write(m + '\n'));
    if (ctx.evaluator.id !== 'train')
      throw new UserError(`nir scores assignments by training its own depth supernet on the training data, not with the '${ctx.evaluator.id}' evaluator`, {
        hint: 'pass --evaluator train (and the training flags: --train-images, --downscale, …)',
      });
    const base = this.given.workPath ?? (typeof ctx.args?.out === 'string' ? ctx.args.out : undefined);
    if (!base) throw new UserError('nir needs a path for its weight checkpoints', { hint: 'pass --out FILE (the weights go to FILE.nir.ckpt)' });
    const view = depthView(ctx.space, { op: o.op });
    const training: TrainEvaluatorOptions = ctx.training ?? {};
    const batchSize = training.batchSize ?? 64;
    const files = { weights: `${base}.nir.ckpt`, level: (l: number) => `${base}.nir-level${l}.ckpt` };

    const judge = (depths: readonly number[]): Judged => {
      let arch: Architecture;
      try {
        arch = ctx.space.build(view.encode(depths));
      } catch (e) {
        if (isUserError(e)) return { ok: false, why: e.message };
        throw e;
      }
      const over = limitViolations(arch, ctx.limits);
      if (over.length) return { ok: false, why: over.map((v) => `${formatCount(v.value)} ${METRIC_LABELS[v.metric]} > ${LIMIT_FLAGS[v.metric]} ${formatCount(v.limit)}`).join(', ') };
      const latency = ctx.latency.latency(arch);
      if (ctx.targetMs !== undefined && latency.ms > ctx.targetMs) {
        const unit = latencyUnit(ctx.latency);
        return { ok: false, why: unit === 'ms' ? `${latency.ms.toFixed(4)} ms > --target-ms ${ctx.targetMs}` : `${latency.ms.toFixed(4)} ${unit} > the limit ${ctx.targetMs} ${unit}` };
      }
      return { ok: true, arch, latency };
    };
    const root = view.stages.map((s) => s.min);
    const rooted = judge(root);
    if (!rooted.ok)
      throw new UserError(`the shallowest layer assignment ${depthLabel(root)} of space '${ctx.space.id}' (${view.fixed}) is already over the budget: ${rooted.why}`, {
        hint: `raise the limit to at least what the shallowest assignment needs (${describeCosts(ctx.space.build(view.encode(root)))}), or lower --resolution`,
      });

    const backend = await useTrainingBackend(training.backend ?? 'auto');
    const { data } = loadTrainingData(training);
    const settings = JSON.parse(
      JSON.stringify({ options: o, training: { ...training, backend: backend.name }, stages: view.stages, fixed: view.fixed, data: [data.train.count, data.train.height, data.train.width, data.train.channels] }),
    ) as unknown;
    const saved = ctx.checkpoint?.load() as State | undefined;
    if (saved && (saved.version !== NIR_STATE_VERSION || !isDeepStrictEqual(saved.settings, settings)))
      throw new UserError('the search checkpoint belongs to a nir run with other settings (training, --nir-* flags or space)', {
        hint: 'run with the same flags, or delete the checkpoint (<out>.ckpt.json) to start over',
      });
    let state: State = saved ?? { version: NIR_STATE_VERSION, settings, level: -1, kept: [], evaluations: [] };
    if (state.stopped) return result(state, o);
    const levels = Math.min(ctx.budget, view.stages.reduce((n, s) => n + s.max - s.min, 0));

    // A fresh search may resume a killed level 0 (nothing else was saved yet); a later level's file is another run's.
    if (!saved) for (let l = 1; l <= levels + 1; l++) rmSync(files.level(l), { force: true });
    const net = DepthSupernet.build(view, { channels: data.train.channels, height: data.train.height, width: data.train.width }, data.train.classes, ctx.seed);
    try {
      if (state.level >= 0) {
        if (!existsSync(files.weights)) throw new UserError(`the search checkpoint is at level ${state.level} but the supernet weights ${files.weights} are missing`, { hint: 'delete the checkpoint (<out>.ckpt.json) to start over' });
        const meta = net.load(files.weights, 'delete the checkpoint (<out>.ckpt.json) to start over');
        // The weights are written before the state: they are this level's, or (killed in between) the next one's, which that level's own checkpoint restores anyway.
        if (!(Number(meta.level) === state.level || (Number(meta.level) === state.level + 1 && existsSync(files.level(state.level + 1)))))
          throw new UserError(`${files.weights} holds level ${String(meta.level)}, the search checkpoint level ${state.level}`, { hint: 'delete the checkpoint (<out>.ckpt.json) to start over' });
        log(`nir: resumed after level ${state.level} (kept ${state.kept.map(depthLabel).join(', ')})`);
      }
      const train = (level: number, set: number[][], steps: number) =>
        net.train(data.train, set, {
          steps,
          batchSize,
          optimizer: training.optimizer,
          warmupSteps: training.warmupSteps,
          seed: ctx.seed + 7919 * level,
          checkpoint: files.level(level),
          checkpointEvery: Math.max(1, Math.ceil(steps / 4)),
          label: `nir level ${level} training`,
          describe: { settings, level },
          afterStep: (step, total, loss) => {
            if (step === total || step % Math.max(1, Math.ceil(total / 4)) === 0)
              ctx.onProgress?.({ done: Math.max(0, level - 1), total: levels, message: `nir level ${level}: step ${step}/${total}, loss ${loss.toFixed(3)}` });
          },
        });
      const score = (depths: number[], level: number, parent: number[] | null): NirEvaluation => {
        const j = judge(depths) as Extract<Judged, { ok: true }>;
        const accuracy = net.evaluate(depths, data, Math.min(512, data.train.count), batchSize);
        return { encoding: view.encode(depths), name: j.arch.name, accuracy, latency: j.latency, depths, level, parent };
      };
      const finish = (level: number, evaluated: NirEvaluation[]) => {
        const kept = [...evaluated].sort(better).slice(0, o.keep);
        net.save(files.weights, { level });
        state = { ...state, level, kept: kept.map((e) => e.depths), evaluations: [...state.evaluations, ...evaluated] };
        ctx.checkpoint?.save(state);
        rmSync(files.level(level), { force: true });
        const top = kept[0];
        log(`nir: level ${level}: ${evaluated.length} assignment(s) scored; best ${depthLabel(top.depths)} ${top.accuracy.toFixed(2)}% at ${top.latency.ms.toFixed(4)}; kept ${kept.map((e) => depthLabel(e.depths)).join(', ')}`);
        ctx.onProgress?.({ done: level, total: levels, best: top });
      };

      if (state.level < 0) {
        log(`nir: ${view.stages.length} stages (${view.stages.map((s) => `${s.name} ${s.min}..${s.max}`).join(', ')}), ${view.fixed}; level 0 = ${depthLabel(root)}, ${o.rootSteps} steps`);
        await train(0, [root], o.rootSteps);
        finish(0, [score(root, 0, null)]);
      }
      let stopped = `after ${levels} level(s) (--budget ${ctx.budget} or every stage at its maximum)`;
      for (let level = state.level + 1; level <= levels; level++) {
        const seen = new Set<string>();
        const children: { depths: number[]; parent: number[] }[] = [];
        let over = 0;
        for (const parent of state.kept)
          for (const depths of expand(view.stages, parent)) {
            const key = depthLabel(depths);
            if (seen.has(key)) continue;
            seen.add(key);
            if (judge(depths).ok) children.push({ depths, parent });
            else over++;
          }
        if (children.length === 0) {
          stopped = `at level ${level}: ${over ? `none of the ${over} deeper assignment(s) is within the budget` : 'no stage can grow'}`;
          break;
        }
        await train(level, children.map((c) => c.depths), o.steps);
        finish(level, children.map((c) => score(c.depths, level, c.parent)));
      }
      state = { ...state, stopped };
      ctx.checkpoint?.save(state);
      log(`nir: stopped ${stopped}; supernet weights in ${files.weights}`);
      return result(state, o);
    } finally {
      net.dispose();
    }
  }
}

/** More accurate first; then faster; then the label (deterministic). */
function better(a: NirEvaluation, b: NirEvaluation): number {
  return b.accuracy - a.accuracy || a.latency.ms - b.latency.ms || depthLabel(a.depths).localeCompare(depthLabel(b.depths));
}

function describeCosts(arch: Architecture): string {
  const m = archMetrics(arch);
  return `${formatCount(m.macs)} MACs, ${formatCount(m.params)} params, ${formatCount(m.activations)} activations`;
}

/** The last level's children: the best of them is the answer, the non-dominated ones the front. */
function result(state: State, o: NirOptions): SearchResult {
  const last = state.evaluations.filter((e) => e.level === state.level).sort(better);
  const best = last[0];
  const front = paretoFront(last.map((c) => ({ c, accuracy: c.accuracy, latencyMs: c.latency.ms }))).map((p) => p.c);
  const summary =
    `nir: ${state.level} level(s) grown from the shallowest assignment, ${state.evaluations.length} assignment(s) scored, keeping ${o.keep} per level; stopped ${state.stopped}; ` +
    (best ? `best ${depthLabel(best.depths)} (${best.accuracy.toFixed(2)}%)` : 'nothing scored');
  return { strategy: 'nir', front, history: state.evaluations, best, summary };
}

