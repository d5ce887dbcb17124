/**
 * nas search / nas-search: latency-aware architecture search. Latency from a LUT (--lut) or a table of
 * measured latencies (--latency-table), accuracy from an evaluator, one strategy; writes a front file
 * and resumes from `<out>.ckpt.json` when a killed search left one.
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import type { SearchSpace, SpaceOptions } from '../../core/space.js';
import type { Candidate, LatencySource } from '../../search/types.js';
import { ms, table } from '../../core/format.js';
import { emit, log } from '../output.js';
import { createProgress, type Progress } from '../progress.js';
import { costOptions, metricCells, METRIC_HEADERS, resolveCosts, type CostArgs, type ResolvedCosts } from './cost-options.js';
import type { GraphMetrics } from '../../core/arch-metrics.js';
import { checkEvaluatorArgs, evaluatorFromArgs, evaluatorOptions, trainingOptions, trainingSettings, type EvaluatorArgs } from './common.js';
import { checkSearchFarmArgs, openSearchFarm, searchFarmOptions, type SearchFarmArgs } from './farm.js';

export interface SearchArgs extends EvaluatorArgs, SearchFarmArgs, CostArgs {
  json?: boolean;
  space: string;
  strategy: string;
  lut?: string;
  latencyTable?: string;
  targetMs?: number;
  budget: number;
  seed: number;
  out: string;
  resolution?: number;
  // netadapt (src/search/netadapt/options.ts validates them)
  start?: string;
  startEpochs?: number;
  startCheckpoint?: string;
  netadaptStep?: number;
  netadaptDecay?: number;
  netadaptShortSteps?: number;
  netadaptLongSteps?: number;
  netadaptLr?: number;
  netadaptGranularity?: number;
  netadaptDevice?: string;
  // fbnet / proxyless (src/search/differentiable/settings.ts validates them)
  latencyLoss?: string;
  latencyWeight?: number;
  tau?: number;
  searchEpochs?: number;
  warmupEpochs?: number;
  archLr?: number;
  // nir (src/search/nir/options.ts validates them)
  nirKeep?: number;
  nirSteps?: number;
  nirRootSteps?: number;
  nirOp?: string;
  // darts (src/search/differentiable/darts-settings.ts validates them)
  dartsOrder?: number;
  dartsXi?: number;
  dartsCells?: number;
  dartsChannels?: number;
  // mnasnet (src/search/mnasnet/options.ts validates them)
  rlAlgorithm?: string;
  reward?: string;
  rewardW?: number;
}

/** Checks everything that needs no file or module, so bad input fails before any work starts. */
export function checkSearchArgs(a: SearchArgs): ResolvedCosts {
  const costs = resolveCosts(a);
  if (costs.objective !== 'latency') {
    if (a.lut !== undefined || a.latencyTable !== undefined || a.targetMs !== undefined)
      throw new UserError(`--objective ${costs.objective} optimises ${costs.objective} instead of latency: leave out --lut, --latency-table and --target-ms`, {
        hint: `limit it with --max-${costs.objective} (that limit becomes the target)`,
      });
  } else if ((a.lut === undefined) === (a.latencyTable === undefined))
    throw new UserError('name exactly one latency source: --lut FILE (LUT predictor) or --latency-table DEVICE (measured table, nb201 only)');
  if (a.targetMs !== undefined && !(Number.isFinite(a.targetMs) && a.targetMs > 0)) throw new UserError(`--target-ms must be a positive number of milliseconds, got ${a.targetMs}`);
  if (!Number.isInteger(a.budget) || a.budget < 1) throw new UserError(`--budget must be a positive integer (architectures to evaluate), got ${a.budget}`);
  if (!Number.isInteger(a.seed)) throw new UserError(`--seed must be an integer, got ${a.seed}`);
  if (a.resolution !== undefined && (!Number.isInteger(a.resolution) || a.resolution < 1)) throw new UserError(`--resolution must be a positive integer, got ${a.resolution}`);
  checkEvaluatorArgs(a);
  if (!a.out?.trim()) throw new UserError('--out must name the front file to write, e.g. --out front.json');
  return costs;
}

/** `space`: the LUT must cover it up front (not for strategies that profile what they lack). */
async function latencySource(a: SearchArgs, space: SearchSpace | undefined, costs: ResolvedCosts): Promise<LatencySource> {
  if (costs.objective !== 'latency') return (await import('../../search/constraints.js')).metricLatencySource(costs.objective);
  if (a.lut !== undefined) {
    const { lutLatencySource } = await import('../../predict/latency-source.js');
    return lutLatencySource(a.lut, space);
  }
  const { tableLatencySource } = await import('../../latency/table.js');
  return tableLatencySource({ device: a.latencyTable!, file: a.nb201File });
}

