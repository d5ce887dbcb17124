/** Differentiable search strategies over a layer-wise space: FBNet (Gumbel-softmax) and ProxylessNAS (binary gates). */
export { DifferentiableSearch, type DifferentiableOptions, type EpochStats } from './search.js';
export { resolveSettings, DEFAULTS as DIFFERENTIABLE_DEFAULTS, type DifferentiableSettings, type DifferentiableStrategy } from './settings.js';
export { LATENCY_LOSSES, type LatencyLossKind } from './latency-term.js';
export { DartsSearch, type DartsOptions, type DartsEpochStats } from './darts-search.js';
