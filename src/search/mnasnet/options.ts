/**
 * The mnasnet strategy's command-line flags (ctx.args of nas search): --rl-algorithm reinforce|ppo,
 * --reward soft|hard and --reward-w W. MnasNet's reward ACC·(LAT/T)^w (Tan et al. 2019, eq. 2):
 * soft uses w = α = β for both sides of T (default −0.07, the paper's); hard uses α = 0 under T (no
 * reward for being faster) and β = W above it (default −1, the paper's hard constraint).
 */
import { UserError } from '../../core/errors.js';
import { MNASNET_PRESETS, type RewardExponents } from './reward.js';

/** What the flags set (a subset of MnasnetOptions; kept here so this file needs nothing from search.ts). */
export interface MnasnetFlagOptions {
  algorithm?: 'reinforce' | 'ppo';
  preset?: RewardExponents;
}

export const RL_ALGORITHMS = ['reinforce', 'ppo'] as const;
export const REWARD_KINDS = ['soft', 'hard'] as const;

/** The options the flags set; undefined when none of them is given (the strategy's own defaults apply). */
export function mnasnetOptionsFromArgs(args: Readonly<Record<string, unknown>> | undefined): MnasnetFlagOptions | undefined {
  const algorithm = args?.rlAlgorithm;
  const reward = args?.reward;
  const w = args?.rewardW;
  if (algorithm === undefined && reward === undefined && w === undefined) return undefined;
  const out: MnasnetFlagOptions = {};
  if (algorithm !== undefined) {
    if (!(RL_ALGORITHMS as readonly unknown[]).includes(algorithm)) throw new UserError(`--rl-algorithm must be one of ${RL_ALGORITHMS.join(', ')}, got '${algorithm}'`);
    out.algorithm = algorithm as MnasnetFlagOptions['algorithm'];
  }
  if (reward !== undefined && !(REWARD_KINDS as readonly unknown[]).includes(reward)) throw new UserError(`--reward must be soft or hard, got '${reward}'`);
  if (w !== undefined && !(typeof w === 'number' && Number.isFinite(w) && w <= 0))
    throw new UserError(`--reward-w must be a number ≤ 0 (the latency exponent; MnasNet's soft reward uses −0.07), got ${w}`);
  const kind = (reward ?? 'soft') as (typeof REWARD_KINDS)[number];
  if (reward !== undefined || w !== undefined) {
    const preset = MNASNET_PRESETS[kind];
    const exponents: RewardExponents = kind === 'soft' ? { alpha: (w as number | undefined) ?? preset.alpha, beta: (w as number | undefined) ?? preset.beta } : { alpha: 0, beta: (w as number | undefined) ?? preset.beta };
    out.preset = exponents;
  }
  return out;
}