/** The front as a text table; a "within" column when there is a target. */
function frontTable(front: readonly Candidate[], t: number | undefined, unit: string, metrics: readonly (GraphMetrics | undefined)[]): string {
  const header = ['#', 'accuracy', `latency ${unit}`, ...(t === undefined ? [] : ['within']), ...METRIC_HEADERS, 'architecture'];
  const rows = front.map((c, i) => [i + 1, c.accuracy.toFixed(3), ms(c.latency.ms), ...(t === undefined ? [] : [c.latency.ms <= t ? 'yes' : 'no']), ...metricCells(metrics[i]), c.name]);
  return table(header, rows);
}

/** A progress bar created on the first update, when the total is known. */
function lazyBar(label: string): { update(done: number, total: number, info: string): void; stop(): void } {
  let bar: Progress | undefined;
  return {
    update(done, total, info) {
      bar ??= createProgress(label, total);
      bar.update(done, info);
    },
    stop: () => bar?.stop(),
  };
}

export async function runSearchCommand(a: SearchArgs): Promise<void> {
  const costs = checkSearchArgs(a);
  await checkSearchFarmArgs(a);
  const targetMs = costs.metricTarget ?? a.targetMs;
  const [{ createStrategy }, { createSpace }, { runSearchJob }] = await Promise.all([
    import('../../search/strategies/registry.js'),
    import('../../spaces/registry.js'),
    import('../../search/job.js'),
  ]);
  const strategy = await createStrategy(a.strategy);
  const spaceOptions: SpaceOptions = a.resolution === undefined ? {} : { resolution: a.resolution };
  const space = createSpace(a.space, spaceOptions);
  // A strategy that searches only some spaces says so before anything else is read (the LUT's coverage of the space).
  strategy.checkSpace?.(space, a as unknown as Record<string, unknown>);
  // So does the supernet evaluator, which holds layer-wise spaces only (it is built at the first evaluation).
  if (a.evaluator === 'supernet') (await import('../../evaluators/supernet.js')).checkSupernetSpace(space, a as unknown as Record<string, unknown>);
  // A metric objective's own limit is the target: refused here when no member meets it (the others in the job).
  const { checkReachable, describeLimits, latencyUnit, METRIC_UNIT } = await import('../../search/constraints.js');
  if (costs.metricTarget !== undefined && costs.objective !== 'latency') checkReachable(space, { [costs.objective]: costs.metricTarget * METRIC_UNIT }, a.seed);
  const latency = await latencySource(a, strategy.profilesMissing ? undefined : space, costs);
  const unit = latencyUnit(latency);
  const training = trainingSettings(a);
  const supernetBar = a.evaluator === 'supernet' ? lazyBar('supernet') : undefined;
  // The supernet evaluator trains its supernet first: a bar on a terminal, a line every few seconds otherwise.
  const evaluator = await evaluatorFromArgs(
    a,
    space,
    supernetBar ? { ...training, onProgress: (_arch, p) => supernetBar.update(p.step, p.totalSteps, `loss ${p.loss.toFixed(3)}`) } : training,
  );
  // --redis: evaluations on the farm's workers, the strategy asynchronous (cli/commands/farm.ts).
  const farm = await openSearchFarm(a, evaluator).catch(async (e) => {
    await evaluator.dispose?.();
    throw e;
  });
  const progress = createProgress(`search ${(farm?.strategy ?? strategy).name}`, a.budget, { quiet: !process.stderr.isTTY });
  let job;
  try {
    job = await runSearchJob({
      space,
      spaceOptions: { resolution: space.resolution },
      latency,
      evaluator: farm?.evaluator ?? evaluator,
      strategy: farm?.strategy ?? strategy,
      budget: a.budget,
      seed: a.seed,
      targetMs,
      limits: costs.limits,
      out: a.out,
      training,
      lutFile: a.lut,
      args: a as unknown as Record<string, unknown>,
      onProgress: (p) => {
        // A strategy's own progress line (fbnet/proxyless: per epoch) goes to stderr even without a terminal.
        if (p.message && !process.stderr.isTTY) log(p.message);
        if (p.total !== a.budget) progress.setTotal(p.total);
        progress.update(p.done, p.message ?? (p.best ? `best ${p.best.accuracy.toFixed(2)} @ ${ms(p.best.latency.ms)} ${unit}` : ''));
      },
    });
    // The front is written: the farm's finished jobs are no longer needed for a rerun.
    await farm?.evaluator.forget();
  } finally {
    progress.stop();
    supernetBar?.stop();
    await farm?.evaluator.dispose();
    await evaluator.dispose?.();
  }
  const { result, front, resumed } = job;
  if (resumed) log(`resumed from checkpoint: ${resumed} evaluation(s) reused`);
  if (result.summary) log(result.summary);
  else if (result.history.length < a.budget) log(`stopped after ${result.history.length} of ${a.budget} evaluations: no new ${targetMs === undefined && !costs.limits ? '' : 'feasible '}architecture left to try`);
  const { archMetrics } = await import('../../core/arch-metrics.js');
  // Metrics of the front come from its members' graphs (front file); the best is rebuilt from the space.
  const metricsOf = (c: Candidate): GraphMetrics | undefined => {
    const i = result.front.indexOf(c);
    if (i >= 0) return front.members[i]?.metrics;
    return c.architecture ? archMetrics(c.architecture) : c.encoding.length ? archMetrics(space.build(c.encoding)) : undefined;
  };
  const lite = (c: Candidate) => ({
    name: c.name,
    encoding: c.encoding,
    accuracy: c.accuracy,
    latency: { ms: c.latency.ms, ci95: c.latency.ci95 ?? null, ...(unit === 'ms' ? {} : { unit }) },
    metrics: metricsOf(c) ?? null,
  });
  emit(
    a,
    {
      out: a.out,
      strategy: front.strategy,
      space: front.space,
      latency: front.latency,
      evaluator: front.evaluator,
      target: front.target,
      objective: costs.objective,
      limits: front.limits ?? null,
      seed: front.seed,
      budget: front.budget,
      evaluations: front.evaluations,
      resumed,
      summary: result.summary ?? null,
      best: result.best ? lite(result.best) : null,
      front: result.front.map(lite),
    },
    () => {
      const best = result.best;
      const within = [targetMs === undefined ? '' : `${targetMs} ${unit}`, costs.limits ? describeLimits(costs.limits) : ''].filter(Boolean).join(', ');
      const bestLine = best
        ? `best${within ? ` within ${within}` : ''}: ${best.accuracy.toFixed(3)} at ${ms(best.latency.ms)} ${unit}, ${metricCells(metricsOf(best)).map((v, i) => `${v} ${METRIC_HEADERS[i]}`).join(', ')}  ${best.name}\n`
        : `no evaluated architecture is within ${within}\n`;
      return (
        `${result.strategy} on ${space.id}: ${result.history.length} evaluated, ${result.front.length} on the front (written to ${a.out})\n` +
        frontTable(result.front, targetMs, unit, front.members.map((m) => m.metrics)) +
        bestLine
      );
    },
  );
}

