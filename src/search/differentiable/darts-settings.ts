/**
 * Settings of `--strategy darts`: constructor options, overridden by the search command's flags (ctx.args),
 * validated before any work starts. The flags shared with fbnet/proxyless keep their meaning
 * (--search-epochs, --warmup-epochs, --arch-lr, --latency-loss, --latency-weight); DARTS's own are
 * --darts-order, --darts-xi, --darts-cells, --darts-channels.
 */
import { UserError } from '../../core/errors.js';
import { LATENCY_LOSSES, type LatencyLossKind } from './latency-term.js';

export interface DartsSettings {
  /** 1: first-order approximation (ξ = 0); 2: the unrolled (second-order) gradient. */
  order: 1 | 2;
  /** ξ of the unrolled step; default the weights' learning rate (the paper's choice). */
  xi?: number;
  /** Cells and C of the search network (the paper: 8 cells, C = 16; the derived cells go into the space's own network). */
  cells: number;
  channels: number;
  searchEpochs: number;
  /** Epochs of weight steps only before the architecture steps start (the paper: none). */
  warmupEpochs: number;
  /** Adam learning rate of α (the paper: 3e-4, β = (0.5, 0.999)). */
  archLr: number;
  /** The hardware-aware term (latency-term.ts); weight 0 (the default) is plain DARTS. */
  latencyLoss: LatencyLossKind;
  latencyWeight: number;
}

export const DARTS_DEFAULTS: DartsSettings = { order: 1, cells: 5, channels: 8, searchEpochs: 4, warmupEpochs: 0, archLr: 3e-4, latencyLoss: 'proxyless-add', latencyWeight: 0 };

const FLAGS: Record<keyof DartsSettings, string> = {
  order: '--darts-order',
  xi: '--darts-xi',
  cells: '--darts-cells',
  channels: '--darts-channels',
  searchEpochs: '--search-epochs',
  warmupEpochs: '--warmup-epochs',
  archLr: '--arch-lr',
  latencyLoss: '--latency-loss',
  latencyWeight: '--latency-weight',
};

const ARGS: Record<keyof DartsSettings, string> = {
  order: 'dartsOrder',
  xi: 'dartsXi',
  cells: 'dartsCells',
  channels: 'dartsChannels',
  searchEpochs: 'searchEpochs',
  warmupEpochs: 'warmupEpochs',
  archLr: 'archLr',
  latencyLoss: 'latencyLoss',
  latencyWeight: 'latencyWeight',
};

export function resolveDartsSettings(given: Partial<DartsSettings>, args: Readonly<Record<string, unknown>> = {}): DartsSettings {
  const pick = <K extends keyof DartsSettings>(k: K): DartsSettings[K] | undefined => (args[ARGS[k]] ?? given[k]) as DartsSettings[K] | undefined;
  if (args.tau !== undefined) throw new UserError('--tau is the Gumbel-softmax temperature of --strategy fbnet; darts relaxes each edge with a plain softmax', { hint: 'drop --tau' });
  const s: DartsSettings = {
    order: pick('order') ?? DARTS_DEFAULTS.order,
    xi: pick('xi'),
    cells: pick('cells') ?? DARTS_DEFAULTS.cells,
    channels: pick('channels') ?? DARTS_DEFAULTS.channels,
    searchEpochs: pick('searchEpochs') ?? DARTS_DEFAULTS.searchEpochs,
    warmupEpochs: pick('warmupEpochs') ?? DARTS_DEFAULTS.warmupEpochs,
    archLr: pick('archLr') ?? DARTS_DEFAULTS.archLr,
    latencyLoss: pick('latencyLoss') ?? DARTS_DEFAULTS.latencyLoss,
    latencyWeight: pick('latencyWeight') ?? DARTS_DEFAULTS.latencyWeight,
  };
  const bad = (k: keyof DartsSettings, what: string) => new UserError(`${FLAGS[k]} must be ${what}, got ${String(s[k])}`);
  if (s.order !== 1 && s.order !== 2) throw bad('order', '1 (first order, ξ = 0) or 2 (unrolled, second order)');
  if (s.xi !== undefined && !(Number.isFinite(s.xi) && s.xi >= 0)) throw bad('xi', 'a step size ≥ 0');
  if (s.xi !== undefined && s.order === 1) throw new UserError('--darts-xi is the unrolled step of --darts-order 2; first order has ξ = 0', { hint: 'add --darts-order 2 or drop --darts-xi' });
  if (!(Number.isInteger(s.cells) && s.cells >= 3)) throw bad('cells', 'a whole number ≥ 3 (two of them reduction cells)');
  if (!(Number.isInteger(s.channels) && s.channels >= 2 && s.channels % 2 === 0)) throw bad('channels', 'an even whole number ≥ 2');
  if (!(Number.isInteger(s.searchEpochs) && s.searchEpochs >= 1)) throw bad('searchEpochs', 'a whole number ≥ 1');
  if (!(Number.isInteger(s.warmupEpochs) && s.warmupEpochs >= 0)) throw bad('warmupEpochs', 'a whole number ≥ 0');
  if (!(Number.isFinite(s.archLr) && s.archLr > 0)) throw bad('archLr', 'a positive learning rate');
  if (!LATENCY_LOSSES.includes(s.latencyLoss)) throw new UserError(`--latency-loss must be one of ${LATENCY_LOSSES.join(', ')}, got '${s.latencyLoss}'`);
  if (!(Number.isFinite(s.latencyWeight) && s.latencyWeight >= 0)) throw bad('latencyWeight', 'a number ≥ 0 (0 ignores latency)');
  return s;
}
