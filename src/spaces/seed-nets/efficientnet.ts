/**
 * EfficientNet-B1/B2/B3 by compound scaling of B0 (Tan & Le 2019) with the (width, depth, resolution)
 * coefficients of the official code: B1 (1.0, 1.1, 240), B2 (1.1, 1.2, 260), B3 (1.2, 1.4, 300). Channels are
 * rounded to multiples of 8 (never below 90% of the scaled value), repeats rounded up. B0 is the catalog's
 * entry in ../shared/data/published-nets; FBNet-A comes from there too, with its grouped pointwise convs.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../core/errors.js';
import { convertNet, defaultPublishedPath, type PublishedNet } from '../published.js';
import type { SeedNet } from './types.js';

function catalogEntry(name: string): PublishedNet {
  const file = defaultPublishedPath();
  let nets: PublishedNet[];
  try {
    nets = JSON.parse(readFileSync(file, 'utf8')) as PublishedNet[];
  } catch (e) {
    throw new UserError(`cannot read the published nets catalog ${file}: ${(e as Error).message}`, { hint: 'it ships in ../shared/data/published-nets/ beside the project' });
  }
  const net = nets.find((n) => n.name === name);
  if (!net) throw new UserError(`the published nets catalog ${file} has no '${name}'`);
  return net;
}

/** The official round_filters: a multiple of 8 within 10% of c·w. */
export function roundFilters(c: number, width: number): number {
  const v = c * width;
  let r = Math.max(8, Math.floor((v + 4) / 8) * 8);
  if (r < 0.9 * v) r += 8;
  return r;
}

function scaled(name: string, width: number, depth: number): PublishedNet {
  const b0 = catalogEntry('EfficientNet-B0');
  return {
    ...b0,
    name,
    stem: { ...b0.stem, c: roundFilters(b0.stem.c, width) },
    stages: b0.stages.map((stage) => stage.map((b) => ({ ...b, c: b.c === undefined ? undefined : roundFilters(b.c, width), n: Math.ceil((b.n ?? 1) * depth) }))),
    head: { ...b0.head, c: roundFilters(b0.head.c, width) },
  };
}

const TV = 'pytorch/vision torchvision/models/efficientnet.py';

/**
 * MACs from the paper (Table 2, two significant digits): torchvision's _ops for B2 (1.088 G) fits neither 260 nor
 * its 288-px crop, so its parameter counts are used but not its operation counts.
 */
function efficientnet(name: string, w: number, d: number, resolution: number, params: number, gmacs: number, weights: string): SeedNet {
  return {
    name,
    definition: `EfficientNet-B0 of ../shared/data/published-nets (timm _gen_efficientnet) scaled by width ${w}, depth ${d}, ${resolution} px`,
    resolution,
    published: {
      params: { value: params, source: `${TV} ${weights}.IMAGENET1K_V1 num_params` },
      macs: { value: gmacs * 1e9, source: `Tan & Le 2019, "EfficientNet", Table 2: ${name}, ${gmacs}B FLOPs (multiply-adds)`, unit: 1e8 },
    },
    build: (o) => convertNet(scaled(name, w, d), o.resolution, o.classes),
  };
}

export const EFFICIENTNETS: SeedNet[] = [
  efficientnet('EfficientNet-B1', 1.0, 1.1, 240, 7_794_184, 0.7, 'EfficientNet_B1_Weights'),
  efficientnet('EfficientNet-B2', 1.1, 1.2, 260, 9_109_994, 1.0, 'EfficientNet_B2_Weights'),
  efficientnet('EfficientNet-B3', 1.2, 1.4, 300, 12_233_232, 1.8, 'EfficientNet_B3_Weights'),
];

export const FBNET_A: SeedNet = {
  name: 'FBNet-A',
  definition: 'FBNet-A of ../shared/data/published-nets (facebookresearch/mobile-vision fbnet_a), g2 blocks as grouped pointwise convs',
  resolution: 224,
  published: {
    params: { value: 4.3e6, source: 'Wu et al. 2019, "FBNet", Table 2: FBNet-A, 4.3M parameters', unit: 1e5 },
    macs: { value: 249e6, source: 'Wu et al. 2019, "FBNet", Table 2: FBNet-A, 249M FLOPs (multiply-adds)' },
  },
  build: (o) => convertNet(catalogEntry('FBNet-A'), o.resolution, o.classes, { pwGroups: true }),
};
