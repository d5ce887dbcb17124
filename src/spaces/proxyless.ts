/**
 * `proxyless`: the ProxylessNAS mobile search space (Cai et al., ICLR 2019), the one its published phone
 * LUT covers (lut/import/proxyless.ts): stem conv3x3 s2 32, MBConv e1 k3 → 16, then 21 searchable layers
 * in stages of 24/40/80/96/192/320 channels (4/4/4/4/4/1 layers, strides 2/2/2/1/2/1), each MBConv
 * k∈{3,5,7} × e∈{3,6} or zero (skip) where the layer keeps its shape, head conv1x1 1280, pool, linear.
 *
 * That is exactly the layout of `mbv2` (which follows ProxylessNAS); this id exists so a search names the
 * space the imported LUT was published for, at its resolution (224). Not the released proxyless_mobile
 * net, whose second stage is 32 wide. test/spaces/proxyless.test.ts checks every instance against the LUT.
 */
import type { SpaceOptions } from '../core/space.js';
import { Mbv2Space } from './mbv2.js';

export function createProxylessSpace(opts: SpaceOptions = {}): Mbv2Space {
  return new Mbv2Space(opts, {
    id: 'proxyless',
    description: 'ProxylessNAS mobile search space (the published phone LUT covers it at 224): 21 layers of MBConv k3/5/7 × e3/6 or zero',
  });
}
