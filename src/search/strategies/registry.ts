/**
 * Search strategies by name. Adding one is one line in STRATEGIES; a strategy with heavy dependencies
 * loads them lazily inside its factory (`async () => new (await import('...')).X()`).
 */
import { Registry } from '../../core/registry.js';
import type { Searcher } from '../types.js';
import { EvolutionSearch } from './evolution.js';
import { Nsga2Search } from './nsga2.js';
import { RandomSearch } from './random.js';

export type StrategyFactory = () => Searcher | Promise<Searcher>;

export const STRATEGIES = {
  random: () => new RandomSearch(),
  evolution: () => new EvolutionSearch(),
  nsga2: () => new Nsga2Search(),
  // The RL controller runs on tfjs: load it only when asked for.
  mnasnet: async () => new (await import('../mnasnet/index.js')).MnasnetSearch(),
  // Differentiable search trains a supernet: load the training engine only when asked for.
  fbnet: async () => new (await import('../differentiable/index.js')).DifferentiableSearch('fbnet'),
  proxyless: async () => new (await import('../differentiable/index.js')).DifferentiableSearch('proxyless'),
  darts: async () => new (await import('../differentiable/darts-search.js')).DartsSearch(),
  netadapt: async () => new (await import('../netadapt/index.js')).NetadaptSearch(),
  // NIR layer assignment trains a depth supernet: load the training engine only when asked for.
  nir: async () => new (await import('../nir/index.js')).NirSearch(),
} satisfies Record<string, StrategyFactory>;

export type StrategyName = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

export const STRATEGY_REGISTRY = new Registry<StrategyFactory>('search strategy', STRATEGIES);

export async function createStrategy(name: string): Promise<Searcher> {
  return STRATEGY_REGISTRY.get(name)();
}
