/**
 * `mbv2-small`: a small layer-wise MBConv space for one-shot (supernet) experiments that fit a few CPU
 * cores: Fashion-MNIST-sized input (28 px, 10 classes by default), a stem conv3x3 s2 16 + MBConv e1 k3 → 16,
 * 6 searchable layers in 3 stages (channels 24/32/64, 2 layers each, strides 1/2/2), each MBConv
 * k∈{3,5} × e∈{1,3,6}, no skip (a fixed depth), head conv1x1 256, pool, linear.
 *
 * Why this shape (docs/benchmarks.md, "Supernet ranking on a small space"): on mbv2 at the budgets that fit
 * here the stand-alone ranking of the nets is a depth ranking (the shallow members learn faster) and its
 * two seeds barely agree, so no supernet can be shown to rank. Here depth is not a choice, the nets differ
 * in width (e1 to e6: the block's expanded channels 6x apart) and kernel, and kernels stop at 5 because
 * the last stages run at 4x4 and 2x2 on 14 px inputs, where a 7x7 kernel adds MACs but no capacity.
 */
import type { SpaceOptions } from '../core/space.js';
import { Mbv2Space, type Mbv2Layout } from './mbv2.js';

export const MBV2_SMALL_LAYOUT: Mbv2Layout = {
  stages: [
    { c: 24, n: 2, s: 1 },
    { c: 32, n: 2, s: 2 },
    { c: 64, n: 2, s: 2 },
  ],
  kernels: [3, 5],
  expansions: [1, 3, 6],
  skip: false,
  stem: 16,
  first: 16,
  head: 256,
  input: { resolution: 28, classes: 10, min: 8, hint: 'e.g. --resolution 28 (Fashion-MNIST) or 32' },
};

export function createMbv2SmallSpace(opts: SpaceOptions = {}): Mbv2Space {
  return new Mbv2Space(opts, {
    id: 'mbv2-small',
    description: 'small layer-wise MBConv space for supernet experiments: 6 layers (k3/5 × e1/3/6, no skip) in stages of 24/32/64 channels, 28 px',
    layout: MBV2_SMALL_LAYOUT,
  });
}
