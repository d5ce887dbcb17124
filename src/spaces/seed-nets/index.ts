/** The seed networks of issue 11 by name, each with its definition's source and its published figures. */
import { UserError } from '../../core/errors.js';
import type { Architecture } from '../../core/arch.js';
import { CLASSICS } from './classic.js';
import { DARTS_NETS } from './darts.js';
import { EFFICIENTNETS, FBNET_A } from './efficientnet.js';
import { NASNET_NETS } from './nasnet.js';
import { REGNETS } from './regnet.js';
import { RESNETS } from './resnet.js';
import { SHUFFLENETS } from './shufflenet.js';
import type { SeedNet } from './types.js';

export type { SeedNet, Figure } from './types.js';

export const SEED_NETS: readonly SeedNet[] = [...RESNETS, ...REGNETS, ...SHUFFLENETS, ...CLASSICS, ...EFFICIENTNETS, FBNET_A, ...DARTS_NETS, ...NASNET_NETS];

export function findSeedNet(name: string): SeedNet | undefined {
  return SEED_NETS.find((n) => n.name === name);
}

/** The seed net `name` at its published resolution unless `resolution` is given. */
export function seedNet(name: string, opts: { resolution?: number; classes?: number } = {}): Architecture {
  const net = findSeedNet(name);
  if (!net) throw new UserError(`unknown seed network '${name}'`, { hint: `known: ${SEED_NETS.map((n) => n.name).join(', ')}` });
  return net.build({ resolution: opts.resolution ?? net.resolution, classes: opts.classes ?? 1000 });
}
