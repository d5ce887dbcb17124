/**
 * MnasNet's reward (Tan et al. 2019, eq. 2): ACC(m) · (LAT(m) / T)^w, w = α if LAT ≤ T else β.
 *
 * Presets from the paper: `soft` (α = β = −0.07: every ms counts a little, the controller trades
 * accuracy for latency on both sides of T) and `hard` (α = 0, β = −1: no reward for being faster than
 * T, a steep penalty above it). Latencies and the target in ms; ACC ≥ 0 (a fraction or a percentage:
 * the scale only scales the reward).
 */
import { UserError } from '../../core/errors.js';

export interface RewardExponents {
  /** Exponent when LAT ≤ T. */
  alpha: number;
  /** Exponent when LAT > T. */
  beta: number;
}

export const MNASNET_PRESETS = {
  soft: { alpha: -0.07, beta: -0.07 },
  hard: { alpha: 0, beta: -1 },
} as const satisfies Record<string, RewardExponents>;

export type MnasnetPreset = keyof typeof MNASNET_PRESETS;
export const MNASNET_PRESET_NAMES = Object.keys(MNASNET_PRESETS) as MnasnetPreset[];

/** The exponents of a preset name, or the given ones after checking them. */
export function rewardExponents(preset: MnasnetPreset | RewardExponents): RewardExponents {
  if (typeof preset === 'string') {
    const found = (MNASNET_PRESETS as Record<string, RewardExponents>)[preset];
    if (!found) throw new UserError(`unknown MnasNet reward preset '${preset}'`, { hint: `known presets: ${MNASNET_PRESET_NAMES.join(', ')}, or give {alpha, beta}` });
    return found;
  }
  if (!Number.isFinite(preset.alpha) || !Number.isFinite(preset.beta))
    throw new UserError(`MnasNet reward: α and β must be finite numbers, got α = ${preset.alpha}, β = ${preset.beta}`);
  return preset;
}

export function mnasnetReward(acc: number, latMs: number, targetMs: number, preset: MnasnetPreset | RewardExponents = 'soft'): number {
  const { alpha, beta } = rewardExponents(preset);
  if (!Number.isFinite(acc) || acc < 0) throw new UserError(`MnasNet reward: accuracy must be a finite number ≥ 0, got ${acc}`);
  if (!Number.isFinite(latMs) || latMs <= 0) throw new UserError(`MnasNet reward: latency must be a finite number of ms > 0, got ${latMs}`);
  if (!Number.isFinite(targetMs) || targetMs <= 0) throw new UserError(`MnasNet reward: target must be a finite number of ms > 0, got ${targetMs}`);
  return acc * (latMs / targetMs) ** (latMs <= targetMs ? alpha : beta);
}
