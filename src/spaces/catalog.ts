/**
 * Every published network by name: the catalog of ../shared/data/published-nets (published.ts) and the seed
 * networks with their published figures (seed-nets/), then the Once-for-All specialized nets (ofa-nets.ts).
 * `--published NAME` resolves here, and only here.
 */
import { existsSync } from 'node:fs';
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { loadPublishedNets } from './published.js';
import { Registry } from '../core/registry.js';
import { validateArchitectureSpec } from '../core/validate-spec.js';
import { defaultOfaNetsPath, loadOfaNets, ofaArchitecture } from './ofa-nets.js';
import { SEED_NETS } from './seed-nets/index.js';

export interface PublishedOptions {
  file?: string;
  resolution?: number;
  classes?: number;
}

export function publishedArchitecture(name: string, opts: PublishedOptions = {}): Architecture {
  const { nets, unsupported } = loadPublishedNets(opts);
  const build = (arch: Architecture) => () => arch;
  const registry = new Registry<() => Architecture>('published net', [
    ...SEED_NETS.map((n) => [n.name, () => n.build({ resolution: opts.resolution ?? n.resolution, classes: opts.classes ?? 1000 })] as const),
    ...nets.map((n) => [n.name, build(n)] as const),
    // The OFA nets come with ../shared/data; without that file the other nets still resolve.
    ...(existsSync(defaultOfaNetsPath()) ? loadOfaNets() : []).map((n) => [n.name, () => ofaArchitecture(n, { resolution: opts.resolution, classes: opts.classes })] as const),
  ]);
  if (!registry.has(name)) {
    const skipped = unsupported.find((n) => n.name === name);
    const seed = SEED_NETS.find((n) => n.reference === name);
    if (seed) throw new UserError(`published net '${name}' is built by the seed catalog as '${seed.name}'`, { hint: `use --published ${seed.name}` });
    if (skipped) throw new UserError(`published net '${name}' cannot be built: ${skipped.reason}`);
    throw registry.unknown(name);
  }
  const arch = registry.get(name)();
  validateArchitectureSpec(arch, `published net '${arch.name}'`);
  return arch;
}
