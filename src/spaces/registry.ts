/** Search spaces by name. Adding one is one line here. */
import { Registry } from '../core/registry.js';
import type { SearchSpace, SpaceOptions } from '../core/space.js';
import { createMbv2Space } from './mbv2.js';
import { createMbv2SmallSpace } from './mbv2-small.js';
import { createMnasnetSpace } from './mnasnet.js';
import { createNb201Space } from './nb201.js';
import { createProxylessSpace } from './proxyless.js';
import { createAnyNetSpace } from './anynet.js';
import { createDartsSpace } from './darts.js';
import { createNasnetSpace } from './nasnet.js';
import { createFbnetSpace } from './fbnet.js';
import { createRegNetSpace } from './regnet.js';
import { createShuffleNetV2Space, createSposChannelSpace } from './shufflenetv2.js';

export const SPACES = {
  mbv2: createMbv2Space,
  'mbv2-small': createMbv2SmallSpace,
  mnasnet: createMnasnetSpace,
  nb201: createNb201Space,
  proxyless: createProxylessSpace,
  shufflenetv2: createShuffleNetV2Space,
  'shufflenetv2-channels': createSposChannelSpace,
  fbnet: createFbnetSpace,
  regnet: createRegNetSpace,
  anynet: createAnyNetSpace('a'),
  'anynet-b': createAnyNetSpace('b'),
  'anynet-c': createAnyNetSpace('c'),
  'anynet-d': createAnyNetSpace('d'),
  'anynet-e': createAnyNetSpace('e'),
  darts: createDartsSpace,
  nasnet: createNasnetSpace,
} satisfies Record<string, (opts: SpaceOptions) => SearchSpace>;

export type SpaceName = keyof typeof SPACES;
export const SPACE_NAMES = Object.keys(SPACES) as SpaceName[];

export const SPACE_REGISTRY = new Registry<(opts: SpaceOptions) => SearchSpace>('search space', SPACES);

export function createSpace(id: string, opts: SpaceOptions = {}): SearchSpace {
  return SPACE_REGISTRY.get(id)(opts);
}
