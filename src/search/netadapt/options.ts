/** NetAdapt's settings: from the search command's flags (SearchContext.args) or given directly. */
import { UserError } from '../../core/errors.js';

export interface NetadaptOptions {
  /** Start network: an architecture JSON file or a published net's name; default: MobileNetV2-style member of the space. */
  start?: string;
  /** Epochs the start network is trained for (default 3). */
  startEpochs: number;
  /** Trained start network (a training checkpoint, e.g. from nas train): its weights are used as they are, no training. */
  startCheckpoint?: string;
  /** ΔR of the first iteration as a fraction of the start network's latency (default 0.05). */
  step: number;
  /** ΔR_i = step · decay^i · start latency (default 0.98). */
  decay: number;
  /** Short-term fine-tuning steps per proposal (default 20). */
  shortSteps: number;
  /** Long-term fine-tuning steps of the final network (default 200; 0 = none). */
  longSteps: number;
  /** Peak learning rate of both fine-tunings (default 0.01). */
  lr: number;
  /** Filter counts are proposed in multiples of this (default 8, as in NetAdapt). */
  granularity: number;
  /** Device that profiles missing LUT entries (default: the LUT's device, with its options). */
  device?: string;
}

export const NETADAPT_DEFAULTS = { startEpochs: 3, step: 0.05, decay: 0.98, shortSteps: 20, longSteps: 200, lr: 0.01, granularity: 8 } as const;

const FLAGS: Record<keyof NetadaptOptions, string> = {
  start: '--start',
  startEpochs: '--start-epochs',
  startCheckpoint: '--start-checkpoint',
  step: '--netadapt-step',
  decay: '--netadapt-decay',
  shortSteps: '--netadapt-short-steps',
  longSteps: '--netadapt-long-steps',
  lr: '--netadapt-lr',
  granularity: '--netadapt-granularity',
  device: '--netadapt-device',
};

const ARG_NAMES: Record<keyof NetadaptOptions, string> = {
  start: 'start',
  startEpochs: 'startEpochs',
  startCheckpoint: 'startCheckpoint',
  step: 'netadaptStep',
  decay: 'netadaptDecay',
  shortSteps: 'netadaptShortSteps',
  longSteps: 'netadaptLongSteps',
  lr: 'netadaptLr',
  granularity: 'netadaptGranularity',
  device: 'netadaptDevice',
};

/** Settings from explicit values, else the parsed flags, else the defaults; every value checked. */
export function netadaptOptions(given: Partial<NetadaptOptions>, args: Readonly<Record<string, unknown>> = {}): NetadaptOptions {
  const pick = <K extends keyof NetadaptOptions>(k: K): unknown => given[k] ?? args[ARG_NAMES[k]] ?? (NETADAPT_DEFAULTS as Partial<NetadaptOptions>)[k];
  const bad = (k: keyof NetadaptOptions, what: string, v: unknown, hint?: string) =>
    new UserError(`${FLAGS[k]} must be ${what}, got ${JSON.stringify(v)}`, hint ? { hint } : undefined);
  const int = (k: 'startEpochs' | 'shortSteps' | 'longSteps' | 'granularity', min: number) => {
    const v = pick(k);
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw bad(k, `an integer ≥ ${min}`, v);
    return v;
  };
  const str = (k: 'start' | 'startCheckpoint' | 'device') => {
    const v = pick(k);
    if (v !== undefined && !(typeof v === 'string' && v.trim())) throw bad(k, 'a non-empty string', v);
    return v as string | undefined;
  };
  const step = pick('step');
  if (!(typeof step === 'number' && step > 0 && step < 1)) throw bad('step', 'a fraction in (0, 1) of the start latency', step, 'e.g. --netadapt-step 0.05: the first iteration cuts 5% of the start latency');
  const decay = pick('decay');
  if (!(typeof decay === 'number' && decay > 0 && decay <= 1)) throw bad('decay', 'a factor in (0, 1]', decay, 'e.g. --netadapt-decay 0.98');
  const lr = pick('lr');
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) throw bad('lr', 'a positive number', lr);
  return {
    start: str('start'),
    startEpochs: int('startEpochs', 1),
    startCheckpoint: str('startCheckpoint'),
    step,
    decay,
    shortSteps: int('shortSteps', 0),
    longSteps: int('longSteps', 0),
    lr,
    granularity: int('granularity', 1),
    device: str('device'),
  };
}