export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search',
  describe: 'search a space for the accuracy/latency front (random, evolution, nsga2, …) and write it to a front file',
  builder: (y) =>
    costOptions(searchFarmOptions(evaluatorOptions(trainingOptions(y), { defaultEvaluator: 'table' })))
      .option('space', { type: 'string', demandOption: true, describe: 'search space (e.g. nb201, mbv2)' })
      .option('strategy', { type: 'string', default: 'nsga2', describe: 'search strategy: random, evolution (best under --target-ms), nsga2 (whole front), …' })
      .option('lut', { type: 'string', describe: 'latency from this LUT (predictor: overhead + sum of op latencies)' })
      .option('latency-table', { type: 'string', describe: 'latency measured on a device, from the NAS-Bench-201 table: raspi4, pixel3, eyeriss, fpga, pi5_litert, pi5_onnx, pi5_torchmobile, pixel_litert' })
      .option('target-ms', { type: 'number', describe: 'latency target/limit in ms (evolution: hard limit; nsga2/random: only feasible candidates)' })
      .option('budget', { type: 'number', default: 100, describe: 'architectures to evaluate for accuracy' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed: the same seed gives the same front' })
      .option('out', { type: 'string', demandOption: true, describe: 'front file to write; the checkpoint is <out>.ckpt.json' })
      .option('resolution', { type: 'number', describe: 'input resolution of the space (default: the space default)' })
      .option('start', { type: 'string', describe: 'netadapt: start network, an architecture JSON file or a published net (default: MobileNetV2-style member of the space)' })
      .option('start-epochs', { type: 'number', describe: 'netadapt: epochs the start network is trained for (default 3)' })
      .option('start-checkpoint', { type: 'string', describe: 'netadapt: trained start weights (training checkpoint); trained and written there when absent' })
      .option('netadapt-step', { type: 'number', describe: 'netadapt: first latency cut as a fraction of the start latency (default 0.05)' })
      .option('netadapt-decay', { type: 'number', describe: 'netadapt: the cut shrinks by this factor each iteration (default 0.98)' })
      .option('netadapt-short-steps', { type: 'number', describe: 'netadapt: fine-tuning steps per proposal (default 20)' })
      .option('netadapt-long-steps', { type: 'number', describe: 'netadapt: fine-tuning steps of the final network (default 200)' })
      .option('netadapt-lr', { type: 'number', describe: 'netadapt: fine-tuning learning rate (default 0.01)' })
      .option('netadapt-granularity', { type: 'number', describe: 'netadapt: filter counts in multiples of this (default 8)' })
      .option('netadapt-device', { type: 'string', describe: 'netadapt: device that profiles missing LUT entries (default: the LUT\'s device)' })
      .option('nir-keep', { type: 'number', describe: 'nir: layer assignments kept per level (default 2)' })
      .option('nir-steps', { type: 'number', describe: 'nir: training steps of each level\'s supernet (default 40)' })
      .option('nir-root-steps', { type: 'number', describe: 'nir: training steps of the shallowest assignment (default 120)' })
      .option('nir-op', { type: 'string', describe: 'nir: block option of every kept layer in a layer-wise space (mbv2 default k3e6)' })
      .option('latency-loss', { type: 'string', describe: 'fbnet/proxyless/darts: latency loss fbnet, proxyless-mul or proxyless-add (default: fbnet for fbnet, proxyless-mul for proxyless, proxyless-add for darts)' })
      .option('latency-weight', { type: 'number', describe: 'fbnet/proxyless/darts: weight of the latency term, β of the log forms or λ of proxyless-add; 0 ignores latency (default 0.6 / 0.3 / 0.1; darts 0)' })
      .option('tau', { type: 'number', describe: 'fbnet: Gumbel-softmax temperature of the first search epoch, ×0.956 per epoch (default 5)' })
      .option('search-epochs', { type: 'number', describe: 'fbnet/proxyless/darts: epochs of alternating weight and architecture steps (default 4)' })
      .option('warmup-epochs', { type: 'number', describe: 'fbnet/proxyless/darts: epochs of weight steps only before the architecture steps start (default 1; darts 0)' })
      .option('rl-algorithm', { type: 'string', describe: 'mnasnet: controller update, reinforce (default) or ppo (clipped surrogate, a few epochs per batch)' })
      .option('reward', { type: 'string', describe: 'mnasnet: soft (default: ACC·(LAT/T)^w on both sides of T) or hard (w = 0 under T, --reward-w above)' })
      .option('reward-w', { type: 'number', describe: 'mnasnet: latency exponent w ≤ 0 (default −0.07 for soft, −1 above T for hard)' })
      .option('arch-lr', { type: 'number', describe: 'fbnet/proxyless/darts: Adam learning rate of the architecture logits (default 0.01; darts 3e-4)' })
      .option('darts-order', { type: 'number', describe: 'darts: 1 = first-order architecture gradient (ξ = 0, default), 2 = unrolled second order' })
      .option('darts-xi', { type: 'number', describe: 'darts: ξ of the unrolled weight step with --darts-order 2 (default: the weights\' learning rate)' })
      .option('darts-cells', { type: 'number', describe: 'darts: cells of the search network (default 5; the paper 8); the derived cells go into the space\'s network' })
      .option('darts-channels', { type: 'number', describe: 'darts: C of the search network (default 8; the paper 16)' })
      .example('$0 search --space nb201 --latency-table pixel3 --strategy nsga2 --budget 300 --out front.json', '')
      .example('$0 search --space mbv2 --resolution 96 --lut cpu.lut.json --evaluator proxy --strategy evolution --target-ms 5 --out front.json', '')
      .example('$0 search --redis redis://farm:6379 --space mbv2 --lut cpu.lut.json --evaluator train --strategy nsga2 --pending 16 --out front.json', 'evaluations on the workers (nas worker --evaluator train), asynchronous NSGA-II')
      .example('$0 search --space regnet --resolution 64 --objective activations --max-activations 2M --evaluator proxy --strategy evolution --out front.json', 'no LUT: activations stand in for latency') as never,
  handler: (a) => runSearchCommand(a),
};
