/** ShuffleNetV2 1.0× (torchvision `shufflenetv2.py`) and SPOS's searched network (megvii ShuffleNet-Series OneShot). */
import type { OpSpec } from '../../core/ops.js';
import { arch, conv, head, layers, maxPool, type SeedNet } from './types.js';

const TV = 'pytorch/vision torchvision/models/shufflenetv2.py';
const SPOS = 'megvii-model/ShuffleNet-Series OneShot';

/** A unit as ShuffleNetV2 places it: stride 2 splits cout evenly between the branches; stride 1 keeps cin/2 aside. */
export function shuffleUnit(cin: number, cout: number, stride: number, k: number, mid: number, xception = false): OpSpec {
  return { kind: 'shufflev2', cout, k, stride, mid, side: stride === 1 ? cin / 2 : cout / 2, xception };
}

function shufflenetV2({ resolution, classes }: { resolution: number; classes: number }) {
  const body: OpSpec[] = [];
  let cin = 24;
  [
    [4, 116],
    [8, 232],
    [4, 464],
  ].forEach(([repeats, cout]) => {
    for (let i = 0; i < repeats; i++) {
      body.push(shuffleUnit(cin, cout, i === 0 ? 2 : 1, 3, cout / 2));
      cin = cout;
    }
  });
  return arch('ShuffleNetV2-1.0', resolution, [...layers('stem', [conv(24, 3, 2), maxPool(3, 2)]), ...layers('block', body), ...layers('head', [conv(1024, 1, 1)]), ...head(classes)]);
}

/** SPOS's choice per block: 0-2 shuffle 3/5/7, 3 Xception; channels 64/160/320/640 with four stride-2 stage starts. */
export const SPOS_STAGES = [
  { repeats: 4, cout: 64 },
  { repeats: 4, cout: 160 },
  { repeats: 8, cout: 320 },
  { repeats: 4, cout: 640 },
];
export const SPOS_STEM = 16;
export const SPOS_LAST = 1024;

/**
 * An SPOS block: stride 2 keeps the whole input on the projection branch and gives the main branch cout − cin
 * channels; stride 1 splits the input in halves. The middle width is int(cout / 2 · scale) (OneShot `network.py`).
 */
export function sposBlock(cin: number, cout: number, stride: number, choice: number, scale = 1): OpSpec {
  const mid = Math.trunc(Math.trunc(cout / 2) * scale);
  const side = stride === 1 ? cin / 2 : cin;
  return { kind: 'shufflev2', cout, k: choice === 3 ? 3 : [3, 5, 7][choice], stride, mid, side, xception: choice === 3 };
}

export function sposArch(name: string, choices: readonly number[], scales: readonly number[], resolution: number, classes: number) {
  const body: OpSpec[] = [];
  let cin = SPOS_STEM;
  let b = 0;
  for (const st of SPOS_STAGES)
    for (let i = 0; i < st.repeats; i++, b++) {
      body.push(sposBlock(cin, st.cout, i === 0 ? 2 : 1, choices[b], scales[b]));
      cin = st.cout;
    }
  return arch(name, resolution, [...layers('stem', [conv(SPOS_STEM, 3, 2)]), ...layers('block', body), ...layers('head', [conv(SPOS_LAST, 1, 1)]), ...head(classes)]);
}

/** SPOS's channel search: the middle width's scales (OneShot/network.py scale_list, 0.2 to 2.0 by 0.2). */
export const SPOS_CHANNEL_SCALES = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0] as const;

// OneShot/network.py __main__: architecture and scale_ids of the searched net (choice 0-3, scale index into SPOS_CHANNEL_SCALES).
export const SPOS_CHOICES = [0, 0, 3, 1, 1, 1, 0, 0, 2, 0, 2, 1, 1, 0, 2, 0, 2, 1, 3, 2];
export const SPOS_SCALE_IDS = [6, 5, 3, 5, 2, 6, 3, 4, 2, 5, 7, 5, 4, 6, 7, 4, 4, 5, 4, 3];
const SPOS_SCALES = SPOS_SCALE_IDS.map((i) => SPOS_CHANNEL_SCALES[i]);

export const SHUFFLENETS: SeedNet[] = [
  {
    name: 'ShuffleNetV2-1.0',
    definition: `${TV} shufflenet_v2_x1_0 (stages [4, 8, 4], channels [24, 116, 232, 464, 1024])`,
    resolution: 224,
    published: {
      params: { value: 2_278_604, source: `${TV} ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1 num_params` },
      // torchvision's _ops (0.14) has two decimals only; the paper gives three digits.
      macs: { value: 146e6, source: 'Ma et al. 2018, "ShuffleNet V2", Table 8: ShuffleNet v2 1x, 146 MFLOPs (multiply-adds)' },
    },
    build: shufflenetV2,
  },
  {
    name: 'SPOS',
    definition: `${SPOS}/network.py (__main__ architecture and scale_ids), as in ../shared/data/published-nets`,
    reference: 'SPOS (Single Path One-Shot, ShuffleNetV2 space)',
    resolution: 224,
    published: {
      params: { value: 3.4e6, source: `${SPOS}/README.md (params 3.4M)`, unit: 1e5 },
      macs: { value: 328e6, source: `${SPOS}/README.md (FLOPs 328M, multiply-adds)` },
    },
    build: ({ resolution, classes }) => sposArch('SPOS', SPOS_CHOICES, SPOS_SCALES, resolution, classes),
  },
];
