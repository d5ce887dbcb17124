/**
 * Every published network by name: the catalog of ../shared/data/published-nets (published.ts) and the seed
 * networks with their published figures (seed-nets/), then the Once-for-All specialized nets (ofa-nets.ts).
 * `--published NAME` resolves here, and only here.
 */
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { loadPublishedNets } from './published.js';
import { ofaNet } from './ofa-nets.js';
import { findSeedNet, SEED_NETS } from './seed-nets/index.js';

export interface PublishedOptions {
  file?: string;
  resolution?: number;
  classes?: number;
}

export function publishedArchitecture(name: string, opts: PublishedOptions = {}): Architecture {
  const seed = findSeedNet(name);
  if (seed) return seed.build({ resolution: opts.resolution ?? seed.resolution, classes: opts.classes ?? 1000 });
  const { nets, unsupported } = loadPublishedNets(opts);
  const found = nets.find((n) => n.name === name);
  if (found) return found;
  const skipped = unsupported.find((n) => n.name === name);
  if (skipped) throw new UserError(`published net '${name}' cannot be built: ${skipped.reason}`);
  const ofa = ofaNet(name, { resolution: opts.resolution, classes: opts.classes });
  if (ofa) return ofa;
  throw new UserError(`unknown published net '${name}'`, {
    hint: `available: ${[...nets.map((n) => n.name), ...SEED_NETS.map((n) => n.name)].join(', ')}, and the Once-for-All nets of ofa_specialized_nets.json (e.g. note10_lat-30ms_top1-78.4_finetune-75)`,
  });
}
