/**
 * Settings of a differentiable search (fbnet, proxyless): constructor options, overridden by the
 * search command's flags (ctx.args: --latency-loss, --latency-weight, --tau, --search-epochs,
 * --warmup-epochs, --arch-lr), validated before any work starts.
 */
import { UserError } from '../../core/errors.js';
import { LATENCY_LOSSES, type LatencyLossKind } from './latency-term.js';

export type DifferentiableStrategy = 'fbnet' | 'proxyless';

export interface DifferentiableSettings {
  latencyLoss: LatencyLossKind;
  latencyWeight: number;
  /** FBNet: Gumbel-softmax temperature of the first search epoch, ×0.956 per epoch after it (the paper's schedule). */
  tau: number;
  /** Epochs (over the weight split) with architecture steps. */
  searchEpochs: number;
  /** Epochs of weight steps only, before the architecture steps start. */
  warmupEpochs: number;
  /** Adam learning rate of α. */
  archLr: number;
}

export const TAU_DECAY = 0.956;

/** The paper's loss form and weight for each strategy. */
export const DEFAULTS: Record<DifferentiableStrategy, DifferentiableSettings> = {
  fbnet: { latencyLoss: 'fbnet', latencyWeight: 0.6, tau: 5, searchEpochs: 4, warmupEpochs: 1, archLr: 0.01 },
  proxyless: { latencyLoss: 'proxyless-mul', latencyWeight: 0.3, tau: NaN, searchEpochs: 4, warmupEpochs: 1, archLr: 0.01 },
};

/** Default weight of each form (the papers' β or λ), used when --latency-loss is given without --latency-weight. */
const FORM_WEIGHT: Record<LatencyLossKind, number> = { fbnet: 0.6, 'proxyless-mul': 0.3, 'proxyless-add': 0.1 };

const FLAGS: Record<keyof DifferentiableSettings, string> = {
  latencyLoss: '--latency-loss',
  latencyWeight: '--latency-weight',
  tau: '--tau',
  searchEpochs: '--search-epochs',
  warmupEpochs: '--warmup-epochs',
  archLr: '--arch-lr',
};

export function resolveSettings(
  strategy: DifferentiableStrategy,
  given: Partial<DifferentiableSettings>,
  args: Readonly<Record<string, unknown>> = {},
): DifferentiableSettings {
  const pick = <K extends keyof DifferentiableSettings>(k: K): DifferentiableSettings[K] | undefined =>
    (args[k] ?? given[k]) as DifferentiableSettings[K] | undefined;
  const loss = pick('latencyLoss') ?? DEFAULTS[strategy].latencyLoss;
  if (!LATENCY_LOSSES.includes(loss)) throw new UserError(`--latency-loss must be one of ${LATENCY_LOSSES.join(', ')}, got '${loss}'`);
  const s: DifferentiableSettings = {
    latencyLoss: loss,
    latencyWeight: pick('latencyWeight') ?? (pick('latencyLoss') === undefined ? DEFAULTS[strategy].latencyWeight : FORM_WEIGHT[loss]),
    tau: pick('tau') ?? DEFAULTS[strategy].tau,
    searchEpochs: pick('searchEpochs') ?? DEFAULTS[strategy].searchEpochs,
    warmupEpochs: pick('warmupEpochs') ?? DEFAULTS[strategy].warmupEpochs,
    archLr: pick('archLr') ?? DEFAULTS[strategy].archLr,
  };
  const bad = (k: keyof DifferentiableSettings, what: string) => new UserError(`${FLAGS[k]} must be ${what}, got ${String(s[k])}`);
  if (!(Number.isFinite(s.latencyWeight) && s.latencyWeight >= 0)) throw bad('latencyWeight', 'a number ≥ 0 (0 ignores latency)');
  if (strategy === 'fbnet' && !(Number.isFinite(s.tau) && s.tau > 0)) throw bad('tau', 'a temperature > 0 (FBNet starts at 5)');
  if (strategy === 'proxyless' && pick('tau') !== undefined)
    throw new UserError('--tau is the Gumbel-softmax temperature of --strategy fbnet; proxyless samples binary gates and has none', { hint: 'drop --tau' });
  if (!(Number.isInteger(s.searchEpochs) && s.searchEpochs >= 1)) throw bad('searchEpochs', 'a whole number ≥ 1');
  if (!(Number.isInteger(s.warmupEpochs) && s.warmupEpochs >= 0)) throw bad('warmupEpochs', 'a whole number ≥ 0');
  if (!(Number.isFinite(s.archLr) && s.archLr > 0)) throw bad('archLr', 'a positive learning rate');
  return s;
}
