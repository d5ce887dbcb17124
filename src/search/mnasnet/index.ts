/** MnasNet's RL search: LSTM controller, REINFORCE/PPO, reward ACC·(LAT/T)^w. */
export { MnasnetSearch, type BatchStats, type MnasnetOptions } from './search.js';
export { MNASNET_PRESETS, MNASNET_PRESET_NAMES, mnasnetReward, rewardExponents, type MnasnetPreset, type RewardExponents } from './reward.js';
export { Controller, type ControllerOptions, type PolicyObjective, type Samples } from './controller.js';
